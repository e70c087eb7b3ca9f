// Golden tests for tq2_0: byte-exact quantization, exact dequantization, ggml's vec_dot result and
// test-quantize-fns thresholds (ggml accepts no imatrix for ternary formats).
#include <qforge/block/tq2_0.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "block/kquant_checks.hpp"

using namespace qforge;

TEST(tq2_0, layout) {
    static_assert(sizeof(tq2_0::block) == 66);
    static_assert(tq2_0::bits_per_weight == 2.0625);
    static_assert(tq2_0::type_id == ggml_type::tq2_0);
    static_assert(!ImatrixFormat<tq2_0>);
}

TEST(tq2_0, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<tq2_0>(false);
}

TEST(tq2_0, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_dot<tq2_0>(true);
}

TEST(tq2_0, ggml_accuracy_thresholds) { kquant_checks::ggml_thresholds<tq2_0>(0.01f, 0.15f); }

TEST(tq2_0, shape_errors_are_clear) { kquant_checks::shape_errors<tq2_0>(); }

// The branch-free rounding of the common case agrees with lroundf, ties included, and non-finite input
// takes the lroundf path (no undefined conversions).
TEST(tq2_0, ternary_round_matches_lround) {
    float x[256];
    for (int i = 0; i < 256; ++i) x[i] = -1.0f + static_cast<float>(i) / 127.5f; // covers -1 .. 1
    x[10] = 0.5f;
    x[11] = -0.5f;
    x[12] = std::nextafter(0.5f, 0.0f);
    x[13] = -std::nextafter(0.5f, 0.0f);
    x[14] = -0.0f;
    std::uint8_t t1[256];
    block_detail::ternary_round(x, 1.0f, t1);
    for (int i = 0; i < 256; ++i) EXPECT_EQ(t1[i], static_cast<std::uint8_t>(std::lround(x[i]) + 1)) << x[i];
    x[20] = std::numeric_limits<float>::infinity();
    x[21] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> row(x, x + 256);
    std::vector<tq2_0::block> q(1);
    tq2_0::quantize(row, q); // must not trap; the other values still round like lroundf(x * 1/d)
    block_detail::ternary_round(x, 0.5f, t1);
    EXPECT_EQ(t1[0], static_cast<std::uint8_t>(std::lround(x[0] * 0.5f) + 1));
}
