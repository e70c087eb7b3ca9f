// Tests for binary<GroupSize> (1-bit signs with a mean-|x| scale): layout, hand-packed bytes, exact
// reconstruction, the optimal-scale property and the dot product with q8_0.
#include <qforge/block/binary.hpp>

#include <cstring>

#include "block/generic_support.hpp"

using namespace qforge;

TEST(binary, layout) {
    static_assert(sizeof(binary<32>::block) == 6);
    static_assert(binary<32>::bits_per_weight == 1.5);
    static_assert(sizeof(binary<256>::block) == 34);
    static_assert(binary<128>::bits_per_weight == 1.125);
    EXPECT_EQ(binary<64>::name, "binary_g64");
}

TEST(binary, packs_signs_by_hand) {
    // Signs + - - + + + - + then all +: mean |x| = (1+2+3+4+5+6+7+8 + 24 * 2) / 32 = 84 / 32 = 2.625.
    std::vector<float> x{1, -2, -3, 4, 5, 6, -7, 8};
    x.resize(32, 2.0f);
    binary<32>::block b;
    binary<32>::quantize(x, std::span(&b, 1));
    EXPECT_EQ(b.d, f16::from_float(2.625f));
    // bits LSB first: 1,0,0,1,1,1,0,1 -> 0b10111001 = 0xB9, then 0xFF.
    const std::uint8_t want[] = {0x40, 0x41, 0xb9, 0xff, 0xff, 0xff}; // f16 2.625 = 0x4140
    EXPECT_EQ(0, std::memcmp(&b, want, sizeof want));
    std::vector<float> y(32);
    binary<32>::dequantize(std::span(&b, 1), y);
    for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], x[i] >= 0 ? 2.625f : -2.625f);
}

TEST(binary, exact_for_plus_minus_c) {
    std::vector<float> x(128);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i * 7 % 3 == 0) ? -0.375f : 0.375f;
    EXPECT_EQ(qforge_test::round_trip<binary<64>>(x), x);
    // Zero counts as non-negative; an all-zero group stays zero.
    std::vector<float> z(32, 0.0f);
    EXPECT_EQ(qforge_test::round_trip<binary<32>>(z), z);
}

TEST(binary, mean_abs_is_the_least_squares_scale) {
    // For fixed signs the squared error sum (|x| - d)^2 is minimal at d = mean |x|: nudging d either way
    // (beyond f16 rounding) must not help.
    const auto x = qforge_test::gaussian_data(256, 12);
    const auto y = qforge_test::round_trip<binary<256>>(x);
    const double base = qforge_test::rms_error(x, y);
    for (float f : {0.98f, 1.02f}) {
        std::vector<float> z(y);
        for (float& v : z) v *= f;
        EXPECT_GT(qforge_test::rms_error(x, z), base);
    }
    // For a unit Gaussian, E|x| = sqrt(2/pi) and the RMSE is sqrt(1 - 2/pi) ~ 0.603.
    const auto big = qforge_test::gaussian_data(1 << 16, 13);
    EXPECT_NEAR(qforge_test::rms_error(big, qforge_test::round_trip<binary<128>>(big)), 0.603, 0.01);
}

TEST(binary, dot_with_q8_0) {
    const auto w = qforge_test::mixed_data(512, 14);
    const auto a = qforge_test::gaussian_data(512, 15);
    qforge_test::check_dot<binary<32>>(w, a);
    qforge_test::check_dot<binary<256>>(w, a);
}

TEST(binary, shape_errors) {
    std::vector<float> x(40);
    std::vector<binary<32>::block> q(1);
    EXPECT_THROW(binary<32>::quantize(x, q), qforge::error);
}
