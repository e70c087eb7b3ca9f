// RMSNorm, RoPE (both layouts), softmax, SwiGLU and embedding lookup against double-precision formulas.
#include <qforge/block/q8_0.hpp>
#include <qforge/ops/activation.hpp>
#include <qforge/ops/embedding.hpp>
#include <qforge/ops/norm.hpp>
#include <qforge/ops/rope.hpp>
#include <qforge/ops/softmax.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace qforge;

namespace {
std::vector<float> random_vec(std::size_t n, unsigned seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}
} // namespace

TEST(ops, rms_norm_matches_formula) {
    const auto x = random_vec(64, 1, 3.0f), w = random_vec(64, 2);
    std::vector<float> y(64);
    rms_norm(x, w, 1e-5f, y);
    double ss = 0;
    for (float v : x) ss += double(v) * v;
    const double scale = 1.0 / std::sqrt(ss / 64 + 1e-5);
    for (std::size_t i = 0; i < 64; ++i) EXPECT_NEAR(y[i], x[i] * scale * w[i], 1e-5 * std::fabs(x[i] * scale * w[i]) + 1e-7);
    // eps matters for tiny inputs: all-zero input gives zeros, not NaN.
    std::vector<float> z(8, 0.0f), one(8, 1.0f), out(8, 5.0f);
    rms_norm(z, one, 1e-5f, out);
    for (float v : out) EXPECT_EQ(v, 0.0f);
    EXPECT_THROW(rms_norm(x, std::span(w).first(10), 1e-5f, y), error);
}

TEST(ops, rope_adjacent_and_neox_rotate_the_right_pairs) {
    const std::size_t hd = 8, pos = 7;
    const float base = 10000.0f;
    std::vector<float> cs(hd);
    rope_angles(pos, hd, base, cs);
    const auto x = random_vec(2 * hd, 3); // two heads
    for (const auto layout : {rope_layout::adjacent, rope_layout::neox}) {
        auto y = x;
        apply_rope(y, hd, cs, layout);
        for (std::size_t h = 0; h < 2; ++h)
            for (std::size_t i = 0; i < hd / 2; ++i) {
                const double theta = pos * std::pow(double(base), -2.0 * i / hd);
                const std::size_t a = h * hd + (layout == rope_layout::adjacent ? 2 * i : i);
                const std::size_t b = h * hd + (layout == rope_layout::adjacent ? 2 * i + 1 : i + hd / 2);
                EXPECT_NEAR(y[a], x[a] * std::cos(theta) - x[b] * std::sin(theta), 2e-6);
                EXPECT_NEAR(y[b], x[a] * std::sin(theta) + x[b] * std::cos(theta), 2e-6);
            }
    }
    // Position 0 is the identity.
    rope_angles(0, hd, base, cs);
    auto y = x;
    apply_rope(y, hd, cs, rope_layout::adjacent);
    EXPECT_EQ(y, x);
    EXPECT_THROW(rope_angles(0, 7, base, std::span(cs).first(7)), error);
    EXPECT_THROW(apply_rope(std::span(y).first(12), hd, cs, rope_layout::neox), error);
}

TEST(ops, softmax_is_stable_and_normalized) {
    std::vector<float> x{1000.0f, 1001.0f, 999.0f, -1e30f};
    softmax(x);
    const double e0 = std::exp(-1.0), e2 = std::exp(-2.0), s = e0 + 1 + e2;
    EXPECT_NEAR(x[0], e0 / s, 1e-7);
    EXPECT_NEAR(x[1], 1 / s, 1e-7);
    EXPECT_NEAR(x[2], e2 / s, 1e-7);
    EXPECT_EQ(x[3], 0.0f);
    std::vector<float> empty;
    EXPECT_THROW(softmax(empty), error);
}

TEST(ops, swiglu_matches_formula) {
    const auto g = random_vec(33, 4, 4.0f), u = random_vec(33, 5);
    std::vector<float> out(33);
    swiglu(g, u, out);
    for (std::size_t i = 0; i < 33; ++i) {
        const double want = g[i] / (1.0 + std::exp(-double(g[i]))) * u[i];
        EXPECT_NEAR(out[i], want, 1e-6 * std::fabs(want) + 1e-7);
    }
    EXPECT_THROW(swiglu(g, std::span(u).first(3), out), error);
}

TEST(ops, embedding_dequantizes_one_row) {
    const auto table = random_vec(5 * 64, 6);
    std::vector<q8_0::block> q(5 * 2);
    q8_0::quantize(table, q);
    const qmatrix_view<q8_0> view(q.data(), 5, 64);
    std::vector<float> row(64), want(64);
    embed(view, 3, row);
    q8_0::dequantize(std::span(q).subspan(6, 2), want);
    EXPECT_EQ(row, want);
    EXPECT_THROW(embed(view, 5, row), error);
    EXPECT_THROW(embed(view, 0, std::span(row).first(32)), error);
}
