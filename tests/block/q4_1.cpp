// Golden tests for q4_1: byte-exact quantization (with and without importance matrix), exact
// dequantization, ggml's vec_dot, ggml's accuracy thresholds, and argument errors.
#include <qforge/block/q4_1.hpp>

#include <type_traits>
#include <vector>

#include "support/format_golden.hpp"

using namespace qforge;

TEST(q4_1, layout) {
    static_assert(sizeof(q4_1::block) == 20);
    static_assert(q4_1::bits_per_weight == 5.0);
    static_assert(q4_1::type_id == ggml_type::q4_1);
    static_assert(std::is_same_v<q4_1::dot_partner, q8_1>);
}

TEST(q4_1, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<q4_1>("q4_1", false);
}

TEST(q4_1, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<q4_1>("q4_1", true);
}

TEST(q4_1, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_dot<q4_1>("q4_1", false);
}

TEST(q4_1, ggml_accuracy_thresholds) { qforge_test::expect_ggml_accuracy<q4_1>(); }

TEST(q4_1, shape_errors_are_clear) {
    std::vector<float> x(64), im(63), y(33);
    std::vector<q4_1::block> q(1), q2(2);
    EXPECT_THROW(q4_1::quantize(x, q), qforge::error);
    EXPECT_THROW(q4_1::quantize(x, q2, im), qforge::error);
    EXPECT_THROW(q4_1::dequantize(q, y), qforge::error);
    std::vector<q8_1::block> a(64 / q8_1::block_size - 1);
    EXPECT_THROW((void)q4_1::dot(q2, a), qforge::error);
}
