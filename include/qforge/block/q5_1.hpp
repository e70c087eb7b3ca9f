// qforge/block/q5_1.hpp: ggml's Q5_1. 32 values as 5-bit steps above a minimum, with f16 step and minimum;
// 6 bits per weight. Byte layout (24 bytes): d (f16) | m (f16) | qh[4] (u32 LE, bit j = fifth bit of value j)
// | qs[16]: low 4 bits of value j (low nibble) and of value j+16 (high nibble). Value i = q_i * d + m.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/ggml_math.hpp"
#include "qforge/block/detail/imatrix_search.hpp"
#include "qforge/block/detail/q5_bits.hpp"
#include "qforge/block/q8_1.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/half.hpp"

namespace qforge {

struct q5_1 {
    struct block {
        f16 d;               // step
        f16 m;               // minimum
        std::uint8_t qh[4];  // fifth bits, little-endian u32
        std::uint8_t qs[16]; // low nibbles
    };
    static_assert(sizeof(block) == 24);

    static constexpr std::string_view name = "q5_1";
    static constexpr ggml_type type_id = ggml_type::q5_1;
    static constexpr std::size_t block_size = 32;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_1;

    // ggml's quantize_row_q5_1_ref: d = (max - min) / 31, q = trunc((x - min) / d + 0.5) (no clamp in ggml).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block(x.data() + i * block_size, out[i]);
    }

    // ggml's quantize_q5_1 with an importance matrix: x is ONE row; weighted least-squares search over 37
    // step sizes per block (make_qkx3_quants).
    static void quantize(std::span<const float> x, std::span<block> out, std::span<const float> imatrix) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        block_detail::check_imatrix(name, x.size(), imatrix.size());
        if (x.empty()) return;
        const float sigma2 = block_detail::row_mean_square(x.data(), x.size());
        for (std::size_t i = 0; i < out.size(); ++i) {
            const float* xb = x.data() + i * block_size;
            float w[32];
            std::uint8_t l[32];
            float min = 0.0f;
            block_detail::imatrix_weights<32>(xb, imatrix.data() + i * block_size, sigma2, w);
            out[i].d = f16::from_float(block_detail::affine_search<32>(31, xb, w, l, min));
            out[i].m = f16::from_float(-min);
            block_detail::pack_q5(l, out[i].qs, out[i].qh);
        }
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const float d = in[i].d.to_float();
            const float m = in[i].m.to_float();
            int l[32];
            block_detail::unpack_q5(in[i].qs, in[i].qh, l);
            for (int j = 0; j < 32; ++j) y[i * block_size + j] = static_cast<float>(l[j]) * d + m;
        }
    }

    // ggml's vec_dot_q5_1_q8_1 (scalar order): (d_w * d_a) * sum(q_w * q_a) + m_w * s_a per block.
    static float dot(std::span<const block> w, std::span<const q8_1::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float sum = 0.0f;
        for (std::size_t i = 0; i < w.size(); ++i) {
            int l[32];
            block_detail::unpack_q5(w[i].qs, w[i].qh, l);
            std::int32_t s = 0;
            for (int j = 0; j < 32; ++j) s += l[j] * a[i].qs[j];
            sum += (w[i].d.to_float() * a[i].d.to_float()) * static_cast<float>(s) +
                   w[i].m.to_float() * a[i].s.to_float();
        }
        return sum;
    }

    static void quantize_block(const float* x, block& out) noexcept {
        float min, max;
        block_detail::first_min_max<32>(x, min, max);
        const float d = (max - min) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out.d = f16::from_float(d);
        out.m = f16::from_float(min);
        std::uint8_t q[32];
        for (int j = 0; j < 32; ++j) q[j] = block_detail::trunc_to_u8((x[j] - min) * id + 0.5f);
        block_detail::pack_q5(q, out.qs, out.qh);
    }
};

static_assert(BlockFormat<q5_1>);
static_assert(ImatrixFormat<q5_1>);

} // namespace qforge
