// Golden tests for q4_0: byte-exact quantization (with and without importance matrix), exact dequantization,
// ggml's vec_dot, ggml's accuracy thresholds, and argument errors.
#include <qforge/block/q4_0.hpp>

#include <vector>

#include "support/format_golden.hpp"

using namespace qforge;

TEST(q4_0, layout) {
    static_assert(sizeof(q4_0::block) == 18);
    static_assert(q4_0::bits_per_weight == 4.5);
    static_assert(q4_0::type_id == ggml_type::q4_0);
    static_assert(std::is_same_v<q4_0::dot_partner, q8_0>);
}

TEST(q4_0, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<q4_0>("q4_0", false);
}

TEST(q4_0, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<q4_0>("q4_0", true);
}

TEST(q4_0, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_dot<q4_0>("q4_0");
}

TEST(q4_0, ggml_accuracy_thresholds) { qforge_test::expect_ggml_accuracy<q4_0>(); }

TEST(q4_0, shape_errors_are_clear) {
    std::vector<float> x(64), im(63);
    std::vector<q4_0::block> q(1), q2(2);
    std::vector<float> y(33);
    EXPECT_THROW(q4_0::quantize(x, q), qforge::error);
    EXPECT_THROW(q4_0::quantize(x, q2, im), qforge::error);
    EXPECT_THROW(q4_0::dequantize(q, y), qforge::error);
    std::vector<q8_0::block> a(1);
    EXPECT_THROW((void)q4_0::dot(q2, a), qforge::error);
}
