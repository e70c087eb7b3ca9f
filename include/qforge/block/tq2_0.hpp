// qforge/block/tq2_0.hpp: ggml's TQ2_0, ternary weights (-1, 0, +1) times one f16 scale per 256 values,
// two bits per value; 2.0625 bits per weight.
// Byte layout (66 bytes): qs[64] (byte 32c+m holds t+1 of values 128c+m, +32, +64, +96 in bits 0-1, 2-3,
// 4-5, 6-7) | d (f16). Value = (q - 1) * d.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/kquant_math.hpp"
#include "qforge/block/q8_k.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/config.hpp"
#include "qforge/core/half.hpp"

QFORGE_FP_EXACT_BEGIN

namespace qforge {

struct tq2_0 {
    struct block {
        std::uint8_t qs[64]; // 2-bit t+1
        f16 d;               // scale (the absolute maximum)
    };
    static_assert(sizeof(block) == 66);

    static constexpr std::string_view name = "tq2_0";
    static constexpr ggml_type type_id = ggml_type::tq2_0;
    static constexpr std::size_t block_size = 256;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_k;

    // ggml's quantize_row_tq2_0_ref: d = max |x|, t = lroundf(x / d) (ties away from zero).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) {
            const float* xb = x.data() + i * block_size;
            float amax = 0.0f;
            for (std::size_t j = 0; j < block_size; ++j) amax = amax > std::fabs(xb[j]) ? amax : std::fabs(xb[j]);
            const float d = amax;
            const float id = d != 0.0f ? 1.0f / d : 0.0f;
            out[i].d = f16::from_float(d);
            std::uint8_t t1[256];
            block_detail::ternary_round(xb, id, t1);
            for (int c = 0; c < 2; ++c)
                for (int m = 0; m < 32; ++m) {
                    const std::uint8_t* t = t1 + 128 * c + m;
                    out[i].qs[32 * c + m] =
                        static_cast<std::uint8_t>((t[0] & 3) | ((t[32] & 3) << 2) | ((t[64] & 3) << 4) | ((t[96] & 3) << 6));
                }
        }
    }

    // t+1 (0..2, 3 for a byte ggml never writes) of every value of a block, in value order.
    static void unpack(const block& b, std::uint8_t* t1) noexcept {
        for (int v = 0; v < 256; ++v) t1[v] = (b.qs[32 * (v / 128) + v % 32] >> (2 * ((v % 128) / 32))) & 3;
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        float* out = y.data();
        for (const block& b : in) {
            const float d = b.d.to_float();
            std::uint8_t t1[256];
            unpack(b, t1);
            for (int v = 0; v < 256; ++v) *out++ = static_cast<float>(t1[v] - 1) * d;
        }
    }

    // ggml's vec_dot_tq2_0_q8_K as its x86 AVX2 kernel computes it (bit-identical result).
    static float dot(std::span<const block> w, std::span<const q8_k::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float acc[8] = {};
        for (std::size_t i = 0; i < w.size(); ++i) {
            std::uint8_t t1[256];
            unpack(w[i], t1);
            block_detail::ternary_dot_lanes(t1, a[i].qs, a[i].bsums, a[i].d * w[i].d.to_float(), acc);
        }
        return block_detail::hsum_avx2_order(acc);
    }
};

static_assert(BlockFormat<tq2_0>);

} // namespace qforge

QFORGE_FP_EXACT_END
