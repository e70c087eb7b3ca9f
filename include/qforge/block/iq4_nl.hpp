// qforge/block/iq4_nl.hpp: ggml's IQ4_NL. 32 values as 4-bit indices into a fixed non-linear table of 16 int8
// levels, with one f16 scale; 4.5 bits per weight. Byte layout (18 bytes, as q4_0): d (f16) | qs[16]: byte j
// holds the index of value j in its low nibble and of value j+16 in its high nibble.
// Value i = d * kvalues[index_i].
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/iq4_table.hpp"
#include "qforge/block/detail/ggml_math.hpp"
#include "qforge/block/q8_0.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/half.hpp"

namespace qforge {

struct iq4_nl {
    struct block {
        f16 d;               // scale
        std::uint8_t qs[16]; // indices: low nibble = values 0..15, high nibble = values 16..31
    };
    static_assert(sizeof(block) == 18);

    static constexpr std::string_view name = "iq4_nl";
    static constexpr ggml_type type_id = ggml_type::iq4_nl;
    static constexpr std::size_t block_size = 32;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_0;

    // The 16 levels (ggml's kvalues_iq4nl), denser near zero where weights are; shared with iq4_xs.
    static constexpr const std::int8_t (&values)[16] = block_detail::iq4_levels;

    // ggml's quantize_iq4_nl (what ggml_quantize_chunk and llama-quantize use): per block a weighted fit
    // (weights x^2) of the scale over 15 candidate scales, nearest level for each value.
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block(x.data() + i * block_size, out[i], nullptr);
    }

    // With an importance matrix (one weight per value): weights imatrix * sqrt(sigma2 + x^2), where sigma2 is
    // twice the block's mean square. Blocks are independent (unlike q4_0's row-wide sigma2).
    static void quantize(std::span<const float> x, std::span<block> out, std::span<const float> imatrix) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        block_detail::check_imatrix(name, x.size(), imatrix.size());
        for (std::size_t i = 0; i < out.size(); ++i)
            quantize_block(x.data() + i * block_size, out[i], imatrix.data() + i * block_size);
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const float d = in[i].d.to_float();
            float* yb = y.data() + i * block_size;
            for (int j = 0; j < 16; ++j) {
                yb[j] = d * static_cast<float>(values[in[i].qs[j] & 0x0f]);
                yb[j + 16] = d * static_cast<float>(values[in[i].qs[j] >> 4]);
            }
        }
    }

    // ggml's vec_dot_iq4_nl_q8_0 (scalar order): (d_a * d_w) * sum(level * q_a) per block.
    static float dot(std::span<const block> w, std::span<const q8_0::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float sum = 0.0f;
        for (std::size_t i = 0; i < w.size(); ++i) {
            const float d = a[i].d.to_float() * w[i].d.to_float();
            std::int32_t s = 0;
            for (int j = 0; j < 16; ++j) {
                s += a[i].qs[j] * values[w[i].qs[j] & 0x0f];
                s += a[i].qs[j + 16] * values[w[i].qs[j] >> 4];
            }
            sum += d * static_cast<float>(s);
        }
        return sum;
    }

    // One block of ggml's quantize_row_iq4_nl_impl with ntry = 7 (super-block = block = 32).
    static void quantize_block(const float* x, block& out, const float* importance) noexcept {
        float w[32];
        if (importance) {
            float sigma2 = 0.0f;
            for (int j = 0; j < 32; ++j) sigma2 += x[j] * x[j];
            sigma2 *= 2.0f / 32.0f;
            for (int j = 0; j < 32; ++j) w[j] = importance[j] * std::sqrt(sigma2 + x[j] * x[j]);
        } else {
            for (int j = 0; j < 32; ++j) w[j] = x[j] * x[j];
        }
        const float max = block_detail::signed_absmax<32>(x);
        float scale = 0.0f;
        if (!(std::fabs(max) < 1e-15f)) { // ggml's GROUP_MAX_EPS: an all-zero block keeps scale 0
            float q[32];
            const auto fit = [&](float id, float& sumqx, float& sumq2) {
                for (int j = 0; j < 32; ++j) q[j] = block_detail::nearest_level_16(values, id * x[j]).value;
                sumqx = sumq2 = 0.0f;
                for (int j = 0; j < 32; ++j) {
                    sumqx += w[j] * q[j] * x[j];
                    sumq2 += w[j] * q[j] * q[j];
                }
            };
            float sumqx, sumq2;
            fit(1.0f / (-max / static_cast<float>(values[0])), sumqx, sumq2);
            scale = sumq2 > 0.0f ? sumqx / sumq2 : 0.0f;
            float best = scale * sumqx;
            for (int itry = -7; itry <= 7; ++itry) {
                fit(static_cast<float>(itry + values[0]) / max, sumqx, sumq2);
                if (sumq2 > 0.0f && sumqx * sumqx > best * sumq2) {
                    scale = sumqx / sumq2;
                    best = scale * sumqx;
                }
            }
        }
        out.d = f16::from_float(scale);
        const float id = scale != 0.0f ? 1.0f / scale : 0.0f;
        std::uint8_t l[32];
        for (int j = 0; j < 32; ++j)
            l[j] = static_cast<std::uint8_t>(block_detail::nearest_level_16(values, id * x[j]).index);
        for (int j = 0; j < 16; ++j) out.qs[j] = static_cast<std::uint8_t>(l[j] | (l[j + 16] << 4));
    }
};

static_assert(BlockFormat<iq4_nl>);
static_assert(ImatrixFormat<iq4_nl>);

} // namespace qforge
