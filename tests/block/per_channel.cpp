// Tests for per_channel<T, Symmetric>: the run-time row API (ONNX arithmetic, known answers), the whole-row
// block format, byte layout, error bounds and the dot product with q8_0.
#include <qforge/block/per_channel.hpp>

#include <cstring>

#include "block/generic_support.hpp"

using namespace qforge;

TEST(per_channel, symmetric_int8_rows) {
    // Row 0: max |x| = 1.27 -> scale 0.01, codes round_half_even(x / 0.01).
    // Row 1: max |x| = 2.54 -> scale 0.02; 0.03 / 0.02 = 1.5 rounds to even 2.
    const std::vector<float> x{-1.0f, 0.0f, 0.5f, 1.27f, 2.54f, -0.03f, 0.03f, -2.54f};
    using F = per_channel<std::int8_t, true>;
    const F::matrix m = F::quantize_rows(x, 2, 4);
    EXPECT_FLOAT_EQ(m.scale[0], 0.01f);
    EXPECT_FLOAT_EQ(m.scale[1], 0.02f);
    EXPECT_EQ(m.zero_point, (std::vector<std::int32_t>{0, 0}));
    EXPECT_EQ(m.q, (std::vector<std::int8_t>{-100, 0, 50, 127, 127, -2, 2, -127}));
    std::vector<float> y(8);
    F::dequantize_rows(m, y);
    for (std::size_t i = 0; i < 8; ++i) EXPECT_NEAR(y[i], x[i], m.scale[i / 4] / 2 * 1.0001f);
}

TEST(per_channel, asymmetric_uint8_matches_onnx_dynamic_quantize_linear) {
    // Each row is ONNX's DynamicQuantizeLinear example: scale 5/255, zero point 153.
    const std::vector<float> r{0, 2, -3, -2.5f, 1.34f, 0.5f};
    std::vector<float> x(r);
    for (float v : r) x.push_back(2 * v); // second row: scale 10/255, same codes
    using F = per_channel<std::uint8_t, false>;
    const F::matrix m = F::quantize_rows(x, 2, 6);
    EXPECT_EQ(m.zero_point, (std::vector<std::int32_t>{153, 153}));
    EXPECT_FLOAT_EQ(m.scale[0], 5.0f / 255);
    EXPECT_FLOAT_EQ(m.scale[1], 10.0f / 255);
    const std::vector<std::uint8_t> codes{153, 255, 0, 26, 221, 179};
    EXPECT_TRUE(std::equal(codes.begin(), codes.end(), m.q.begin()));
    EXPECT_TRUE(std::equal(codes.begin(), codes.end(), m.q.begin() + 6));
    EXPECT_THROW(F::quantize_rows(x, 3, 6), qforge::error);
}

TEST(per_channel, row_block_layout) {
    using S = per_channel<std::int8_t, true>::row<32>;
    using A = per_channel<std::int8_t, false>::row<64>;
    static_assert(sizeof(S::block) == 36);
    static_assert(sizeof(A::block) == 72);
    static_assert(S::bits_per_weight == 9.0);
    EXPECT_EQ(S::name, "per_channel_i8_sym_c32");
    EXPECT_EQ(A::name, "per_channel_i8_asym_c64");
    // Bytes: scale f32 LE, then the codes. x = k / 127 * 2 for k = i - 16: max |x| = 2 * 16 / 127... use a
    // row whose max |x| is 1.27 so that scale = 0.01 and codes are exact hundredths.
    std::vector<float> x(32);
    for (int i = 0; i < 32; ++i) x[i] = 0.01f * static_cast<float>(i * 4 - 64);
    x[31] = 1.27f;
    S::block b;
    S::quantize(x, std::span(&b, 1));
    float scale;
    std::memcpy(&scale, b.scale, 4);
    EXPECT_FLOAT_EQ(scale, 0.01f);
    EXPECT_EQ(b.qs[0], -64);
    EXPECT_EQ(b.qs[1], -60);
    EXPECT_EQ(b.qs[31], 127);
    // The row format and the run-time API agree.
    const auto m = per_channel<std::int8_t, true>::quantize_rows(x, 1, 32);
    EXPECT_EQ(0, std::memcmp(m.q.data(), b.qs, 32));
    EXPECT_EQ(0, std::memcmp(&m.scale[0], b.scale, 4));
}

TEST(per_channel, row_round_trip_bounds_and_asymmetric_zero_point) {
    using A = per_channel<std::int8_t, false>::row<64>;
    auto x = qforge_test::mixed_data(64 * 8, 16);
    for (std::size_t i = 0; i < 64; ++i) x[i] = 5.0f + 0.01f * static_cast<float>(i); // a positive-only row
    std::vector<A::block> q(8);
    A::quantize(x, q);
    std::vector<float> y(x.size());
    A::dequantize(q, y);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const auto p = A::params_of(q[i / 64]);
        EXPECT_LE(std::fabs(x[i] - y[i]), p.scale / 2 * 1.0001f) << i;
    }
    EXPECT_EQ(A::params_of(q[0]).zero_point, -128); // range widened to [0, max]: 0 sits at the grid's bottom
}

TEST(per_channel, dot_with_q8_0) {
    const auto w = qforge_test::mixed_data(128 * 4, 17);
    const auto a = qforge_test::gaussian_data(128 * 4, 18);
    qforge_test::check_dot<per_channel<std::int8_t, true>::row<128>>(w, a);
    qforge_test::check_dot<per_channel<std::int8_t, false>::row<128>>(w, a);
    qforge_test::check_dot<per_channel<std::uint8_t, false>::row<64>>(w, a);
    qforge_test::check_dot<per_channel<std::uint8_t, true>::row<32>>(w, a);
}

TEST(per_channel, nan_is_an_error) {
    std::vector<float> x(32, 1.0f);
    x[4] = std::nanf("");
    std::vector<per_channel<std::int8_t, true>::row<32>::block> q(1);
    EXPECT_THROW((per_channel<std::int8_t, true>::row<32>::quantize(x, q)), qforge::error);
}
