// tests/support/format_golden.hpp: the golden checks every ggml block format shares (byte-exact quantization,
// exact dequantization, ggml's activation bytes and vec_dot result) and ggml's test-quantize-fns accuracy
// check. A format's test file calls these with its own folder under ../shared/golden/quant.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "support/golden.hpp"

namespace qforge_test {

// Quantizes every golden input (optionally with inputs/imatrix.f32) and compares with ggml's bytes, then
// dequantizes our bytes and compares with ggml's floats, bit for bit.
template <class F>
void expect_golden_roundtrip(const std::string& folder, bool with_imatrix) {
    const auto dir = golden_quant_dir();
    std::vector<float> imatrix;
    if (with_imatrix) imatrix = read_f32(dir / "inputs" / "imatrix.f32");
    for (const auto& in : golden_inputs()) {
        SCOPED_TRACE(in + (with_imatrix ? " (imatrix)" : ""));
        const std::string stem = in + (with_imatrix ? ".imatrix" : "");
        const auto x = read_f32(dir / "inputs" / (in + ".f32"));
        const auto want_q = read_bytes(dir / folder / (stem + ".q"));
        std::vector<typename F::block> q(x.size() / F::block_size);
        if constexpr (requires { F::quantize(x, std::span(q), imatrix); }) {
            if (with_imatrix)
                F::quantize(x, q, imatrix);
            else
                F::quantize(x, q);
        } else {
            ASSERT_FALSE(with_imatrix);
            F::quantize(x, q);
        }
        ASSERT_EQ(want_q.size(), q.size() * sizeof(typename F::block));
        EXPECT_EQ(0, std::memcmp(want_q.data(), q.data(), want_q.size())) << "quantized bytes differ from ggml's";
        const auto deq_path = dir / folder / (stem + ".deq.f32");
        if (!std::filesystem::exists(deq_path)) continue; // activation formats: ggml has no to_float
        const auto want_y = read_f32(deq_path);
        std::vector<float> y(x.size());
        F::dequantize(q, y);
        ASSERT_EQ(want_y.size(), y.size());
        EXPECT_EQ(0, std::memcmp(want_y.data(), y.data(), y.size() * sizeof(float)))
            << "dequantized floats differ from ggml's";
    }
}

// Our quantization of inputs/uniform.f32 into the dot partner equals ggml's activations (dot.act.q), and our
// reference dot of gauss.q with those activations is within 1e-5 (relative) of ggml's vec_dot.
// exact_from_values: the dot is a function of the dequantized values alone; false for q4_1/q5_1, whose dot
// uses q8_1's separately rounded sum field s for the offset term.
template <class F>
void expect_golden_dot(const std::string& folder, bool exact_from_values = true) {
    using A = typename F::dot_partner;
    const auto dir = golden_quant_dir() / folder;
    const auto u = read_f32(golden_quant_dir() / "inputs" / "uniform.f32");
    std::vector<typename A::block> act(u.size() / A::block_size);
    A::quantize(u, act);
    const auto want_act = read_bytes(dir / "dot.act.q");
    ASSERT_EQ(want_act.size(), act.size() * sizeof(typename A::block));
    EXPECT_EQ(0, std::memcmp(want_act.data(), act.data(), want_act.size())) << "activation bytes differ";
    const auto w = as_blocks<typename F::block>(read_bytes(dir / "gauss.q"));
    ASSERT_EQ(w.size(), act.size() * A::block_size / F::block_size);
    const float want = read_f32(dir / "dot.f32").at(0);
    const float got = F::dot(w, act);
    // ggml's vec_dot sums the per-block terms in its SIMD lane order, our reference in block order; both are
    // float sums of 128 terms, whose rounding error is bounded by about n * eps * sum|term| (7.6e-6 of it),
    // not by the size of the result, which cancellation can make small (q4_0: 1.15e-5 of |result| apart).
    // So the tolerance is 1e-5 of the larger of |result| and sum|term|, and the exact sum (in double, from
    // the dequantized blocks) must be within the same bound of ours.
    std::vector<float> wy(w.size() * F::block_size), ay(act.size() * A::block_size);
    F::dequantize(w, wy);
    A::dequantize(act, ay);
    double exact = 0, magnitude = 0;
    for (std::size_t b = 0; b < act.size(); ++b) {
        double term = 0;
        for (std::size_t j = b * A::block_size; j < (b + 1) * A::block_size; ++j) term += double(wy[j]) * ay[j];
        exact += term;
        magnitude += std::fabs(term);
    }
    const double tol = 1e-5 * std::max<double>(std::fabs(want), magnitude);
    EXPECT_NEAR(got, want, tol) << "sum of |block terms| = " << magnitude;
    if (exact_from_values) {
        EXPECT_NEAR(got, exact, tol);
    }
}

// ggml's test-quantize-fns: data 0.1 + 2 cos(i + offset), n = 4096; "error" = sqrt(sum sq diff) / n.
inline std::vector<float> ggml_synthetic(float offset, std::size_t n = 4096) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(0.1 + 2 * std::cos(static_cast<float>(i) + offset));
    return v;
}

inline double ggml_error(const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = a[i] - b[i];
        sum += d * d;
    }
    return std::sqrt(sum) / static_cast<double>(a.size());
}

// Round-trip error below ggml's MAX_QUANTIZATION_TOTAL_ERROR and dot error below MAX_DOT_PRODUCT_ERROR.
template <class F>
void expect_ggml_accuracy(double max_total_error = 0.002, double max_dot_error = 0.02) {
    using A = typename F::dot_partner;
    const auto x = ggml_synthetic(0.0f);
    const auto x2 = ggml_synthetic(1.0f);
    std::vector<typename F::block> q(x.size() / F::block_size);
    F::quantize(x, q);
    std::vector<float> y(x.size());
    F::dequantize(q, y);
    const double err = ggml_error(x, y);
    EXPECT_LT(err, max_total_error);
    std::vector<typename A::block> a(x2.size() / A::block_size);
    A::quantize(x2, a);
    double ref = 0;
    for (std::size_t i = 0; i < x.size(); ++i) ref += x[i] * x2[i];
    const double dot_err = std::fabs(F::dot(q, a) - static_cast<float>(ref)) / static_cast<double>(x.size());
    EXPECT_LT(dot_err, max_dot_error);
    // Not vacuous: the quantized row is not the input itself (except for the 16-bit formats' exact values).
    EXPECT_GT(err, 0.0);
}

} // namespace qforge_test
