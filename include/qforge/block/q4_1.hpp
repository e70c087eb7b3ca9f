// qforge/block/q4_1.hpp: ggml's Q4_1. 32 values as 4-bit steps above a minimum, with f16 step and minimum;
// 5 bits per weight. Byte layout (20 bytes): d (f16) | m (f16) | qs[16]: byte j holds value j in its low
// nibble and value j+16 in its high nibble. Value i = nibble_i * d + m.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/ggml_math.hpp"
#include "qforge/block/detail/imatrix_search.hpp"
#include "qforge/block/q8_1.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/half.hpp"

namespace qforge {

struct q4_1 {
    struct block {
        f16 d;               // step
        f16 m;               // minimum
        std::uint8_t qs[16]; // nibbles: low = values 0..15, high = values 16..31
    };
    static_assert(sizeof(block) == 20);

    static constexpr std::string_view name = "q4_1";
    static constexpr ggml_type type_id = ggml_type::q4_1;
    static constexpr std::size_t block_size = 32;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_1;

    // ggml's quantize_row_q4_1_ref: d = (max - min) / 15, q = min(15, trunc((x - min) / d + 0.5)).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        // Eight blocks at a time, phase by phase, so that eight independent dependency chains (reduce,
        // divide, convert, pack) overlap. Same arithmetic per block as quantize_block.
        constexpr std::size_t group = 8;
        std::size_t i = 0;
        for (; i + group <= out.size(); i += group) {
            const float* xg = x.data() + i * block_size;
            float min[group], id[group];
            for (std::size_t b = 0; b < group; ++b) {
                float max;
                block_detail::first_min_max<32>(xg + b * block_size, min[b], max);
                const float d = (max - min[b]) / 15.0f;
                id[b] = d != 0.0f ? 1.0f / d : 0.0f;
                out[i + b].d = f16::from_float(d);
                out[i + b].m = f16::from_float(min[b]);
            }
            for (std::size_t b = 0; b < group; ++b) pack(xg + b * block_size, min[b], id[b], out[i + b]);
        }
        for (; i < out.size(); ++i) quantize_block(x.data() + i * block_size, out[i]);
    }

    // ggml's quantize_q4_1 with an importance matrix: x is ONE row; a weighted least-squares search over 37
    // step sizes per block (make_qkx3_quants) with weights importance * sqrt(mean square of row + x^2).
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
            out[i].d = f16::from_float(block_detail::affine_search<32>(15, xb, w, l, min));
            out[i].m = f16::from_float(-min);
            for (int j = 0; j < 16; ++j) out[i].qs[j] = static_cast<std::uint8_t>(l[j] | (l[j + 16] << 4));
        }
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const float d = in[i].d.to_float();
            const float m = in[i].m.to_float();
            float* yb = y.data() + i * block_size;
            for (int j = 0; j < 16; ++j) {
                yb[j] = static_cast<float>(in[i].qs[j] & 0x0f) * d + m;
                yb[j + 16] = static_cast<float>(in[i].qs[j] >> 4) * d + m;
            }
        }
    }

    // ggml's vec_dot_q4_1_q8_1 (scalar order): (d_w * d_a) * sum(q_w * q_a) + m_w * s_a per block, where the
    // activation's s = d_a * sum(q_a) carries the minimum's share.
    static float dot(std::span<const block> w, std::span<const q8_1::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float sum = 0.0f;
        for (std::size_t i = 0; i < w.size(); ++i) {
            std::int32_t s = 0;
            for (int j = 0; j < 16; ++j) {
                s += (w[i].qs[j] & 0x0f) * a[i].qs[j];
                s += (w[i].qs[j] >> 4) * a[i].qs[j + 16];
            }
            sum += (w[i].d.to_float() * a[i].d.to_float()) * static_cast<float>(s) +
                   w[i].m.to_float() * a[i].s.to_float();
        }
        return sum;
    }

    static void quantize_block(const float* x, block& out) noexcept {
        float min, max;
        block_detail::first_min_max<32>(x, min, max);
        const float d = (max - min) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out.d = f16::from_float(d);
        out.m = f16::from_float(min);
        pack(x, min, id, out);
    }

    // The quants of one block: ggml's MIN(15, (int8_t)((x - min) * id + 0.5f)), values j and j+16 per byte.
    static void pack(const float* x, float min, float id, block& out) noexcept {
        const auto level = [min, id](float v) {
            const int t = block_detail::trunc_to_i8((v - min) * id + 0.5f);
            return t < 15 ? t : 15;
        };
        std::uint8_t qs[16]; // local, so the compiler needs no aliasing check against x
        for (int j = 0; j < 16; ++j) qs[j] = static_cast<std::uint8_t>(level(x[j]) | (level(x[j + 16]) << 4));
        std::memcpy(out.qs, qs, sizeof qs);
    }
};

static_assert(BlockFormat<q4_1>);
static_assert(ImatrixFormat<q4_1>);

} // namespace qforge
