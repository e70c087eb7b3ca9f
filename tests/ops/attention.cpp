// Grouped-query causal attention against a double-precision reference.
#include <qforge/ops/attention.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
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

// attention_block (prompt queries side by side in vector lanes) gives every query the bits of attention() for that
// query alone, for any block size 1..16 and start position, reads only positions its last query may see, and
// rejects bad shapes.
TEST(ops, attention_block_equals_one_query_at_a_time_bit_for_bit) {
    for (const attention_shape s : {attention_shape{4, 2, 8}, attention_shape{12, 12, 64}, attention_shape{3, 1, 5}}) {
        const std::size_t dim = s.n_heads * s.head_dim, kv = s.n_kv_heads * s.head_dim, ctx = 41;
        std::mt19937 rng(11);
        std::normal_distribution<float> d;
        std::vector<float> q(16 * dim), K(ctx * kv), V(ctx * kv);
        for (auto& x : q) x = d(rng);
        for (auto& x : K) x = 2.0f * d(rng);
        for (auto& x : V) x = d(rng);
        std::size_t max_read = 0;
        const auto krow = [&](std::size_t t) {
            max_read = std::max(max_read, t + 1);
            return std::span<const float>(K.data() + t * kv, kv);
        };
        const auto vrow = [&](std::size_t t) { return std::span<const float>(V.data() + t * kv, kv); };
        std::vector<float> qt(attention_block_work(s)), scores(attention_block_scores(s, ctx)), one(s.n_heads * ctx);
        for (const std::size_t p0 : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{25}})
            for (std::size_t m = 1; m <= 16 && p0 + m <= ctx; m += (m < 4 ? 1 : 5)) {
                std::vector<float> out(m * dim, NAN), want(dim);
                max_read = 0;
                attention_block(std::span<const float>(q.data(), m * dim), m, s, p0, krow, vrow, qt, scores, out);
                EXPECT_EQ(max_read, p0 + m);
                for (std::size_t j = 0; j < m; ++j) {
                    attention(std::span<const float>(q.data() + j * dim, dim), s, p0 + j + 1, krow, vrow, one, want);
                    ASSERT_EQ(std::memcmp(out.data() + j * dim, want.data(), dim * sizeof(float)), 0)
                        << "heads " << s.n_heads << ", p0 " << p0 << ", m " << m << ", query " << j;
                }
            }
    }
    const attention_shape s{4, 2, 8};
    std::vector<float> q(17 * 32), K(20 * 16), qt(attention_block_work(s)), scores(attention_block_scores(s, 20)), out(17 * 32);
    const auto krow = [&](std::size_t t) { return std::span<const float>(K.data() + t * 16, 16); };
    EXPECT_THROW(attention_block(std::span<const float>(q), 17, s, 0, krow, krow, qt, scores, std::span<float>(out)), error);
    EXPECT_THROW(attention_block(std::span<const float>(q.data(), 32), 1, s, 0, krow, krow,
                                 std::span<float>(qt).first(10), scores, std::span<float>(out).first(32)), error);
    EXPECT_THROW(attention_block(std::span<const float>(q.data(), 32), 1, attention_shape{4, 3, 8}, 0, krow, krow, qt,
                                 scores, std::span<float>(out).first(32)), error);
}
