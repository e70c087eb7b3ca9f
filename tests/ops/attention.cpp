// Grouped-query causal attention against a double-precision reference.
#include <qforge/ops/attention.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace qforge;

TEST(ops, gqa_attention_matches_reference_and_reads_only_the_past) {
    const attention_shape s{4, 2, 8}; // two query heads share each KV head
    const std::size_t dim = 32, kv = 16, ctx = 6;
    std::mt19937 rng(7);
    std::normal_distribution<float> d;
    std::vector<float> q(dim), K(ctx * kv), V(ctx * kv);
    for (auto& x : q) x = d(rng);
    for (auto& x : K) x = d(rng);
    for (auto& x : V) x = d(rng);
    for (std::size_t n_ctx = 1; n_ctx <= ctx; ++n_ctx) {
        std::vector<float> scores(s.n_heads * n_ctx), out(dim);
        std::size_t max_read = 0;
        auto row = [&](const std::vector<float>& m) {
            return [&, pm = &m](std::size_t t) {
                max_read = std::max(max_read, t + 1);
                return std::span<const float>(pm->data() + t * kv, kv);
            };
        };
        attention(std::span<const float>(q), s, n_ctx, row(K), row(V), scores, out);
        EXPECT_LE(max_read, n_ctx); // causal: nothing after the current position is read
        for (std::size_t h = 0; h < s.n_heads; ++h) {
            const std::size_t g = h / 2;
            std::vector<double> p(n_ctx);
            double mx = -1e300, sum = 0;
            for (std::size_t t = 0; t < n_ctx; ++t) {
                double dot = 0;
                for (std::size_t i = 0; i < 8; ++i) dot += double(q[h * 8 + i]) * K[t * kv + g * 8 + i];
                p[t] = dot / std::sqrt(8.0);
                mx = std::max(mx, p[t]);
            }
            for (auto& v : p) sum += (v = std::exp(v - mx));
            for (std::size_t i = 0; i < 8; ++i) {
                double want = 0;
                for (std::size_t t = 0; t < n_ctx; ++t) want += p[t] / sum * V[t * kv + g * 8 + i];
                EXPECT_NEAR(out[h * 8 + i], want, 1e-5);
            }
        }
    }
    std::vector<float> scores(4), out(dim);
    auto krow = [&](std::size_t t) { return std::span<const float>(K.data() + t * kv, kv); };
    EXPECT_THROW(attention(std::span<const float>(q), s, 2, krow, krow, scores, out), error); // scores too small
    EXPECT_THROW(attention(std::span<const float>(q), attention_shape{4, 3, 8}, 1, krow, krow, scores, out), error);
}
