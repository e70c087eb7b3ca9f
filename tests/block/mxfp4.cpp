// Golden tests for mxfp4: byte-exact quantization, exact
// dequantization, ggml's vec_dot, ggml's accuracy thresholds, and argument errors.
#include <qforge/block/mxfp4.hpp>

#include <type_traits>
#include <vector>

#include "support/format_golden.hpp"

using namespace qforge;

TEST(mxfp4, layout) {
    static_assert(sizeof(mxfp4::block) == 17);
    static_assert(mxfp4::bits_per_weight == 4.25);
    static_assert(mxfp4::type_id == ggml_type::mxfp4);
    static_assert(std::is_same_v<mxfp4::dot_partner, q8_0>);
}

TEST(mxfp4, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<mxfp4>("mxfp4", false);
}

TEST(mxfp4, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_dot<mxfp4>("mxfp4");
}

TEST(mxfp4, ggml_accuracy_thresholds) { qforge_test::expect_ggml_accuracy<mxfp4>(); }

TEST(mxfp4, shape_errors_are_clear) {
    std::vector<float> x(64), im(63), y(33);
    std::vector<mxfp4::block> q(1), q2(2);
    EXPECT_THROW(mxfp4::quantize(x, q), qforge::error);
    EXPECT_THROW(mxfp4::dequantize(q, y), qforge::error);
    std::vector<q8_0::block> a(64 / q8_0::block_size - 1);
    EXPECT_THROW((void)mxfp4::dot(q2, a), qforge::error);
}
