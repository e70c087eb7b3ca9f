// tests/block/generic_support.hpp: shared helpers of the generic block-format tests (not a test program).
#pragma once

#include <gtest/gtest.h>

#include <qforge/block/q8_0.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace qforge_test {

inline std::vector<float> gaussian_data(std::size_t n, unsigned seed, float sigma = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, sigma);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

// Gaussian data with a per-group offset and a few large values: exercises both anchors of affine formats.
inline std::vector<float> mixed_data(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::uniform_real_distribution<float> u(-3.0f, 3.0f);
    std::vector<float> v(n);
    float shift = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (i % 32 == 0) shift = u(rng);
        v[i] = d(rng) + shift;
        if (i % 97 == 5) v[i] *= 8.0f;
    }
    return v;
}

template <class F>
std::vector<float> round_trip(const std::vector<float>& x) {
    std::vector<typename F::block> q(x.size() / F::block_size);
    F::quantize(x, q);
    std::vector<float> y(x.size());
    F::dequantize(q, y);
    return y;
}

inline double rms_error(const std::vector<float>& x, const std::vector<float>& y) {
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
    return std::sqrt(s / static_cast<double>(x.size()));
}

// F::dot against the double-precision dot of both dequantized vectors.
template <class F>
void check_dot(const std::vector<float>& wx, const std::vector<float>& ax) {
    std::vector<typename F::block> w(wx.size() / F::block_size);
    F::quantize(wx, w);
    std::vector<qforge::q8_0::block> a(ax.size() / 32);
    qforge::q8_0::quantize(ax, a);
    std::vector<float> wy(wx.size()), ay(ax.size());
    F::dequantize(w, wy);
    qforge::q8_0::dequantize(a, ay);
    double ref = 0, mag = 0;
    for (std::size_t i = 0; i < wy.size(); ++i) {
        ref += double(wy[i]) * ay[i];
        mag += std::fabs(double(wy[i]) * ay[i]);
    }
    const float got = F::dot(w, a);
    EXPECT_NEAR(got, ref, 1e-5 * mag + 1e-6);
    // Mismatched block counts are a clear error.
    EXPECT_THROW(F::dot(w, std::span(a).first(a.size() - 1)), qforge::error);
}

} // namespace qforge_test
