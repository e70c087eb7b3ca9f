// qforge/block/q8_1.hpp: ggml's Q8_1, the activation format that q4_1 and q5_1 weights pair with: q8_0 plus
// the scaled sum of its quants, so that an affine weight's offset costs one multiply per block in a dot.
// 9 bits per weight. Byte layout (36 bytes): d (f16) | s (f16) = d * sum(qs) | qs[32] (int8). Value i = qs[i] * d.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/ggml_math.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/half.hpp"

namespace qforge {

struct q8_1 {
    struct block {
        f16 d;              // scale
        f16 s;              // d * sum(qs), rounded to f16
        std::int8_t qs[32]; // quants
    };
    static_assert(sizeof(block) == 36);

    static constexpr std::string_view name = "q8_1";
    static constexpr ggml_type type_id = ggml_type::q8_1;
    static constexpr std::size_t block_size = 32;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    // ggml has no q8_1 weights (and no q8_1 x q8_1 vec_dot); pairing it with itself keeps the format complete.
    using dot_partner = q8_1;

    // ggml's quantize_row_q8_1_ref (its x86 CPU quantizer gives the same bytes): q8_0's quants and scale,
    // plus s = f16(sum(qs) * d).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block(x.data() + i * block_size, out[i]);
    }

    static void quantize_block(const float* x, block& out) noexcept {
        const float d = block_detail::absmax<32>(x) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out.d = f16::from_float(d);
        std::int8_t q[32];
        for (int j = 0; j < 32; ++j) q[j] = block_detail::round_away_to_i8(x[j] * id);
        int sum = 0;
        for (int j = 0; j < 32; ++j) sum += q[j];
        std::memcpy(out.qs, q, sizeof q);
        out.s = f16::from_float(static_cast<float>(sum) * d);
    }

    // ggml defines no to_float for q8_1; this is the value the layout means (the same floats as q8_0 gives).
    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const float d = in[i].d.to_float();
            for (std::size_t j = 0; j < block_size; ++j) y[i * block_size + j] = static_cast<float>(in[i].qs[j]) * d;
        }
    }

    // As q8_0's: per block an exact integer sum times (d_w * d_a), summed in block order.
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

static_assert(BlockFormat<q8_1>);

} // namespace qforge
