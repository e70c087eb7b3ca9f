// qforge/block/q3_k.hpp: ggml's Q3_K. Super-blocks of 256 values in 16 groups of 16; each group has a signed
// 6-bit scale, scaled by one f16 super-scale; values are 3-bit signed (-4..3); 3.4375 bits per weight.
// Byte layout (110 bytes): hmask[32] (high bit of each quant: bit c of byte l for value 32c+l) | qs[64]
// (low 2 bits: byte 32c+l holds values 128c+l, +32, +64, +96 in bits 0-1, 2-3, 4-5, 6-7) | scales[12] (16
// 6-bit scales, biased by 32: low nibbles of scales 0-7 in the low nibbles of bytes 0-7, of scales 8-15 in
// their high nibbles; the top 2 bits of scale j in bits 2*(j/4)..+1 of byte 8 + j%4) | d (f16).
// Value = d*(scale_j - 32) * ((low 2 bits) - (high bit set ? 0 : 4)).
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

struct q3_k {
    struct block {
        std::uint8_t hmask[32];  // high bits of the quants
        std::uint8_t qs[64];     // low 2 bits of the quants
        std::uint8_t scales[12]; // 16 6-bit scales, packed
        f16 d;                   // super-scale
    };
    static_assert(sizeof(block) == 110);

    static constexpr std::string_view name = "q3_k";
    static constexpr ggml_type type_id = ggml_type::q3_k;
    static constexpr std::size_t block_size = 256;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_k;

    // ggml's quantize_row_q3_K_ref (what ggml_quantize_chunk uses without an imatrix).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block_ref(x.data() + i * block_size, out[i]);
    }

    // ggml's quantize_row_q3_K_impl with importance weights, one per value.
    static void quantize(std::span<const float> x, std::span<block> out, std::span<const float> imatrix) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        block_detail::check_imatrix(name, x.size(), imatrix.size());
        for (std::size_t i = 0; i < out.size(); ++i)
            quantize_block_imatrix(x.data() + i * block_size, imatrix.data() + i * block_size, out[i]);
    }

    // The 16 unpacked scales, still biased by 32.
    static void unpack_scales(const std::uint8_t* s, int* out) noexcept {
        for (int j = 0; j < 16; ++j) {
            const int low = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
            out[j] = low | (((s[8 + j % 4] >> (2 * (j / 4))) & 3) << 4);
        }
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        float* out = y.data();
        for (const block& b : in) {
            const float d_all = b.d.to_float();
            int sc[16];
            unpack_scales(b.scales, sc);
            for (int g = 0; g < 16; ++g) {
                const float dl = d_all * static_cast<float>(sc[g] - 32);
                const int off = 16 * (g % 2);
                const std::uint8_t* q = b.qs + 32 * (g / 8) + off;
                const int shift = 2 * ((g / 2) % 4);
                const std::uint8_t m = static_cast<std::uint8_t>(1u << ((g / 2) % 8));
                for (int l = 0; l < 16; ++l) {
                    const int v = ((q[l] >> shift) & 3) - ((b.hmask[off + l] & m) ? 0 : 4);
                    *out++ = dl * static_cast<float>(v);
                }
            }
        }
    }

    // ggml's vec_dot_q3_K_q8_K as its x86 AVX2 kernel computes it (bit-identical result): per block, 8 exact
    // int32 lanes (lane k: bytes 4k..4k+3 of every 32-value stretch, times the group's scale) enter 8 float
    // accumulators by FMA with d_a*d; then the kernel's horizontal sum.
    static float dot(std::span<const block> w, std::span<const q8_k::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float acc[8] = {};
        for (std::size_t i = 0; i < w.size(); ++i) {
            const block& x = w[i];
            const q8_k::block& y = a[i];
            int sc[16];
            unpack_scales(x.scales, sc);
            std::int32_t sumi[8] = {};
            for (int v = 0; v < 256; ++v) {
                const int b = v % 32;
                const int c = v / 32; // bit of hmask
                const int q = ((x.qs[32 * (v / 128) + b] >> (2 * (c % 4))) & 3) - ((x.hmask[b] >> c) & 1 ? 0 : 4);
                sumi[b / 4] += (sc[v / 16] - 32) * (q * y.qs[v]);
            }
            const float d = y.d * x.d.to_float();
            for (int k = 0; k < 8; ++k) acc[k] = std::fma(d, static_cast<float>(sumi[k]), acc[k]);
        }
        return block_detail::hsum_avx2_order(acc);
    }

private:
    static void pack_scale(block& y, int j, int l) noexcept {
        if (j < 8) y.scales[j] = static_cast<std::uint8_t>(l & 0xF);
        else y.scales[j - 8] = static_cast<std::uint8_t>(y.scales[j - 8] | ((l & 0xF) << 4));
        y.scales[j % 4 + 8] = static_cast<std::uint8_t>(y.scales[j % 4 + 8] | ((l >> 4) << (2 * (j / 4))));
    }

    // Shared tail: requantize with the stored scales, split off the high bits, pack the low 2 bits.
    static void requantize_and_pack(const float* x, block& y, std::int8_t* L) noexcept {
        int sc[16];
        unpack_scales(y.scales, sc);
        for (int j = 0; j < 16; ++j) {
            const float d = y.d.to_float() * static_cast<float>(static_cast<std::int8_t>(sc[j] - 32));
            if (d == 0.0f) continue;
            for (int ii = 0; ii < 16; ++ii) {
                const int l = block_detail::nearest_int(x[16 * j + ii] / d);
                L[16 * j + ii] = static_cast<std::int8_t>((l < -4 ? -4 : l > 3 ? 3 : l) + 4);
            }
        }
        // High bit of value 32c+b into bit c of hmask[b] (branch-free: it is set for about half the values).
        std::memset(y.hmask, 0, sizeof y.hmask);
        for (int c = 0; c < 8; ++c)
            for (int b = 0; b < 32; ++b) {
                const int high = L[32 * c + b] > 3;
                y.hmask[b] = static_cast<std::uint8_t>(y.hmask[b] | (high << c));
                L[32 * c + b] = static_cast<std::int8_t>(L[32 * c + b] - 4 * high);
            }
        for (int c = 0; c < 2; ++c)
            for (int l = 0; l < 32; ++l) {
                const std::int8_t* Lc = L + 128 * c + l;
                y.qs[32 * c + l] = static_cast<std::uint8_t>(Lc[0] | (Lc[32] << 2) | (Lc[64] << 4) | (Lc[96] << 6));
            }
    }

    static void quantize_block_ref(const float* x, block& y) noexcept {
        std::int8_t L[256];
        float scales[16];
        float max_scale = 0;
        float amax = 0;
        for (int j = 0; j < 16; ++j) {
            scales[j] = block_detail::make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
            const float scale = std::fabs(scales[j]);
            if (scale > amax) {
                amax = scale;
                max_scale = scales[j];
            }
        }
        std::memset(y.scales, 0, sizeof y.scales);
        if (max_scale != 0.0f) {
            const float iscale = -32.f / max_scale;
            for (int j = 0; j < 16; ++j) {
                // ggml keeps nearest_int's result in an int8_t before clamping.
                const auto l8 = static_cast<std::int8_t>(block_detail::nearest_int(iscale * scales[j]));
                const int l = (l8 < -32 ? -32 : l8 > 31 ? 31 : l8) + 32;
                pack_scale(y, j, l);
            }
            y.d = f16::from_float(1 / iscale);
        } else {
            y.d = f16::from_float(0.f);
        }
        requantize_and_pack(x, y, L);
    }

    static void quantize_block_imatrix(const float* x, const float* qw, block& y) noexcept {
        std::int8_t L[256];
        std::int8_t Ls[16];
        float scales[16];
        float weight[16];
        float sw[16];
        const float sigma2 = 2 * block_detail::sum_squares(x, 256) / 256;
        for (int j = 0; j < 16; ++j) {
            const float* xj = x + 16 * j;
            for (int l = 0; l < 16; ++l) weight[l] = qw[16 * j + l] * std::sqrt(sigma2 + xj[l] * xj[l]);
            float sumw = 0;
            for (int l = 0; l < 16; ++l) sumw += weight[l];
            sw[j] = sumw;
            scales[j] = block_detail::make_qx_quants<16>(4, xj, L + 16 * j, weight);
        }
        std::memset(y.scales, 0, sizeof y.scales);
        const float d_block = block_detail::make_qx_quants<16>(32, scales, Ls, sw);
        for (int j = 0; j < 16; ++j) pack_scale(y, j, Ls[j]);
        y.d = f16::from_float(d_block);
        requantize_and_pack(x, y, L);
    }
};

static_assert(ImatrixFormat<q3_k>);

} // namespace qforge

QFORGE_FP_EXACT_END
