// Golden tests for iq4_nl: byte-exact quantization (with and without importance matrix), exact
// dequantization, ggml's vec_dot, ggml's accuracy thresholds, and argument errors.
#include <qforge/block/iq4_nl.hpp>

#include <type_traits>
#include <vector>

#include "support/format_golden.hpp"

using namespace qforge;

TEST(iq4_nl, layout) {
    static_assert(sizeof(iq4_nl::block) == 18);
    static_assert(iq4_nl::bits_per_weight == 4.5);
    static_assert(iq4_nl::type_id == ggml_type::iq4_nl);
    static_assert(std::is_same_v<iq4_nl::dot_partner, q8_0>);
}

TEST(iq4_nl, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<iq4_nl>("iq4_nl", false);
}

TEST(iq4_nl, golden_quantize_with_imatrix) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<iq4_nl>("iq4_nl", true);
}

TEST(iq4_nl, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_dot<iq4_nl>("iq4_nl");
}

TEST(iq4_nl, ggml_accuracy_thresholds) { qforge_test::expect_ggml_accuracy<iq4_nl>(); }

TEST(iq4_nl, shape_errors_are_clear) {
    std::vector<float> x(64), im(63), y(33);
    std::vector<iq4_nl::block> q(1), q2(2);
    EXPECT_THROW(iq4_nl::quantize(x, q), qforge::error);
    EXPECT_THROW(iq4_nl::quantize(x, q2, im), qforge::error);
    EXPECT_THROW(iq4_nl::dequantize(q, y), qforge::error);
    std::vector<q8_0::block> a(64 / q8_0::block_size - 1);
    EXPECT_THROW((void)iq4_nl::dot(q2, a), qforge::error);
}
