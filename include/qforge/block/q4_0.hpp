// qforge/block/q4_0.hpp: ggml's Q4_0. 32 values as 4-bit offsets from -8 with one f16 scale; 4.5 bits per weight.
// Byte layout (18 bytes): d (f16) | qs[16]: byte j holds value j in its low nibble and value j+16 in its high
// nibble. Value i = (nibble_i - 8) * d.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/ggml_math.hpp"
#include "qforge/block/detail/imatrix_search.hpp"
#include "qforge/block/q8_0.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/half.hpp"

namespace qforge {

struct q4_0 {
    struct block {
        f16 d;               // scale
        std::uint8_t qs[16]; // nibbles: low = values 0..15, high = values 16..31
    };
    static_assert(sizeof(block) == 18);

    static constexpr std::string_view name = "q4_0";
    static constexpr ggml_type type_id = ggml_type::q4_0;
    static constexpr std::size_t block_size = 32;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_0;

    // ggml's quantize_row_q4_0_ref: d = m / -8 where m is the first value of largest magnitude (so m maps to
    // level 0 exactly and the other side gets the 8th level), q = min(15, trunc(x/d + 8.5)).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        // Eight blocks at a time, phase by phase: a block alone is one long dependency chain (reduce, divide,
        // convert, pack); eight independent chains side by side keep the core busy. Same arithmetic per block.
        constexpr std::size_t group = 8;
        std::size_t i = 0;
        for (; i + group <= out.size(); i += group) {
            const float* xg = x.data() + i * block_size;
            float id[group];
            for (std::size_t b = 0; b < group; ++b) {
                const float d = block_detail::signed_absmax<32>(xg + b * block_size) / -8.0f;
                id[b] = d != 0.0f ? 1.0f / d : 0.0f;
                out[i + b].d = f16::from_float(d);
            }
            for (std::size_t b = 0; b < group; ++b) pack(xg + b * block_size, id[b], out[i + b]);
        }
        for (; i < out.size(); ++i) quantize_block(x.data() + i * block_size, out[i]);
    }

    // ggml's quantize_q4_0 with an importance matrix: x is ONE row (its mean square enters the weights) and
    // imatrix holds one importance per value of that row. A weighted search over 18 scales per block.
    static void quantize(std::span<const float> x, std::span<block> out, std::span<const float> imatrix) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        block_detail::check_imatrix(name, x.size(), imatrix.size());
        if (x.empty()) return;
        const float sigma2 = block_detail::row_mean_square(x.data(), x.size());
        for (std::size_t i = 0; i < out.size(); ++i) {
            const float* xb = x.data() + i * block_size;
            float w[32];
            std::uint8_t l[32];
            block_detail::imatrix_weights<32>(xb, imatrix.data() + i * block_size, sigma2, w);
            out[i].d = f16::from_float(block_detail::symmetric_search<32>(8, xb, w, l));
            for (int j = 0; j < 16; ++j) out[i].qs[j] = static_cast<std::uint8_t>(l[j] | (l[j + 16] << 4));
        }
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const float d = in[i].d.to_float();
            float* yb = y.data() + i * block_size;
            for (int j = 0; j < 16; ++j) {
                yb[j] = static_cast<float>((in[i].qs[j] & 0x0f) - 8) * d;
                yb[j + 16] = static_cast<float>((in[i].qs[j] >> 4) - 8) * d;
            }
        }
    }

    // ggml's vec_dot_q4_0_q8_0 (scalar order): per block an exact integer sum, times d_w, times d_a.
    static float dot(std::span<const block> w, std::span<const q8_0::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float sum = 0.0f;
        for (std::size_t i = 0; i < w.size(); ++i) {
            std::int32_t s = 0;
            for (int j = 0; j < 16; ++j) {
                s += ((w[i].qs[j] & 0x0f) - 8) * a[i].qs[j];
                s += ((w[i].qs[j] >> 4) - 8) * a[i].qs[j + 16];
            }
            sum += static_cast<float>(s) * w[i].d.to_float() * a[i].d.to_float();
        }
        return sum;
    }

    static void quantize_block(const float* x, block& out) noexcept {
        const float max = block_detail::signed_absmax<32>(x);
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out.d = f16::from_float(d);
        pack(x, id, out);
    }

    // The quants of one block for 1/d = id. One pass over the 16 byte pairs (values j and j+16): a single
    // 16-lane loop.
    static void pack(const float* x, float id, block& out) noexcept {
        std::uint8_t qs[16]; // local, so the compiler needs no aliasing check against x
        for (int j = 0; j < 16; ++j) qs[j] = static_cast<std::uint8_t>(level(x[j], id) | (level(x[j + 16], id) << 4));
        std::memcpy(out.qs, qs, sizeof qs);
    }

    // ggml's MIN(15, (int8_t)(x * id + 8.5f)), as the byte it stores.
    static std::uint8_t level(float x, float id) noexcept {
        const int t = block_detail::trunc_to_i8(x * id + 8.5f);
        return static_cast<std::uint8_t>(t < 15 ? t : 15);
    }
};

static_assert(BlockFormat<q4_0>);
static_assert(ImatrixFormat<q4_0>);

} // namespace qforge
