// qforge/block/f16.hpp: IEEE binary16 (ggml's F16): 1 sign, 5 exponent, 10 mantissa bits,
// as a block format of one value per block; 16 bits per weight. Byte layout (2 bytes): the value's bits,
// little-endian. The block type is qforge::f16 itself (core/half.hpp); the format is f16_format because the
// name f16 is taken by that value type.
#pragma once

#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/half.hpp"

namespace qforge {

struct f16_format {
    using block = f16; // the 16-bit value is the whole block
    static_assert(sizeof(block) == 2);

    static constexpr std::string_view name = "f16";
    static constexpr ggml_type type_id = ggml_type::f16;
    static constexpr std::size_t block_size = 1;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 16.0;
    using dot_partner = f16_format; // ggml's vec_dot_type of f16 is f16

    // ggml's fp32 -> f16 row conversion: round to nearest even (NaN stays NaN, quieted).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < x.size(); ++i) out[i] = block::from_float(x[i]);
    }

    // Exact widening to f32.
    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t i = 0; i < in.size(); ++i) y[i] = in[i].to_float();
    }

    // ggml's scalar vec_dot_f16: each product is exact in f32 (at most 2 x 11 significant bits), summed in double,
    // rounded to float once at the end.
    static float dot(std::span<const block> w, std::span<const block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        double sum = 0.0;
        for (std::size_t i = 0; i < w.size(); ++i) sum += static_cast<double>(w[i].to_float() * a[i].to_float());
        return static_cast<float>(sum);
    }
};

static_assert(BlockFormat<f16_format>);

} // namespace qforge
