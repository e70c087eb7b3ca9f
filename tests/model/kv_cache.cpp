// The KV cache stores rows exactly (f32), rounded to half (f16) or quantized to q8_0 blocks.
#include <qforge/model/kv_cache.hpp>

#include <gtest/gtest.h>

#include <random>

using namespace qforge;

template <class Kv>
void round_trip(auto&& expect_row) {
    kv_cache<Kv> c(2, 3, 64);
    std::mt19937 rng(1);
    std::normal_distribution<float> d;
    std::vector<float> k(64), v(64), scratch(64);
    for (auto& x : k) x = d(rng);
    for (auto& x : v) x = d(rng);
    c.store(1, 2, k, v);
    const auto kr = c.key(1, 2, scratch);
    expect_row(k, std::vector<float>(kr.begin(), kr.end()));
    const auto vr = c.value(1, 2, scratch);
    expect_row(v, std::vector<float>(vr.begin(), vr.end()));
    EXPECT_THROW(c.store(2, 0, k, v), error);
    EXPECT_THROW(c.store(0, 3, k, v), error);
    EXPECT_THROW(c.store(0, 0, std::span(k).first(32), v), error);
    EXPECT_THROW((void)c.key(0, 3, scratch), error);
}

TEST(kv_cache, f32_is_exact) {
    round_trip<kv_f32>([](const auto& want, const auto& got) { EXPECT_EQ(got, want); });
    EXPECT_EQ(kv_cache<kv_f32>(2, 3, 64).bytes(), 2u * 2 * 3 * 64 * 4);
}

TEST(kv_cache, f16_rounds_each_value) {
    round_trip<kv_f16>([](const auto& want, const auto& got) {
        for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], f16::from_float(want[i]).to_float());
    });
    EXPECT_EQ(kv_cache<kv_f16>(2, 3, 64).bytes(), 2u * 2 * 3 * 64 * 2);
}

TEST(kv_cache, q8_0_quantizes_rows) {
    round_trip<kv_q8_0>([](const auto& want, const auto& got) {
        std::vector<q8_0::block> q(2);
        q8_0::quantize(want, q);
        std::vector<float> deq(64);
        q8_0::dequantize(q, deq);
        EXPECT_EQ(got, deq);
    });
    EXPECT_EQ(kv_cache<kv_q8_0>(2, 3, 64).bytes(), 2u * 2 * 3 * 2 * 34);
    EXPECT_THROW(kv_cache<kv_q8_0>(1, 1, 48), error);
}
