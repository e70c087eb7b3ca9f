// Golden tests for q3_k: byte-exact quantization (with and without imatrix), exact dequantization, ggml's
// vec_dot result and test-quantize-fns thresholds.
#include <qforge/block/q3_k.hpp>

#include "block/kquant_checks.hpp"

using namespace qforge;

TEST(q3_k, layout) {
    static_assert(sizeof(q3_k::block) == 110);
    static_assert(q3_k::bits_per_weight == 3.4375);
    static_assert(q3_k::type_id == ggml_type::q3_k);
    static_assert(ImatrixFormat<q3_k>);
}

TEST(q3_k, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<q3_k>(false);
}

TEST(q3_k, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<q3_k>(true);
}

TEST(q3_k, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_dot<q3_k>(true);
}

TEST(q3_k, ggml_accuracy_thresholds) { kquant_checks::ggml_thresholds<q3_k>(0.0040f, 0.02f); }

TEST(q3_k, shape_errors_are_clear) { kquant_checks::shape_errors<q3_k>(); }
