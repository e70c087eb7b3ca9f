// Golden tests for q2_k: byte-exact quantization (with and without imatrix), exact dequantization, ggml's
// vec_dot result and test-quantize-fns thresholds.
#include <qforge/block/q2_k.hpp>

#include "block/kquant_checks.hpp"

using namespace qforge;

TEST(q2_k, layout) {
    static_assert(sizeof(q2_k::block) == 84);
    static_assert(q2_k::bits_per_weight == 2.625);
    static_assert(q2_k::type_id == ggml_type::q2_k);
    static_assert(ImatrixFormat<q2_k>);
}

TEST(q2_k, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<q2_k>(false);
}

TEST(q2_k, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<q2_k>(true);
}

TEST(q2_k, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_dot<q2_k>(true);
}

TEST(q2_k, ggml_accuracy_thresholds) { kquant_checks::ggml_thresholds<q2_k>(0.0075f, 0.04f); }

TEST(q2_k, shape_errors_are_clear) { kquant_checks::shape_errors<q2_k>(); }
