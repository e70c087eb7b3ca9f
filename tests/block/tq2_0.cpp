// Golden tests for tq2_0: byte-exact quantization, exact dequantization, ggml's vec_dot result and
// test-quantize-fns thresholds (ggml accepts no imatrix for ternary formats).
#include <qforge/block/tq2_0.hpp>

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
