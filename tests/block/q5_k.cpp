// Golden tests for q5_k: byte-exact quantization (with and without imatrix), exact dequantization, ggml's
// vec_dot result and test-quantize-fns thresholds.
#include <qforge/block/q5_k.hpp>

#include "block/kquant_checks.hpp"

using namespace qforge;

TEST(q5_k, layout) {
    static_assert(sizeof(q5_k::block) == 176);
    static_assert(q5_k::bits_per_weight == 5.5);
    static_assert(q5_k::type_id == ggml_type::q5_k);
    static_assert(ImatrixFormat<q5_k>);
}

TEST(q5_k, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<q5_k>(false);
}

TEST(q5_k, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<q5_k>(true);
}

TEST(q5_k, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_dot<q5_k>(true);
}

TEST(q5_k, ggml_accuracy_thresholds) { kquant_checks::ggml_thresholds<q5_k>(0.002f, 0.02f); }

TEST(q5_k, shape_errors_are_clear) { kquant_checks::shape_errors<q5_k>(); }
