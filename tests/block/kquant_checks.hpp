// tests/block/kquant_checks.hpp: the golden and accuracy checks shared by the K-quant, iq4_xs and ternary
// format tests (tests/block/{q2_k,...,tq2_0}.cpp). Each test file instantiates them for its format.
#pragma once

#include <qforge/block/q8_k.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "support/golden.hpp"

namespace kquant_checks {

using qforge_test::golden_quant_dir;

inline std::vector<float> input(const std::string& name) {
    return qforge_test::read_f32(golden_quant_dir() / "inputs" / (name + ".f32"));
}

// Quantizes every golden input (with the imatrix when `imatrix`), requires ggml's bytes, then dequantizes
// ggml's bytes and requires ggml's floats bit for bit.
template <class F>
void golden_roundtrip(bool imatrix) {
    const auto dir = golden_quant_dir() / std::string(F::name);
    const auto qw = input("imatrix");
    const std::string suffix = imatrix ? ".imatrix" : "";
    for (const auto& in : qforge_test::golden_inputs()) {
        SCOPED_TRACE(in + suffix);
        const auto x = input(in);
        const auto want_q = qforge_test::read_bytes(dir / (in + suffix + ".q"));
        const auto want_y = qforge_test::read_f32(dir / (in + suffix + ".deq.f32"));
        std::vector<typename F::block> q(x.size() / F::block_size);
        if constexpr (qforge::ImatrixFormat<F>) {
            if (imatrix) F::quantize(x, q, qw);
            else F::quantize(x, q);
        } else {
            F::quantize(x, q);
        }
        ASSERT_EQ(want_q.size(), q.size() * sizeof(typename F::block));
        const auto* got = reinterpret_cast<const unsigned char*>(q.data());
        std::size_t first_diff = want_q.size();
        for (std::size_t b = 0; b < want_q.size(); ++b)
            if (got[b] != want_q[b]) {
                first_diff = b;
                break;
            }
        EXPECT_EQ(first_diff, want_q.size()) << "first differing byte " << first_diff << " (block "
                                             << first_diff / sizeof(typename F::block) << ")";
        // Dequantize ggml's own bytes, so that this check stands even where quantization differs.
        const auto ggml_q = qforge_test::as_blocks<typename F::block>(want_q);
        std::vector<float> y(x.size());
        F::dequantize(ggml_q, y);
        ASSERT_EQ(want_y.size(), y.size());
        EXPECT_EQ(0, std::memcmp(want_y.data(), y.data(), y.size() * 4));
    }
}

// ggml's vec_dot of gauss.q with dot.act.q (ggml's q8_k of uniform.f32): our q8_k must give those activation
// bytes, and our reference dot the same result within 1e-5 relative; where our dot reproduces the
// summation order of ggml's x86 kernel (`bit_exact`), the very same float.
template <class F>
void golden_dot(bool bit_exact) {
    const auto dir = golden_quant_dir() / std::string(F::name);
    const auto w = qforge_test::as_blocks<typename F::block>(qforge_test::read_bytes(dir / "gauss.q"));
    const auto act_bytes = qforge_test::read_bytes(dir / "dot.act.q");
    const auto a = qforge_test::as_blocks<qforge::q8_k::block>(act_bytes);
    const float want = qforge_test::read_f32(dir / "dot.f32").at(0);
    const auto u = input("uniform");
    std::vector<qforge::q8_k::block> ours(u.size() / 256);
    qforge::q8_k::quantize(u, ours);
    ASSERT_EQ(act_bytes.size(), ours.size() * sizeof(qforge::q8_k::block));
    EXPECT_EQ(0, std::memcmp(ours.data(), act_bytes.data(), act_bytes.size()));
    const float got = F::dot(w, a);
    EXPECT_NEAR(got, want, 1e-5 * std::fabs(want));
    if (bit_exact) {
        EXPECT_EQ(got, want);
    }
}

// ggml's test-quantize-fns on its synthetic input 0.1 + 2 cos(i + offset), n = 4096: "total quantization
// error" sqrt(sum (x - deq)^2) / n and "dot product error" |dot(q(x), q8_k(y)) - x.y| / n must stay below
// the thresholds ggml sets for the format.
template <class F>
void ggml_thresholds(float max_quant_error, float max_dot_error) {
    constexpr std::size_t n = 32 * 128;
    std::vector<float> x(n), x2(n);
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = static_cast<float>(0.1 + 2 * std::cos(static_cast<float>(i) + 0.0f));
        x2[i] = static_cast<float>(0.1 + 2 * std::cos(static_cast<float>(i) + 1.0f));
    }
    std::vector<typename F::block> q(n / F::block_size);
    F::quantize(x, q);
    std::vector<float> y(n);
    F::dequantize(q, y);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(x[i]) - y[i];
        sum += d * d;
    }
    const double quant_error = std::sqrt(sum) / n;
    EXPECT_LT(quant_error, max_quant_error);
    EXPECT_GT(quant_error, 0.0); // a lossy format that reproduces cos() exactly would mean a broken check

    std::vector<qforge::q8_k::block> a(n / 256);
    qforge::q8_k::quantize(x2, a);
    double ref = 0;
    for (std::size_t i = 0; i < n; ++i) ref += static_cast<double>(x[i] * x2[i]);
    const double dot_error = std::fabs(F::dot(q, a) - static_cast<float>(ref)) / n;
    EXPECT_LT(dot_error, max_dot_error);
}

// Wrong sizes are rejected with qforge::error, never read or written out of bounds.
template <class F>
void shape_errors() {
    std::vector<float> x(F::block_size + 1);
    std::vector<typename F::block> q(1);
    EXPECT_THROW(F::quantize(x, q), qforge::error);
    std::vector<float> y(F::block_size - 1);
    EXPECT_THROW(F::dequantize(q, y), qforge::error);
    std::vector<typename F::dot_partner::block> a(2);
    EXPECT_THROW((void)F::dot(q, a), qforge::error);
    if constexpr (qforge::ImatrixFormat<F>) {
        std::vector<float> xx(F::block_size), qw(F::block_size - 1);
        EXPECT_THROW(F::quantize(xx, q, qw), qforge::error);
    }
}

} // namespace kquant_checks
