// Golden tests for q5_0: byte-exact quantization (with and without importance matrix), exact
// dequantization, ggml's vec_dot, ggml's accuracy thresholds, and argument errors.
#include <qforge/block/q5_0.hpp>

#include <type_traits>
#include <vector>

#include "support/format_golden.hpp"

using namespace qforge;

TEST(q5_0, layout) {
    static_assert(sizeof(q5_0::block) == 22);
    static_assert(q5_0::bits_per_weight == 5.5);
    static_assert(q5_0::type_id == ggml_type::q5_0);
    static_assert(std::is_same_v<q5_0::dot_partner, q8_0>);
}

TEST(q5_0, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<q5_0>("q5_0", false);
}

TEST(q5_0, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<q5_0>("q5_0", true);
}

TEST(q5_0, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_dot<q5_0>("q5_0");
}

TEST(q5_0, ggml_accuracy_thresholds) { qforge_test::expect_ggml_accuracy<q5_0>(); }

TEST(q5_0, shape_errors_are_clear) {
    std::vector<float> x(64), im(63), y(33);
    std::vector<q5_0::block> q(1), q2(2);
    EXPECT_THROW(q5_0::quantize(x, q), qforge::error);
    EXPECT_THROW(q5_0::quantize(x, q2, im), qforge::error);
    EXPECT_THROW(q5_0::dequantize(q, y), qforge::error);
    std::vector<q8_0::block> a(64 / q8_0::block_size - 1);
    EXPECT_THROW((void)q5_0::dot(q2, a), qforge::error);
}
