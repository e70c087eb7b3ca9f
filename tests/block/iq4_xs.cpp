// Golden tests for iq4_xs: byte-exact quantization (with and without imatrix), exact dequantization, ggml's
// vec_dot result and test-quantize-fns thresholds.
#include <qforge/block/iq4_xs.hpp>

#include <cmath>

#include "block/kquant_checks.hpp"

using namespace qforge;

TEST(iq4_xs, layout) {
    static_assert(sizeof(iq4_xs::block) == 136);
    static_assert(iq4_xs::bits_per_weight == 4.25);
    static_assert(iq4_xs::type_id == ggml_type::iq4_xs);
    static_assert(ImatrixFormat<iq4_xs>);
}

TEST(iq4_xs, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<iq4_xs>(false);
}

TEST(iq4_xs, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<iq4_xs>(true);
}

TEST(iq4_xs, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_dot<iq4_xs>(true);
}

TEST(iq4_xs, ggml_accuracy_thresholds) { kquant_checks::ggml_thresholds<iq4_xs>(0.002f, 0.02f); }

TEST(iq4_xs, shape_errors_are_clear) { kquant_checks::shape_errors<iq4_xs>(); }

// The scalar level search (shared with iq4_nl) against a brute-force nearest level; a tie goes up.
TEST(iq4_xs, best_index_is_nearest_level) {
    for (float x = -140.0f; x <= 140.0f; x += 0.25f) {
        int want = 0;
        for (int k = 1; k < 16; ++k) {
            const float dk = std::fabs(x - block_detail::iq4_levels[k]);
            const float dw = std::fabs(x - block_detail::iq4_levels[want]);
            if (dk <= dw) want = k;
        }
        EXPECT_EQ(block_detail::iq4_best_index(x), want) << x;
    }
}
