// Golden tests for q6_k: byte-exact quantization (with and without imatrix), exact dequantization, ggml's
// vec_dot result and test-quantize-fns thresholds.
#include <qforge/block/q6_k.hpp>

#include "block/kquant_checks.hpp"

using namespace qforge;

TEST(q6_k, layout) {
    static_assert(sizeof(q6_k::block) == 210);
    static_assert(q6_k::bits_per_weight == 6.5625);
    static_assert(q6_k::type_id == ggml_type::q6_k);
    static_assert(ImatrixFormat<q6_k>);
}

TEST(q6_k, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<q6_k>(false);
}

TEST(q6_k, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_roundtrip<q6_k>(true);
}

TEST(q6_k, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    kquant_checks::golden_dot<q6_k>(true);
}

TEST(q6_k, ggml_accuracy_thresholds) { kquant_checks::ggml_thresholds<q6_k>(0.002f, 0.02f); }

TEST(q6_k, shape_errors_are_clear) { kquant_checks::shape_errors<q6_k>(); }
