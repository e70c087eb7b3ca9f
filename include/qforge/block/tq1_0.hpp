// qforge/block/tq1_0.hpp: ggml's TQ1_0, ternary weights (-1, 0, +1) times one f16 scale per 256 values,
// five trits per byte (3^5 = 243 <= 256); 1.6875 bits per weight.
// Byte layout (54 bytes): qs[48] | qh[4] | d (f16). A byte stores n trits t_0..t_{n-1} (each t+1 in 0..2)
// as ceil(256 * T / 243) with T = sum (t_k+1)*3^(4-k) (qh bytes: 4 trits and a zero fifth), so trit k is the
// top "digit" of (byte * 3^k mod 256) * 3 / 256. qs[0..31], trit k: value 32k+m for byte m; qs[32..47], trit
// k: value 160+16k+m for byte 32+m; qh[j], trit k: value 240+4k+j. Value = (t+1 - 1) * d.
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

struct tq1_0 {
    struct block {
        std::uint8_t qs[48]; // 5 trits per byte
        std::uint8_t qh[4];  // 4 trits per byte
        f16 d;               // scale (the absolute maximum)
    };
    static_assert(sizeof(block) == 54);

    static constexpr std::string_view name = "tq1_0";
    static constexpr ggml_type type_id = ggml_type::tq1_0;
    static constexpr std::size_t block_size = 256;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_k;

    // ggml's quantize_row_tq1_0_ref: d = max |x|, t = lroundf(x / d) (ties away from zero), packed base 3.
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
            // Base-3 digits in 8-bit arithmetic like ggml, then scaled by 256/243 (rounded up) so that the
            // first trit is the byte's top "digit".
            const auto pack = [](unsigned t) { return static_cast<std::uint8_t>((t * 256 + 242) / 243); };
            for (int m = 0; m < 32; ++m) {
                std::uint8_t q = 0;
                for (int n = 0; n < 5; ++n) q = static_cast<std::uint8_t>(q * 3 + t1[32 * n + m]);
                out[i].qs[m] = pack(q);
            }
            for (int m = 0; m < 16; ++m) {
                std::uint8_t q = 0;
                for (int n = 0; n < 5; ++n) q = static_cast<std::uint8_t>(q * 3 + t1[160 + 16 * n + m]);
                out[i].qs[32 + m] = pack(q);
            }
            for (int j = 0; j < 4; ++j) {
                std::uint8_t q = 0;
                for (int m = 0; m < 4; ++m) q = static_cast<std::uint8_t>(q * 3 + t1[240 + 4 * m + j]);
                out[i].qh[j] = pack(static_cast<std::uint8_t>(q * 3));
            }
        }
    }

    // t+1 (0..2) of every value of a block, in value order.
    static void unpack(const block& b, std::uint8_t* t1) noexcept {
        constexpr std::uint8_t pow3[5] = {1, 3, 9, 27, 81};
        const auto digit = [](std::uint8_t byte, std::uint8_t p) {
            const auto q = static_cast<std::uint8_t>(byte * p);
            return static_cast<std::uint8_t>((q * 3) >> 8);
        };
        for (int n = 0; n < 5; ++n)
            for (int m = 0; m < 32; ++m) t1[32 * n + m] = digit(b.qs[m], pow3[n]);
        for (int n = 0; n < 5; ++n)
            for (int m = 0; m < 16; ++m) t1[160 + 16 * n + m] = digit(b.qs[32 + m], pow3[n]);
        for (int n = 0; n < 4; ++n)
            for (int j = 0; j < 4; ++j) t1[240 + 4 * n + j] = digit(b.qh[j], pow3[n]);
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

    // ggml's vec_dot_tq1_0_q8_K as its x86 AVX2 kernel computes it (bit-identical result).
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

static_assert(BlockFormat<tq1_0>);

} // namespace qforge

QFORGE_FP_EXACT_END
