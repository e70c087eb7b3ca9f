// Golden tests for tq1_0: byte-exact quantization, exact dequantization, ggml's vec_dot result and
// test-quantize-fns thresholds (ggml accepts no imatrix for ternary formats).
#include <qforge/block/tq1_0.hpp>

#include "block/kquant_checks.hpp"

using namespace qforge;

TEST(tq1_0, layout) {
    static_assert(sizeof(tq1_0::block) == 54);
    static_assert(tq1_0::bits_per_weight == 1.6875);
    static_assert(tq1_0::type_id == ggml_type::tq1_0);
    static_assert(!ImatrixFormat<tq1_0>);
}

TEST(tq1_0, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<tq1_0>(false);
}

TEST(tq1_0, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_dot<tq1_0>(true);
}

TEST(tq1_0, ggml_accuracy_thresholds) { kquant_checks::ggml_thresholds<tq1_0>(0.01f, 0.15f); }

TEST(tq1_0, shape_errors_are_clear) { kquant_checks::shape_errors<tq1_0>(); }
