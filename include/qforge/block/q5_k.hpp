// qforge/block/q5_k.hpp: ggml's Q5_K. Like q4_k (8 groups of 32 with 6-bit scales and mins under two f16
// super-scales) plus a fifth bit per value; 5.5 bits per weight.
// Byte layout (176 bytes): d (f16) | dmin (f16) | scales[12] (as q4_k, see block_detail::pack_scale_min_k4) |
// qh[32] (bit g of byte l: fifth bit of value 32g+l) | qs[128] (low 4 bits: byte 32c+l holds value 64c+l in
// its low nibble and 64c+32+l in its high nibble). Value of group j = d*sc_j * q - dmin*m_j, q in 0..31.
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

struct q5_k {
    struct block {
        f16 d;                   // super-scale of the group scales
        f16 dmin;                // super-scale of the group mins
        std::uint8_t scales[12]; // 6-bit scales and mins, packed
        std::uint8_t qh[32];     // fifth bits
        std::uint8_t qs[128];    // low 4 bits
    };
    static_assert(sizeof(block) == 176);

    static constexpr std::string_view name = "q5_k";
    static constexpr ggml_type type_id = ggml_type::q5_k;
    static constexpr std::size_t block_size = 256;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_k;

    // ggml's quantize_row_q5_K_ref (what ggml_quantize_chunk uses without an imatrix).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block_ref(x.data() + i * block_size, out[i]);
    }

    // ggml's quantize_row_q5_K_impl with importance weights, one per value.
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
            for (int g = 0; g < 8; ++g) {
                std::uint8_t sc, m;
                block_detail::get_scale_min_k4(g, b.scales, sc, m);
                const float dl = d * sc, ml = min * m;
                const std::uint8_t* ql = b.qs + 32 * (g / 2);
                const int shift = 4 * (g % 2);
                for (int l = 0; l < 32; ++l) {
                    const int q = ((ql[l] >> shift) & 0xF) + ((b.qh[l] >> g) & 1 ? 16 : 0);
                    *out++ = dl * static_cast<float>(q) - ml;
                }
            }
        }
    }

    // ggml's vec_dot_q5_K_q8_K as its x86 AVX2 kernel computes it (bit-identical result): 8 exact int32
    // lanes per block (lane k: bytes 4k..4k+3 of every 32-value group, times the group's scale) enter 8
    // float accumulators by FMA with d_a*d; the mins term is one scalar accumulator,
    // summs += (-d_a*dmin) * sum_j min_j * (bsum_2j + bsum_2j+1), fused (ggml-cpu is built with -march=native).
    static float dot(std::span<const block> w, std::span<const q8_k::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float acc[8] = {};
        float summs = 0.f;
        for (std::size_t i = 0; i < w.size(); ++i) {
            const block& x = w[i];
            const q8_k::block& y = a[i];
            std::uint8_t sc[8], mn[8];
            for (int j = 0; j < 8; ++j) block_detail::get_scale_min_k4(j, x.scales, sc[j], mn[j]);
            const float d = y.d * x.d.to_float();
            const float dmin = -y.d * x.dmin.to_float();
            int msum = 0;
            for (int j = 0; j < 8; ++j) msum += mn[j] * (y.bsums[2 * j] + y.bsums[2 * j + 1]);
            summs = std::fma(dmin, static_cast<float>(msum), summs);
            std::int32_t sumi[8] = {};
            for (int v = 0; v < 256; ++v) {
                const int b = v % 32;
                const int g = v / 32;
                const int q = ((x.qs[32 * (g / 2) + b] >> (4 * (g % 2))) & 0xF) + ((x.qh[b] >> g) & 1 ? 16 : 0);
                sumi[b / 4] += sc[g] * (q * y.qs[v]);
            }
            for (int k = 0; k < 8; ++k) acc[k] = std::fma(d, static_cast<float>(sumi[k]), acc[k]);
        }
        return block_detail::hsum_avx2_order(acc) + summs;
    }

private:
    // Shared tail: requantize with the stored scales and mins, split off the fifth bits, pack.
    static void requantize_and_pack(const float* x, block& y, std::uint8_t* L) noexcept {
        for (int j = 0; j < 8; ++j) {
            std::uint8_t sc, m;
            block_detail::get_scale_min_k4(j, y.scales, sc, m);
            const float d = y.d.to_float() * sc;
            if (d == 0.0f) continue;
            const float dm = y.dmin.to_float() * m;
            for (int ii = 0; ii < 32; ++ii) {
                const int l = block_detail::nearest_int((x[32 * j + ii] + dm) / d);
                L[32 * j + ii] = static_cast<std::uint8_t>(l < 0 ? 0 : l > 31 ? 31 : l);
            }
        }
        std::memset(y.qh, 0, sizeof y.qh);
        for (int c = 0; c < 4; ++c)
            for (int j = 0; j < 32; ++j) {
                int l1 = L[64 * c + j];
                int l2 = L[64 * c + j + 32];
                if (l1 > 15) {
                    l1 -= 16;
                    y.qh[j] = static_cast<std::uint8_t>(y.qh[j] | (1u << (2 * c)));
                }
                if (l2 > 15) {
                    l2 -= 16;
                    y.qh[j] = static_cast<std::uint8_t>(y.qh[j] | (2u << (2 * c)));
                }
                y.qs[32 * c + j] = static_cast<std::uint8_t>(l1 | (l2 << 4));
            }
    }

    static void quantize_block_ref(const float* x, block& y) noexcept {
        std::uint8_t L[256];
        block_detail::k4_scales_ref<31, 15>(x, y, L, -0.5f, 0.1f);
        requantize_and_pack(x, y, L);
    }

    static void quantize_block_imatrix(const float* x, const float* qw, block& y) noexcept {
        std::uint8_t L[256];
        block_detail::k4_scales_imatrix<31>(x, qw, y, L);
        requantize_and_pack(x, y, L);
    }
};

static_assert(ImatrixFormat<q5_k>);

} // namespace qforge

QFORGE_FP_EXACT_END
