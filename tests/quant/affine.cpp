// Tests for the scheme vocabulary: rounding modes, integer grids, parameters from ranges (ONNX
// DynamicQuantizeLinear's example), ONNX QuantizeLinear/DequantizeLinear semantics, granularity and whole
// tensors.
#include <qforge/quant/affine.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace qforge::quant;

TEST(rounding, nearest_even_and_half_away) {
    const double in[] = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999, 2.5000001, -3.7, 7.0};
    const double even[] = {0, 2, 2, -0.0, -2, -2, 2, 3, -4, 7};
    const double away[] = {1, 2, 3, -1, -2, -3, 2, 3, -4, 7};
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(round_half_even(in[i]), even[i]) << in[i];
        EXPECT_EQ(round_half_away(in[i]), away[i]) << in[i];
        EXPECT_EQ(round_with({.mode = round_mode::nearest_even}, in[i]), even[i]);
        EXPECT_EQ(round_with({.mode = round_mode::half_away_from_zero}, in[i]), away[i]);
    }
    // Large values are already integers.
    EXPECT_EQ(round_half_even(4503599627370497.0), 4503599627370497.0);
}

TEST(rounding, stochastic_is_unbiased_and_reproducible) {
    const rounding_policy p{.mode = round_mode::stochastic, .seed = 42};
    double sum = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
        const double r = round_with(p, 2.3, static_cast<std::uint64_t>(i));
        ASSERT_TRUE(r == 2.0 || r == 3.0);
        sum += r;
    }
    EXPECT_NEAR(sum / n, 2.3, 0.005); // binomial sd of the mean ~ 0.001
    // A pure function of (seed, index): same draw twice, another seed differs somewhere.
    int diff = 0;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        EXPECT_EQ(round_with(p, 0.5, i), round_with(p, 0.5, i));
        diff += round_with(p, 0.5, i) != round_with({.mode = round_mode::stochastic, .seed = 43}, 0.5, i);
    }
    EXPECT_GT(diff, 300);
    EXPECT_EQ(round_with(p, 5.0, 7), 5.0); // integers never move
}

TEST(scheme, grids) {
    EXPECT_EQ(grid_of({.bits = 8}), (int_range{-128, 127}));
    EXPECT_EQ(grid_of({.bits = 8, .is_signed = false}), (int_range{0, 255}));
    EXPECT_EQ(grid_of({.bits = 8, .narrow_range = true}), (int_range{-127, 127}));
    EXPECT_EQ(grid_of({.bits = 4}), (int_range{-8, 7}));
    EXPECT_EQ(grid_of({.bits = 1, .is_signed = false}), (int_range{0, 1}));
    EXPECT_EQ(grid_of({.bits = 16, .is_signed = false}), (int_range{0, 65535}));
    EXPECT_THROW(grid_of({.bits = 0}), qforge::error);
    EXPECT_THROW(grid_of({.bits = 17}), qforge::error);
    EXPECT_THROW(grid_of({.bits = 1, .symmetric = true}), qforge::error);
}

TEST(scheme, onnx_dynamic_quantize_linear_example) {
    // The example of ONNX's DynamicQuantizeLinear: x = [0, 2, -3, -2.5, 1.34, 0.5] ->
    // y_scale = 5/255, y_zero_point = 153, y = [153, 255, 0, 26, 221, 179].
    const std::vector<float> x{0, 2, -3, -2.5f, 1.34f, 0.5f};
    const scheme_policy s{.bits = 8, .is_signed = false};
    const qparams p = params_for_range(s, -3.0f, 2.0f);
    EXPECT_FLOAT_EQ(p.scale, 5.0f / 255.0f);
    EXPECT_EQ(p.zero_point, 153);
    const std::size_t shape[] = {6};
    const auto t = quantize(x, shape, s);
    EXPECT_EQ(t.values, (std::vector<std::int32_t>{153, 255, 0, 26, 221, 179}));
}

TEST(scheme, symmetric_parameters) {
    const qparams p = params_for_range({.bits = 8, .symmetric = true}, -2.54f, 1.0f);
    EXPECT_FLOAT_EQ(p.scale, 2.54f / 127.0f);
    EXPECT_EQ(p.zero_point, 0);
    const qparams u = params_for_range({.bits = 8, .symmetric = true, .is_signed = false}, -1.0f, 1.0f);
    EXPECT_EQ(u.zero_point, 128);
    const qparams z = params_for_range({.bits = 8}, 0.0f, 0.0f);
    EXPECT_EQ(z.scale, 0.0f);
    EXPECT_THROW(params_for_range({.bits = 8}, 1.0f, -1.0f), qforge::error);
    EXPECT_THROW(params_for_range({.bits = 8}, 0.0f, std::numeric_limits<float>::infinity()), qforge::error);
}

TEST(affine, onnx_quantize_linear_semantics) {
    // ONNX QuantizeLinear's uint8 example: scale 2, zero point 128.
    const int_range u8{0, 255};
    const float x[] = {0, 2, 3, 1000, -254, -1000};
    const std::int32_t want[] = {128, 129, 130, 255, 1, 0}; // 3/2 = 1.5 rounds to even 2
    for (int i = 0; i < 6; ++i) EXPECT_EQ(quantize_value(x[i], {2.0f, 128}, u8), want[i]) << x[i];
    // int8 with ties: y = saturate(round_half_even(x / s) + zp)
    const int_range i8{-128, 127};
    EXPECT_EQ(quantize_value(2.5f, {1.0f, 0}, i8), 2);
    EXPECT_EQ(quantize_value(-2.5f, {1.0f, 0}, i8), -2);
    EXPECT_EQ(quantize_value(3.5f, {1.0f, 0}, i8), 4);
    EXPECT_EQ(quantize_value(2.5f, {1.0f, 0}, i8, {.mode = round_mode::half_away_from_zero}), 3);
    EXPECT_EQ(quantize_value(std::numeric_limits<float>::infinity(), {1.0f, 0}, i8), 127);
    EXPECT_EQ(quantize_value(-std::numeric_limits<float>::infinity(), {1.0f, 0}, i8), -128);
    EXPECT_THROW(quantize_value(std::nanf(""), {1.0f, 0}, i8), qforge::error);
    EXPECT_THROW(quantize_value(200.0f, {1.0f, 0}, i8, {}, /*saturate=*/false), qforge::error);
    // DequantizeLinear: (q - zp) * scale.
    EXPECT_EQ(dequantize_value(130, {2.0f, 128}), 4.0f);
    EXPECT_EQ(dequantize_value(-3, {0.5f, 1}), -2.0f);
}

TEST(granularity, layouts) {
    const std::size_t shape[] = {2, 3, 4};
    const auto t = layout_for(per_tensor{}, shape);
    EXPECT_EQ(t.count, 1u);
    EXPECT_EQ(t.elements, 24u);
    const auto c0 = layout_for(per_channel{0}, shape);
    EXPECT_EQ(c0.count, 2u);
    EXPECT_EQ(c0.slot(11), 0u);
    EXPECT_EQ(c0.slot(12), 1u);
    const auto c1 = layout_for(per_channel{1}, shape);
    EXPECT_EQ(c1.count, 3u);
    EXPECT_EQ(c1.slot(4), 1u);  // [0,1,0]
    EXPECT_EQ(c1.slot(13), 0u); // [1,0,1]
    const auto c2 = layout_for(per_channel{2}, shape);
    EXPECT_EQ(c2.slot(7), 3u);
    const auto g = layout_for(per_group{2}, shape);
    EXPECT_EQ(g.count, 12u);
    EXPECT_EQ(g.slot(5), 2u);
    EXPECT_THROW(layout_for(per_channel{3}, shape), qforge::error);
    EXPECT_THROW(layout_for(per_group{3}, shape), qforge::error);
    EXPECT_THROW(layout_for(per_group{0}, shape), qforge::error);
}

TEST(affine, per_channel_tensor_round_trip) {
    // Rows with very different ranges: per-channel keeps each row's error within its own scale / 2.
    const std::size_t shape[] = {3, 5};
    const std::vector<float> x{0.01f, -0.02f, 0.03f, 0.0f, 0.005f, 10, -20, 5, 7, 1, -100, 50, 25, 0, 3};
    const scheme_policy s{.bits = 8, .symmetric = true, .granularity = per_channel{0}};
    const auto t = quantize(x, shape, s);
    ASSERT_EQ(t.params.size(), 3u);
    EXPECT_FLOAT_EQ(t.params[0].scale, 0.03f / 127);
    EXPECT_FLOAT_EQ(t.params[1].scale, 20.0f / 127);
    EXPECT_FLOAT_EQ(t.params[2].scale, 100.0f / 127);
    const auto y = dequantize(t);
    for (std::size_t i = 0; i < x.size(); ++i)
        EXPECT_LE(std::fabs(x[i] - y[i]), t.params[i / 5].scale * 0.5f * (1 + 1e-6f)) << i;
    // The extremes are exact codes: +-127.
    EXPECT_EQ(t.values[1 * 5 + 1], -127);
    EXPECT_EQ(t.values[2 * 5 + 0], -127);
    // Per-tensor on the same data loses the small row entirely.
    const auto pt = quantize(x, shape, scheme_policy{.bits = 8, .symmetric = true});
    EXPECT_EQ(pt.values[0], 0);
}

TEST(affine, per_group_and_bits_monotonic) {
    std::vector<float> x(256);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i)) * (1 + static_cast<float>(i % 7));
    const std::size_t shape[] = {4, 64};
    double prev = 1e30;
    for (int bits = 2; bits <= 16; ++bits) {
        const scheme_policy s{.bits = bits, .granularity = per_group{32}};
        const auto t = quantize(x, shape, s);
        EXPECT_EQ(t.params.size(), 8u);
        const auto y = dequantize(t);
        double se = 0;
        for (std::size_t i = 0; i < x.size(); ++i) se += (x[i] - y[i]) * (x[i] - y[i]);
        EXPECT_LT(se, prev) << bits;
        prev = se;
    }
}

TEST(affine, exact_for_representable_inputs) {
    // Every multiple of 0.25 within [-32, 31.75] is a code of int8 with scale 0.25.
    std::vector<float> x;
    for (int q = -128; q <= 127; ++q) x.push_back(0.25f * static_cast<float>(q));
    const std::size_t shape[] = {x.size()};
    const qparams p{0.25f, 0};
    const auto t = quantize(x, shape, scheme_policy{.bits = 8}, std::span<const qparams>(&p, 1));
    EXPECT_EQ(dequantize(t), x);
}

TEST(affine, shape_errors) {
    const std::vector<float> x(10);
    const std::size_t shape[] = {3, 4};
    EXPECT_THROW(quantize(x, shape, scheme_policy{}), qforge::error);
    const std::size_t shape2[] = {2, 5};
    const std::vector<qparams> p(3);
    EXPECT_THROW(quantize(x, shape2, scheme_policy{.granularity = per_channel{0}}, p), qforge::error);
    std::vector<float> bad{1.0f, std::nanf("")};
    const std::size_t s2[] = {2};
    EXPECT_THROW(quantize(bad, s2, scheme_policy{}), qforge::error);
}

TEST(affine, stochastic_tensor_rounding_is_unbiased_and_reproducible) {
    // 0.3 with scale 1: nearest rounding always gives 0; stochastic rounding gives 1 about 30% of the time.
    const std::vector<float> x(100000, 0.3f);
    const std::size_t shape[] = {x.size()};
    const qparams p{1.0f, 0};
    const scheme_policy s{.bits = 8, .rounding = {.mode = round_mode::stochastic, .seed = 9}};
    const auto a = quantize(x, shape, s, std::span(&p, 1));
    const auto b = quantize(x, shape, s, std::span(&p, 1));
    EXPECT_EQ(a.values, b.values);
    double mean = 0;
    for (const auto v : a.values) mean += v;
    mean /= static_cast<double>(x.size());
    EXPECT_NEAR(mean, 0.3, 0.005);
    const auto n = quantize(x, shape, scheme_policy{.bits = 8}, std::span(&p, 1));
    for (const auto v : n.values) ASSERT_EQ(v, 0);
}

TEST(affine, one_and_sixteen_bits) {
    // 1-bit unsigned affine: two levels, 0 and the range's top.
    const std::vector<float> x{0.0f, 0.2f, 0.7f, 1.0f};
    const std::size_t shape[] = {4};
    const auto t = quantize(x, shape, scheme_policy{.bits = 1, .is_signed = false});
    EXPECT_EQ(t.params[0].scale, 1.0f);
    EXPECT_EQ(t.values, (std::vector<std::int32_t>{0, 0, 1, 1}));
    // 16-bit signed symmetric: step 1/32767 of the range.
    const std::vector<float> y{-1.0f, 0.5f, 1.0f, 0.25f};
    const auto u = quantize(y, shape, scheme_policy{.bits = 16, .symmetric = true});
    EXPECT_EQ(u.values, (std::vector<std::int32_t>{-32767, 16384, 32767, 8192}));
}
