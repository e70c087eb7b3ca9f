// Tests for the calibration observers on data with known answers.
#include <qforge/quant/observers.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace qforge::quant;

namespace {

std::vector<float> gaussian(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

std::vector<float> laplace(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::exponential_distribution<float> e(1.0f);
    std::bernoulli_distribution sign(0.5);
    std::vector<float> v(n);
    for (float& x : v) x = sign(rng) ? e(rng) : -e(rng);
    return v;
}

double quant_mse(const std::vector<float>& x, const scheme_policy& s, real_range r) {
    const qparams p = params_for_range(s, r);
    const int_range g = grid_of(s);
    double se = 0;
    for (const float v : x) {
        const double d = v - dequantize_value(quantize_value(v, p, g), p);
        se += d * d;
    }
    return se / static_cast<double>(x.size());
}

} // namespace

TEST(minmax_observer, uniform_data_is_exact) {
    minmax_observer o;
    EXPECT_THROW(o.range(), qforge::error);
    std::vector<float> a, b;
    for (int i = 0; i <= 100; ++i) a.push_back(-1.0f + 0.02f * static_cast<float>(i));
    for (int i = 0; i <= 10; ++i) b.push_back(0.5f * static_cast<float>(i));
    o.observe(a);
    EXPECT_EQ(o.range(), (real_range{-1.0f, a.back()}));
    o.observe(b);
    o.observe({});
    EXPECT_EQ(o.range(), (real_range{-1.0f, 5.0f}));
    // The affine uint8 parameters of [-1, 5]: scale 6/255, zero point round(255/6) = round(42.5) = 42.
    const qparams p = params_for_range(scheme_policy{.bits = 8, .is_signed = false}, o.range());
    EXPECT_FLOAT_EQ(p.scale, 6.0f / 255.0f);
    EXPECT_EQ(p.zero_point, 42);
    const float nan[] = {std::nanf("")};
    EXPECT_THROW(o.observe(nan), qforge::error);
}

TEST(moving_average_minmax_observer, averages_batches) {
    moving_average_minmax_observer o({.averaging_constant = 0.5f});
    const float b1[] = {-1, 0, 1};
    const float b2[] = {-3, 5};
    const float b3[] = {0, 1};
    o.observe(b1);
    EXPECT_EQ(o.range(), (real_range{-1, 1}));
    o.observe(b2);
    EXPECT_EQ(o.range(), (real_range{-2, 3})); // -1 + 0.5 (-3 + 1), 1 + 0.5 (5 - 1)
    o.observe(b3);
    EXPECT_EQ(o.range(), (real_range{-1, 2}));
    EXPECT_THROW(moving_average_minmax_observer({.averaging_constant = 0.0f}), qforge::error);
}

TEST(percentile_observer, known_sorted_set) {
    std::vector<float> v;
    for (int i = 1; i <= 100; ++i) v.push_back(static_cast<float>(i));
    std::shuffle(v.begin(), v.end(), std::mt19937(3));
    // numpy.percentile(range(1, 101), 90) = 90.1 ; (…, 10) = 10.9 ; (…, 50) = 50.5
    EXPECT_NEAR(percentile_of(v, 90), 90.1, 1e-12);
    EXPECT_NEAR(percentile_of(v, 10), 10.9, 1e-12);
    EXPECT_NEAR(percentile_of(v, 50), 50.5, 1e-12);
    EXPECT_EQ(percentile_of(v, 100), 100.0);
    EXPECT_EQ(percentile_of(v, 0), 1.0);
    percentile_observer o({.percentile = 90});
    o.observe(std::span(v).first(40));
    o.observe(std::span(v).subspan(40));
    const real_range r = o.range();
    EXPECT_FLOAT_EQ(r.min, 10.9f);
    EXPECT_FLOAT_EQ(r.max, 90.1f);
    // Symmetric: percentile of |x| over -50..-1, 1..50 (|x| = 1,1,2,2,…,50,50): rank 0.9*99 = 89.1 -> 45.
    percentile_observer s({.percentile = 90, .symmetric = true});
    std::vector<float> w;
    for (int i = 1; i <= 50; ++i) {
        w.push_back(static_cast<float>(i));
        w.push_back(-static_cast<float>(i));
    }
    s.observe(w);
    EXPECT_FLOAT_EQ(s.range().max, 45.1f);
    EXPECT_FLOAT_EQ(s.range().min, -45.1f);
}

TEST(mse_observer, clips_heavy_tails_below_the_max) {
    for (const bool use_laplace : {true, false}) {
        SCOPED_TRACE(use_laplace ? "laplace" : "gauss");
        const auto x = use_laplace ? laplace(50000, 1) : gaussian(50000, 2);
        const scheme_policy s{.bits = 4, .symmetric = true};
        mse_observer o({.scheme = s});
        o.observe(x);
        const real_range r = o.range();
        minmax_observer m;
        m.observe(x);
        const float amax = std::max(-m.range().min, m.range().max);
        EXPECT_LT(r.max, 0.8f * amax);
        EXPECT_GT(r.max, 0.1f * amax);
        const double mse_clip = quant_mse(x, s, r);
        const double mse_full = quant_mse(x, s, {-amax, amax});
        EXPECT_LT(mse_clip, 0.7 * mse_full);
        EXPECT_NEAR(o.error_for(r), mse_clip, 1e-6 * mse_clip);
    }
}

TEST(mse_observer, affine_scheme) {
    auto x = laplace(20000, 5);
    for (float& v : x) v = v + 3.0f; // shifted: affine clip shrinks min and max together
    const scheme_policy s{.bits = 3, .is_signed = false};
    mse_observer o({.scheme = s});
    o.observe(x);
    const real_range r = o.range();
    minmax_observer m;
    m.observe(x);
    EXPECT_LT(quant_mse(x, s, r), quant_mse(x, s, m.range()));
}

TEST(entropy_observer, clips_outliers_of_a_gaussian) {
    auto x = gaussian(200000, 7);
    for (int i = 0; i < 10; ++i) {
        x.push_back(60.0f + static_cast<float>(i));
        x.push_back(-60.0f - static_cast<float>(i));
    }
    entropy_observer o;
    o.observe(x);
    const real_range r = o.range();
    EXPECT_EQ(r.min, -r.max);
    // Max |x| is 69; int8 KL calibration of N(0, 1) keeps a few standard deviations.
    EXPECT_GT(r.max, 2.0f);
    EXPECT_LT(r.max, 8.0f);
    RecordProperty("threshold", std::to_string(r.max));
}

TEST(entropy_observer, keeps_the_range_of_bounded_uniform_data) {
    // Uniform data has no tail to cut: the best threshold lies near the maximum.
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> x(200000);
    for (float& v : x) v = u(rng);
    entropy_observer o;
    o.observe(x);
    EXPECT_GT(o.range().max, 0.9f);
    EXPECT_LE(o.range().max, 1.0f);
    entropy_observer z;
    const float zeros[] = {0, 0};
    z.observe(zeros);
    EXPECT_EQ(z.range(), (real_range{0, 0}));
}
