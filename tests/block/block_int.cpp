// Tests for block_int (ONNX MatMulNBits / GPTQ-style blocks): layout, hand-packed bytes, MLAS's parameter
// rules, error bounds, exact reconstruction, bits monotonicity and the dot product with q8_0.
#include <qforge/block/block_int.hpp>

#include <cstring>

#include "block/generic_support.hpp"

using namespace qforge;
using qforge_test::gaussian_data;
using qforge_test::mixed_data;

TEST(block_int, layout) {
    static_assert(sizeof(block_int<4, 32>::block) == 18); // like q4_0: f16 scale + 16 bytes
    static_assert(block_int<4, 32>::bits_per_weight == 4.5);
    static_assert(sizeof(block_int<4, 32, true>::block) == 19);
    static_assert(sizeof(block_int<3, 64, true, float>::block) == 4 + 1 + 24);
    static_assert(sizeof(block_int<2, 256>::block) == 2 + 64);
    static_assert(sizeof(block_int<8, 128, false, float>::block) == 4 + 128);
    static_assert(alignof(block_int<4, 32, true>::block) == 1);
    EXPECT_EQ((block_int<4, 32, true>::name), "block_int_b4_g32_zp_f16");
    EXPECT_EQ((block_int<8, 64, false, float>::name), "block_int_b8_g64_f32");
}

TEST(block_int, symmetric_four_bit_by_hand) {
    // x = 0.5 * (k - 8), k = i % 16: the largest magnitude is -4 (a tie-free minimum), scale = -4 / -8 = 0.5,
    // implicit zero point 8, codes k: packed low nibble first, two per byte.
    using F = block_int<4, 32>;
    std::vector<float> x(32);
    for (int i = 0; i < 32; ++i) x[i] = 0.5f * static_cast<float>(i % 16 - 8);
    F::block b;
    F::quantize(x, std::span(&b, 1));
    const std::uint8_t want[] = {0x00, 0x38, // f16 0.5
                                 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe};
    ASSERT_EQ(sizeof b, sizeof want);
    EXPECT_EQ(0, std::memcmp(&b, want, sizeof want));
    std::vector<float> y(32);
    F::dequantize(std::span(&b, 1), y);
    EXPECT_EQ(y, x);
}

TEST(block_int, symmetric_picks_the_signed_extreme) {
    // Largest magnitude positive (m = 4): scale = 4 / -8 = -0.5, so 4 -> code 0 and -3.5 -> code 15.
    using F = block_int<4, 32, false, float>;
    std::vector<float> x(32, 0.0f);
    x[0] = 4.0f;
    x[1] = -3.5f;
    F::block b;
    F::quantize(x, std::span(&b, 1));
    EXPECT_EQ(F::scale_of(b), -0.5f);
    EXPECT_EQ(b.qs[0], 0xf0); // code 0 (low nibble), code 15 (high nibble)
    EXPECT_EQ(b.qs[1], 0x88); // zeros sit at the implicit zero point 8
    // A tie between +m and -m takes the negative end (MLAS): -1 maps to code 0 and +1 clamps at 15.
    std::vector<float> t(32, 0.0f);
    t[0] = 1.0f;
    t[1] = -1.0f;
    F::quantize(t, std::span(&b, 1));
    EXPECT_EQ(F::scale_of(b), 0.125f);
    EXPECT_EQ(b.qs[0], 0x0f);
}

TEST(block_int, zero_point_two_bit_by_hand) {
    // x in [-1, 2]: scale = 3 / 3 = 1, zp = roundf(1 / 1) = 1; x = -1, 0, 1, 2 -> codes 0, 1, 2, 3.
    using F = block_int<2, 32, true, float>;
    std::vector<float> x(32);
    for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i % 4) - 1.0f;
    F::block b;
    F::quantize(x, std::span(&b, 1));
    EXPECT_EQ(F::scale_of(b), 1.0f);
    EXPECT_EQ(b.zp, 1);
    // codes 0,1,2,3 in 2 bits LSB first: 0b11100100 = 0xE4 per byte.
    const std::uint8_t want[] = {0x00, 0x00, 0x80, 0x3f, 0x01, 0xe4, 0xe4, 0xe4, 0xe4, 0xe4, 0xe4, 0xe4, 0xe4};
    ASSERT_EQ(sizeof b, sizeof want);
    EXPECT_EQ(0, std::memcmp(&b, want, sizeof want));
    std::vector<float> y(32);
    F::dequantize(std::span(&b, 1), y);
    EXPECT_EQ(y, x);
    // Positive-only data: the range is widened to contain 0, so zp = 0.
    std::vector<float> p(32, 3.0f);
    F::quantize(p, std::span(&b, 1));
    EXPECT_EQ(b.zp, 0);
    EXPECT_EQ(F::scale_of(b), 1.0f);
}

TEST(block_int, three_bit_zero_point_codes_straddle_bytes) {
    // x = k - 3 for k = i % 8 in [-3, 4]: scale = 7 / 7 = 1, zp = 3, codes k -> bytes 88 C6 FA (see
    // group_affine's 3-bit example).
    using F = block_int<3, 32, true, float>;
    std::vector<float> x(32);
    for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i % 8) - 3.0f;
    F::block b;
    F::quantize(x, std::span(&b, 1));
    EXPECT_EQ(b.zp, 3);
    const std::uint8_t want[] = {0x88, 0xc6, 0xfa};
    EXPECT_EQ(0, std::memcmp(b.qs, want, 3));
    EXPECT_EQ(qforge_test::round_trip<F>(x), x);
}

template <class F>
void check_error_bound(const std::vector<float>& x, float slack) {
    std::vector<typename F::block> q(x.size() / F::block_size);
    F::quantize(x, q);
    std::vector<float> y(x.size());
    F::dequantize(q, y);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const auto& b = q[i / F::block_size];
        const float s = std::fabs(F::scale_of(b));
        const float c = x[i] / F::scale_of(b) + static_cast<float>(F::zero_point_of(b));
        const bool inside = c >= -0.5f && c <= F::levels + 0.5f;
        // Inside the grid: half a step. Symmetric blocks give the positive side one code less (-8..7), so
        // the far extreme may clamp by up to a whole step.
        EXPECT_LE(std::fabs(x[i] - y[i]), (inside ? 0.5f : 1.0f) * s * (1 + 1e-5f) + slack) << i;
    }
}

TEST(block_int, error_bounds) {
    const auto x = mixed_data(4096, 7);
    check_error_bound<block_int<4, 32, false, float>>(x, 1e-6f);
    check_error_bound<block_int<4, 32, true, float>>(x, 1e-6f);
    check_error_bound<block_int<2, 64, true, float>>(x, 1e-6f);
    check_error_bound<block_int<8, 128, false, float>>(x, 1e-6f);
    check_error_bound<block_int<3, 256, true>>(x, 2e-3f);
}

TEST(block_int, more_bits_never_worse) {
    for (unsigned seed : {8u, 9u}) {
        const auto x = seed == 8 ? gaussian_data(8192, seed) : mixed_data(8192, seed);
        double prev = 1e30, prev_zp = 1e30;
        const double sym[] = {qforge_test::rms_error(x, qforge_test::round_trip<block_int<2, 32>>(x)),
                              qforge_test::rms_error(x, qforge_test::round_trip<block_int<3, 32>>(x)),
                              qforge_test::rms_error(x, qforge_test::round_trip<block_int<4, 32>>(x)),
                              qforge_test::rms_error(x, qforge_test::round_trip<block_int<8, 32>>(x))};
        const double zp[] = {qforge_test::rms_error(x, qforge_test::round_trip<block_int<2, 32, true>>(x)),
                             qforge_test::rms_error(x, qforge_test::round_trip<block_int<3, 32, true>>(x)),
                             qforge_test::rms_error(x, qforge_test::round_trip<block_int<4, 32, true>>(x)),
                             qforge_test::rms_error(x, qforge_test::round_trip<block_int<8, 32, true>>(x))};
        for (int i = 0; i < 4; ++i) {
            EXPECT_LT(sym[i], prev) << i;
            EXPECT_LT(zp[i], prev_zp) << i;
            prev = sym[i];
            prev_zp = zp[i];
        }
        // On shifted groups a zero point helps.
        if (seed == 9) {
            EXPECT_LT(zp[2], sym[2]);
        }
    }
}

TEST(block_int, dot_with_q8_0) {
    const auto w = mixed_data(1024, 10);
    const auto a = gaussian_data(1024, 11);
    qforge_test::check_dot<block_int<4, 32>>(w, a);
    qforge_test::check_dot<block_int<4, 64, true>>(w, a);
    qforge_test::check_dot<block_int<3, 256, true, float>>(w, a);
    qforge_test::check_dot<block_int<8, 128>>(w, a);
}

TEST(block_int, hostile_input_is_defined) {
    using F = block_int<4, 32, true>;
    std::vector<float> x(32, 1.0f);
    x[0] = std::nanf("");
    x[1] = std::numeric_limits<float>::infinity();
    std::vector<F::block> q(1);
    F::quantize(x, q);
    std::vector<float> y(31);
    EXPECT_THROW(F::dequantize(q, y), qforge::error);
}
