// Golden tests for f16: byte-exact conversion, exact widening, ggml's vec_dot, ggml's accuracy thresholds.
#include <qforge/block/f16.hpp>

#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "support/format_golden.hpp"

using namespace qforge;

TEST(f16_format, layout) {
    static_assert(sizeof(f16_format::block) == 2);
    static_assert(f16_format::bits_per_weight == 16.0);
    static_assert(f16_format::type_id == ggml_type::f16);
    static_assert(f16_format::name == "f16");
    static_assert(std::is_same_v<f16_format::dot_partner, f16_format>);
}

TEST(f16_format, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<f16_format>("f16", false);
}

TEST(f16_format, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_dot<f16_format>("f16");
}

TEST(f16_format, ggml_accuracy_thresholds) { qforge_test::expect_ggml_accuracy<f16_format>(); }

TEST(f16_format, special_values) {
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> x{0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN()};
    std::vector<f16_format::block> q(x.size());
    f16_format::quantize(x, q);
    std::vector<float> y(x.size());
    f16_format::dequantize(q, y);
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_FALSE(std::signbit(y[0]));
    EXPECT_TRUE(std::signbit(y[1]));
    EXPECT_EQ(y[2], inf);
    EXPECT_EQ(y[3], -inf);
    EXPECT_TRUE(std::isnan(y[4]));
}

TEST(f16_format, shape_errors_are_clear) {
    std::vector<float> x(3), y(1);
    std::vector<f16_format::block> q(2), q2(3);
    EXPECT_THROW(f16_format::quantize(x, q), qforge::error);
    EXPECT_THROW(f16_format::dequantize(q, y), qforge::error);
    EXPECT_THROW((void)f16_format::dot(q, q2), qforge::error);
}
