// qforge/block/q6_k.hpp: ggml's Q6_K. Super-blocks of 256 values in 16 groups of 16; each group has a
// signed 8-bit scale under one f16 super-scale; values are 6-bit signed (-32..31); 6.5625 bits per weight.
// Byte layout (210 bytes): ql[128] (low 4 bits: in each half c of 128 values, byte 64c+l holds value
// 128c+l (low nibble) and 128c+l+64 (high nibble), byte 64c+32+l holds values 128c+l+32 and 128c+l+96) |
// qh[64] (high 2 bits: byte 32c+l holds those of values 128c+l, +32, +64, +96 in bits 0-1, 2-3, 4-5, 6-7) |
// scales[16] (int8) | d (f16). Value = d * scale_j * (q - 32).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
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

struct q6_k {
    struct block {
        std::uint8_t ql[128];    // low 4 bits of the quants
        std::uint8_t qh[64];     // high 2 bits of the quants
        std::int8_t scales[16];  // group scales
        f16 d;                   // super-scale
    };
    static_assert(sizeof(block) == 210);

    static constexpr std::string_view name = "q6_k";
    static constexpr ggml_type type_id = ggml_type::q6_k;
    static constexpr std::size_t block_size = 256;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_k;

    // ggml's quantize_row_q6_K_ref (what ggml_quantize_chunk uses without an imatrix).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block(x.data() + i * block_size, nullptr, out[i]);
    }

    // ggml's quantize_row_q6_K_impl with importance weights, one per value (they weigh the group scale
    // search directly).
    static void quantize(std::span<const float> x, std::span<block> out, std::span<const float> imatrix) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        block_detail::check_imatrix(name, x.size(), imatrix.size());
        for (std::size_t i = 0; i < out.size(); ++i)
            quantize_block(x.data() + i * block_size, imatrix.data() + i * block_size, out[i]);
    }

    // The unsigned 6-bit quant (0..63) of value v of a block.
    static int quant(const block& b, int v) noexcept {
        const int c = v / 128, r = v % 128, l = r % 32, s = r / 32; // s: which of the four 32-value stretches
        const std::uint8_t lo = b.ql[64 * c + 32 * (s % 2) + l];
        const int low = s < 2 ? lo & 0xF : lo >> 4;
        return low | (((b.qh[32 * c + l] >> (2 * s)) & 3) << 4);
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        float* out = y.data();
        for (const block& b : in) {
            const float d = b.d.to_float();
            for (int v = 0; v < 256; ++v) {
                // ggml: d * sc * q, evaluated left to right in float.
                const auto q = static_cast<std::int8_t>(quant(b, v) - 32);
                *out++ = d * static_cast<float>(b.scales[v / 16]) * static_cast<float>(q);
            }
        }
    }

    // ggml's vec_dot_q6_K_q8_K as its x86 AVX2 kernel computes it (bit-identical result): lane k of 8 exact
    // int32 lanes sums scale*q*q8 with the unsigned quant q over bytes 4k..4k+3 of every 32-value stretch,
    // minus 32*(scale_2k*bsum_2k + scale_2k+1*bsum_2k+1); each enters a float accumulator by FMA with d_a*d.
    static float dot(std::span<const block> w, std::span<const q8_k::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float acc[8] = {};
        for (std::size_t i = 0; i < w.size(); ++i) {
            const block& x = w[i];
            const q8_k::block& y = a[i];
            std::int32_t sumi[8] = {};
            for (int v = 0; v < 256; ++v) sumi[(v % 32) / 4] += x.scales[v / 16] * (quant(x, v) * y.qs[v]);
            const float d = y.d * x.d.to_float();
            for (int k = 0; k < 8; ++k) {
                sumi[k] -= 32 * (y.bsums[2 * k] * x.scales[2 * k] + y.bsums[2 * k + 1] * x.scales[2 * k + 1]);
                acc[k] = std::fma(d, static_cast<float>(sumi[k]), acc[k]);
            }
        }
        return block_detail::hsum_avx2_order(acc);
    }

private:
    static void quantize_block(const float* x, const float* qw, block& y) noexcept {
        std::int8_t L[256];
        float scales[16];
        float max_scale = 0;
        float max_abs_scale = 0;
        for (int ib = 0; ib < 16; ++ib) {
            const float scale = block_detail::make_qx_quants<16>(32, x + 16 * ib, L + 16 * ib, qw ? qw + 16 * ib : nullptr);
            scales[ib] = scale;
            const float abs_scale = std::fabs(scale);
            if (abs_scale > max_abs_scale) {
                max_abs_scale = abs_scale;
                max_scale = scale;
            }
        }
        if (max_abs_scale < block_detail::group_max_eps) {
            y = block{};
            return;
        }
        const float iscale = -128.f / max_scale;
        y.d = f16::from_float(1 / iscale);
        for (int ib = 0; ib < 16; ++ib) {
            const int s = block_detail::nearest_int(iscale * scales[ib]);
            y.scales[ib] = static_cast<std::int8_t>(s < 127 ? s : 127);
        }
        for (int j = 0; j < 16; ++j) {
            const float d = y.d.to_float() * static_cast<float>(y.scales[j]);
            if (d == 0.0f) continue;
            for (int ii = 0; ii < 16; ++ii) {
                const int l = block_detail::nearest_int(x[16 * j + ii] / d);
                L[16 * j + ii] = static_cast<std::int8_t>((l < -32 ? -32 : l > 31 ? 31 : l) + 32);
            }
        }
        for (int c = 0; c < 2; ++c) {
            std::uint8_t* ql = y.ql + 64 * c;
            std::uint8_t* qh = y.qh + 32 * c;
            const std::int8_t* Lc = L + 128 * c;
            for (int l = 0; l < 32; ++l) {
                const int q1 = Lc[l] & 0xF, q2 = Lc[l + 32] & 0xF, q3 = Lc[l + 64] & 0xF, q4 = Lc[l + 96] & 0xF;
                ql[l] = static_cast<std::uint8_t>(q1 | (q3 << 4));
                ql[l + 32] = static_cast<std::uint8_t>(q2 | (q4 << 4));
                qh[l] = static_cast<std::uint8_t>((Lc[l] >> 4) | ((Lc[l + 32] >> 4) << 2) | ((Lc[l + 64] >> 4) << 4) |
                                                  ((Lc[l + 96] >> 4) << 6));
            }
        }
    }
};

static_assert(ImatrixFormat<q6_k>);

} // namespace qforge

QFORGE_FP_EXACT_END
