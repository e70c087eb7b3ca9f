// Golden tests for q5_1: byte-exact quantization (with and without importance matrix), exact
// dequantization, ggml's vec_dot, ggml's accuracy thresholds, and argument errors.
#include <qforge/block/q5_1.hpp>

#include <type_traits>
#include <vector>

#include "support/format_golden.hpp"

using namespace qforge;

TEST(q5_1, layout) {
    static_assert(sizeof(q5_1::block) == 24);
    static_assert(q5_1::bits_per_weight == 6.0);
    static_assert(q5_1::type_id == ggml_type::q5_1);
    static_assert(std::is_same_v<q5_1::dot_partner, q8_1>);
}

TEST(q5_1, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<q5_1>("q5_1", false);
}

TEST(q5_1, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<q5_1>("q5_1", true);
}

TEST(q5_1, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_dot<q5_1>("q5_1", false);
}

TEST(q5_1, ggml_accuracy_thresholds) { qforge_test::expect_ggml_accuracy<q5_1>(); }

TEST(q5_1, shape_errors_are_clear) {
    std::vector<float> x(64), im(63), y(33);
    std::vector<q5_1::block> q(1), q2(2);
    EXPECT_THROW(q5_1::quantize(x, q), qforge::error);
    EXPECT_THROW(q5_1::quantize(x, q2, im), qforge::error);
    EXPECT_THROW(q5_1::dequantize(q, y), qforge::error);
    std::vector<q8_1::block> a(64 / q8_1::block_size - 1);
    EXPECT_THROW((void)q5_1::dot(q2, a), qforge::error);
}
