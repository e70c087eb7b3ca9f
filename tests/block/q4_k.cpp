// Golden tests for q4_k: byte-exact quantization (with and without imatrix), exact dequantization, ggml's
// vec_dot result and test-quantize-fns thresholds.
#include <qforge/block/q4_k.hpp>

#include "block/kquant_checks.hpp"

using namespace qforge;

TEST(q4_k, layout) {
    static_assert(sizeof(q4_k::block) == 144);
    static_assert(q4_k::bits_per_weight == 4.5);
    static_assert(q4_k::type_id == ggml_type::q4_k);
    static_assert(ImatrixFormat<q4_k>);
}

TEST(q4_k, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<q4_k>(false);
}

TEST(q4_k, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<q4_k>(true);
}

TEST(q4_k, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_dot<q4_k>(true);
}

TEST(q4_k, ggml_accuracy_thresholds) { kquant_checks::ggml_thresholds<q4_k>(0.002f, 0.02f); }

TEST(q4_k, shape_errors_are_clear) { kquant_checks::shape_errors<q4_k>(); }
