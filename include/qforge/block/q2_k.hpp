// qforge/block/q2_k.hpp: ggml's Q2_K. Super-blocks of 256 values in 16 groups of 16; each group has a 4-bit
// scale and a 4-bit min, scaled by two f16 super-scales; 2.625 bits per weight.
// Byte layout (84 bytes): scales[16] (group j: scale in the low nibble, min in the high nibble) | qs[64]
// (2-bit quants: byte 32c+l holds values 128c+l, +32, +64, +96 in bits 0-1, 2-3, 4-5, 6-7) | d (f16) |
// dmin (f16). Value of group j = d*(scales[j] & 15) * q - dmin*(scales[j] >> 4).
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

struct q2_k {
    struct block {
        std::uint8_t scales[16]; // 4-bit scale (low) and min (high) per group of 16
        std::uint8_t qs[64];     // 2-bit quants
        f16 d;                   // super-scale of the scales
        f16 dmin;                // super-scale of the mins
    };
    static_assert(sizeof(block) == 84);

    static constexpr std::string_view name = "q2_k";
    static constexpr ggml_type type_id = ggml_type::q2_k;
    static constexpr std::size_t block_size = 256;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_k;

    // ggml's quantize_row_q2_K_ref (what ggml_quantize_chunk uses without an imatrix).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block_ref(x.data() + i * block_size, out[i]);
    }

    // ggml's quantize_row_q2_K_impl with importance weights, one per value.
    static void quantize(std::span<const float> x, std::span<block> out, std::span<const float> imatrix) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        block_detail::check_imatrix(name, x.size(), imatrix.size());
        for (std::size_t i = 0; i < out.size(); ++i)
            quantize_block_imatrix(x.data() + i * block_size, imatrix.data() + i * block_size, out[i]);
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        float* out = y.data();
        for (const block& b : in) {
            const float d = b.d.to_float();
            const float min = b.dmin.to_float();
            for (int g = 0; g < 16; ++g) { // group g: 16 values, quants at bits 2*((g/2)%4) of qs[32*(g/8) + 16*(g%2)..]
                const std::uint8_t sc = b.scales[g];
                const float dl = d * static_cast<float>(sc & 0xF);
                const float ml = min * static_cast<float>(sc >> 4);
                const std::uint8_t* q = b.qs + 32 * (g / 8) + 16 * (g % 2);
                const int shift = 2 * ((g / 2) % 4);
                for (int l = 0; l < 16; ++l) *out++ = dl * static_cast<float>((q[l] >> shift) & 3) - ml;
            }
        }
    }

    // ggml's vec_dot_q2_K_q8_K as its x86 AVX2 kernel computes it (bit-identical result): 8 float lanes;
    // per block, lane k first takes -d_a*dmin * (min_2k*bsum_2k + min_2k+1*bsum_2k+1) by FMA, then
    // d_a*d * (exact integer sum of scale*q*q8 over bytes 4k..4k+3 of every 32-byte stretch) by FMA.
    static float dot(std::span<const block> w, std::span<const q8_k::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float acc[8] = {};
        for (std::size_t i = 0; i < w.size(); ++i) {
            const block& x = w[i];
            const q8_k::block& y = a[i];
            const float d = y.d * x.d.to_float();
            const float dmin = -y.d * x.dmin.to_float();
            std::int32_t sumi[8] = {};
            for (int v = 0; v < 256; ++v) {
                const int q = (x.qs[32 * (v / 128) + v % 32] >> (2 * ((v % 128) / 32))) & 3;
                sumi[(v % 32) / 4] += (x.scales[v / 16] & 0xF) * (q * y.qs[v]);
            }
            for (int k = 0; k < 8; ++k) {
                const int prod = (x.scales[2 * k] >> 4) * y.bsums[2 * k] + (x.scales[2 * k + 1] >> 4) * y.bsums[2 * k + 1];
                acc[k] = std::fma(dmin, static_cast<float>(prod), acc[k]);
                acc[k] = std::fma(d, static_cast<float>(sumi[k]), acc[k]);
            }
        }
        return block_detail::hsum_avx2_order(acc);
    }

private:
    // Shared tail: requantize with the stored scales and mins, pack four 2-bit quants per byte.
    static void requantize_and_pack(const float* x, block& y, std::uint8_t* L) noexcept {
        const float dall = y.d.to_float();
        const float mall = y.dmin.to_float();
        for (int j = 0; j < 16; ++j) {
            const float d = dall * static_cast<float>(y.scales[j] & 0xF);
            if (d == 0.0f) continue;
            const float dm = mall * static_cast<float>(y.scales[j] >> 4);
            for (int ii = 0; ii < 16; ++ii) {
                const int l = block_detail::nearest_int((x[16 * j + ii] + dm) / d);
                L[16 * j + ii] = static_cast<std::uint8_t>(l < 0 ? 0 : l > 3 ? 3 : l);
            }
        }
        for (int c = 0; c < 2; ++c)
            for (int l = 0; l < 32; ++l) {
                const std::uint8_t* Lc = L + 128 * c + l;
                y.qs[32 * c + l] = static_cast<std::uint8_t>(Lc[0] | (Lc[32] << 2) | (Lc[64] << 4) | (Lc[96] << 6));
            }
    }

    static void quantize_block_ref(const float* x, block& y) noexcept {
        std::uint8_t L[256];
        float weights[16];
        float mins[16];
        float scales[16];
        float max_scale = 0;
        float max_min = 0;
        for (int j = 0; j < 16; ++j) {
            const float* xj = x + 16 * j;
            for (int l = 0; l < 16; ++l) weights[l] = std::fabs(xj[l]);
            scales[j] = block_detail::make_qkx_quants<16, 15, true, false>(3, xj, weights, L + 16 * j, &mins[j],
                                                                          -0.5f, 0.1f);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        constexpr float q4scale = 15.f;
        if (max_scale > 0) {
            const float iscale = q4scale / max_scale;
            for (int j = 0; j < 16; ++j)
                y.scales[j] = static_cast<std::uint8_t>(block_detail::nearest_int(iscale * scales[j]));
            y.d = f16::from_float(max_scale / q4scale);
        } else {
            for (auto& s : y.scales) s = 0;
            y.d = f16::from_float(0.f);
        }
        if (max_min > 0) {
            const float iscale = q4scale / max_min;
            for (int j = 0; j < 16; ++j)
                y.scales[j] = static_cast<std::uint8_t>(y.scales[j] | (block_detail::nearest_int(iscale * mins[j]) << 4));
            y.dmin = f16::from_float(max_min / q4scale);
        } else {
            y.dmin = f16::from_float(0.f);
        }
        requantize_and_pack(x, y, L);
    }

    static void quantize_block_imatrix(const float* x, const float* qw, block& y) noexcept {
        std::uint8_t L[256];
        std::uint8_t Ls[16], Lm[16];
        float weight[16];
        float sw[16];
        float mins[16];
        float scales[16];
        const float sigma2 = block_detail::sum_squares(x, 256) / 256;
        for (int j = 0; j < 16; ++j) {
            const float* xj = x + 16 * j;
            for (int l = 0; l < 16; ++l) weight[l] = qw[16 * j + l] * std::sqrt(sigma2 + xj[l] * xj[l]);
            float sumw = 0;
            for (int l = 0; l < 16; ++l) sumw += weight[l];
            sw[j] = sumw;
            scales[j] = block_detail::make_qkx_quants<16, 36, false, true>(3, xj, weight, L + 16 * j, &mins[j],
                                                                          -0.9f, 0.05f);
        }
        const float dm = block_detail::make_qp_quants(16, 15, scales, Ls, sw);
        const float mm = block_detail::make_qp_quants(16, 15, mins, Lm, sw);
        y.d = f16::from_float(dm);
        y.dmin = f16::from_float(mm);
        for (int j = 0; j < 16; ++j) y.scales[j] = static_cast<std::uint8_t>(Ls[j] | (Lm[j] << 4));
        requantize_and_pack(x, y, L);
    }
};

static_assert(ImatrixFormat<q2_k>);

} // namespace qforge

QFORGE_FP_EXACT_END
