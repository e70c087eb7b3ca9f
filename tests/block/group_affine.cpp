// Tests for group_affine (MLX affine groups): layout, hand-packed bytes, MLX's parameter rule, error bounds,
// exact reconstruction, bits monotonicity and the dot product with q8_0.
#include <qforge/block/group_affine.hpp>

#include <cstring>

#include "block/generic_support.hpp"

using namespace qforge;
using qforge_test::gaussian_data;
using qforge_test::mixed_data;

TEST(group_affine, layout) {
    static_assert(sizeof(group_affine<4, 64>::block) == 4 + 32);
    static_assert(group_affine<4, 64>::bits_per_weight == 4.5);
    static_assert(sizeof(group_affine<3, 32>::block) == 4 + 12);
    static_assert(sizeof(group_affine<5, 128, float>::block) == 8 + 80);
    static_assert(sizeof(group_affine<6, 32, bf16>::block) == 4 + 24);
    static_assert(group_affine<8, 32>::type_id == ggml_type::none);
    EXPECT_EQ((group_affine<4, 64>::name), "group_affine_b4_g64_f16");
    EXPECT_EQ((group_affine<2, 128, float>::name), "group_affine_b2_g128_f32");
}

TEST(group_affine, packs_three_bit_codes_by_hand) {
    // x = -1 + 0.25 k with k = i % 8: |min| > |max| anchors at min = -1 with scale 1.75 / 7 = 0.25,
    // q0 = round(-1 / 0.25) = -4, scale = -1 / -4 = 0.25, bias = -1, and the codes are k.
    using F = group_affine<3, 32, float>;
    std::vector<float> x(32);
    for (int i = 0; i < 32; ++i) x[i] = -1.0f + 0.25f * static_cast<float>(i % 8);
    F::block b;
    F::quantize(x, std::span(&b, 1));
    // Codes 0..7, 3 bits each, least significant first: sum k << 3k = 0xFAC688 -> bytes 88 C6 FA.
    const std::uint8_t want[] = {0x00, 0x00, 0x80, 0x3e, 0x00, 0x00, 0x80, 0xbf, // scale 0.25f, bias -1.0f
                                 0x88, 0xc6, 0xfa, 0x88, 0xc6, 0xfa, 0x88, 0xc6, 0xfa, 0x88, 0xc6, 0xfa};
    ASSERT_EQ(sizeof b, sizeof want);
    EXPECT_EQ(0, std::memcmp(&b, want, sizeof want));
    std::vector<float> y(32);
    F::dequantize(std::span(&b, 1), y);
    EXPECT_EQ(y, x); // representable inputs come back exactly
}

TEST(group_affine, packs_four_bit_codes_low_nibble_first) {
    // x = 0.5 * (15 - k), k = i % 16: |max| = 7.5 >= |min| = 0 anchors at max with a negative scale:
    // scale = -7.5 / 15 = -0.5, q0 = round(7.5 / -0.5) = -15, scale = 7.5 / -15 = -0.5, bias = 7.5, code = k.
    using F = group_affine<4, 32>;
    std::vector<float> x(32);
    for (int i = 0; i < 32; ++i) x[i] = 0.5f * static_cast<float>(15 - i % 16);
    F::block b;
    F::quantize(x, std::span(&b, 1));
    EXPECT_EQ(b.scale, f16::from_float(-0.5f));
    EXPECT_EQ(b.bias, f16::from_float(7.5f));
    const std::uint8_t want[] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe};
    EXPECT_EQ(0, std::memcmp(b.qs, want, 8));
    EXPECT_EQ(0, std::memcmp(b.qs + 8, want, 8));
    std::vector<float> y(32);
    F::dequantize(std::span(&b, 1), y);
    EXPECT_EQ(y, x);
}

TEST(group_affine, zero_is_exact_and_constant_groups_survive) {
    using F = group_affine<4, 32, float>;
    auto x = gaussian_data(32, 1);
    x[7] = 0.0f;
    const auto y = qforge_test::round_trip<F>(x);
    EXPECT_EQ(y[7], 0.0f); // bias = edge and scale = edge / q0 put 0 on the grid
    std::vector<float> c(32, 0.75f);
    const auto yc = qforge_test::round_trip<F>(c);
    for (float v : yc) EXPECT_FLOAT_EQ(v, 0.75f);
    std::vector<float> z(32, 0.0f);
    EXPECT_EQ(qforge_test::round_trip<F>(z), z);
}

template <class F>
void check_error_bound(const std::vector<float>& x, float slack) {
    std::vector<typename F::block> q(x.size() / F::block_size);
    F::quantize(x, q);
    std::vector<float> y(x.size());
    F::dequantize(q, y);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const auto& b = q[i / F::block_size];
        const float s = std::fabs(block_detail::load_scale(b.scale));
        const float c = (x[i] - block_detail::load_scale(b.bias)) / block_detail::load_scale(b.scale);
        const float err = std::fabs(x[i] - y[i]);
        // Inside the grid, nearest rounding: half a step. MLX's anchoring may push the far end of a group up
        // to one step beyond the grid, where clamping costs up to a whole step.
        const bool inside = c >= 0 && c <= F::levels;
        EXPECT_LE(err, (inside ? 0.5f : 1.0f) * s * (1 + 1e-5f) + slack) << i << (inside ? " inside" : " beyond");
    }
}

TEST(group_affine, error_bounds) {
    const auto x = mixed_data(4096, 2);
    check_error_bound<group_affine<2, 32, float>>(x, 1e-6f);
    check_error_bound<group_affine<4, 64, float>>(x, 1e-6f);
    check_error_bound<group_affine<8, 128, float>>(x, 1e-6f);
    check_error_bound<group_affine<3, 32>>(x, 1e-5f);
    check_error_bound<group_affine<5, 64, bf16>>(x, 1e-5f);
}

TEST(group_affine, more_bits_never_worse) {
    for (unsigned seed : {3u, 4u}) {
        const auto x = seed == 3 ? gaussian_data(8192, seed) : mixed_data(8192, seed);
        const double e2 = qforge_test::rms_error(x, qforge_test::round_trip<group_affine<2, 64>>(x));
        const double e3 = qforge_test::rms_error(x, qforge_test::round_trip<group_affine<3, 64>>(x));
        const double e4 = qforge_test::rms_error(x, qforge_test::round_trip<group_affine<4, 64>>(x));
        const double e5 = qforge_test::rms_error(x, qforge_test::round_trip<group_affine<5, 64>>(x));
        const double e6 = qforge_test::rms_error(x, qforge_test::round_trip<group_affine<6, 64>>(x));
        const double e8 = qforge_test::rms_error(x, qforge_test::round_trip<group_affine<8, 64>>(x));
        EXPECT_LT(e3, e2);
        EXPECT_LT(e4, e3);
        EXPECT_LT(e5, e4);
        EXPECT_LT(e6, e5);
        EXPECT_LT(e8, e6);
        // Smaller groups adapt better.
        EXPECT_LE(qforge_test::rms_error(x, qforge_test::round_trip<group_affine<4, 32>>(x)), e4);
        // 4-bit affine on unit Gaussians: one step is about range / 15, RMSE about step / sqrt(12).
        if (seed == 3) {
            EXPECT_LT(e4, 0.1);
        }
    }
}

TEST(group_affine, dot_with_q8_0) {
    const auto w = mixed_data(512, 5);
    const auto a = gaussian_data(512, 6);
    qforge_test::check_dot<group_affine<4, 64>>(w, a);
    qforge_test::check_dot<group_affine<3, 32>>(w, a);
    qforge_test::check_dot<group_affine<8, 128, float>>(w, a);
}

TEST(group_affine, hostile_input_is_defined) {
    using F = group_affine<4, 32>;
    std::vector<float> x(32, 1.0f);
    x[3] = std::nanf("");
    std::vector<F::block> q(1);
    F::quantize(x, q); // must not be undefined behaviour (UBSan checks the float-to-int conversions)
    std::vector<float> y(33);
    EXPECT_THROW(F::dequantize(q, y), qforge::error);
    EXPECT_THROW(F::quantize(y, q), qforge::error);
}
