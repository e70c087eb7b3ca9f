// qforge/block/q8_0.hpp: ggml's Q8_0. 32 int8 values with one f16 scale; 8.5 bits per weight.
// Byte layout (34 bytes): d (f16, little-endian) | qs[32] (int8). Value i = qs[i] * d.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/ggml_math.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/half.hpp"

namespace qforge {

struct q8_0 {
    struct block {
        f16 d;              // scale
        std::int8_t qs[32]; // quants
    };
    static_assert(sizeof(block) == 34);

    static constexpr std::string_view name = "q8_0";
    static constexpr ggml_type type_id = ggml_type::q8_0;
    static constexpr std::size_t block_size = 32;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_0; // activations are quantized to q8_0 too

    // ggml's quantize_row_q8_0_ref: symmetric, d = absmax / 127, q = roundf(x / d) (ties away from zero),
    // converted to int8 as ggml's x86-64 build does. Every block is independent: quantize_block is the unit
    // that row loops and threads call.
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block(x.data() + i * block_size, out[i]);
    }

    static void quantize_block(const float* x, block& out) noexcept {
        const float d = block_detail::absmax<32>(x) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out.d = f16::from_float(d);
        for (int j = 0; j < 32; ++j) out.qs[j] = block_detail::round_away_to_i8(x[j] * id);
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const float d = in[i].d.to_float();
            for (std::size_t j = 0; j < block_size; ++j) y[i * block_size + j] = in[i].qs[j] * d;
        }
    }

    // Reference dot product: per block an exact integer sum, scaled by both f16 scales.
    static float dot(std::span<const block> w, std::span<const block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float sum = 0.0f;
        for (std::size_t i = 0; i < w.size(); ++i) {
            std::int32_t s = 0;
            for (std::size_t j = 0; j < block_size; ++j) s += w[i].qs[j] * a[i].qs[j];
            sum += static_cast<float>(s) * (w[i].d.to_float() * a[i].d.to_float());
        }
        return sum;
    }
};

static_assert(BlockFormat<q8_0>);

} // namespace qforge
