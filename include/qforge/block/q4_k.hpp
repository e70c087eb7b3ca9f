// qforge/block/q4_k.hpp: ggml's Q4_K. Super-blocks of 256 values in 8 groups of 32; each group has a 6-bit
// scale and a 6-bit min, themselves scaled by two f16 super-scales; 4.5 bits per weight.
// Byte layout (144 bytes): d (f16) | dmin (f16) | scales[12] (6-bit scales and mins, see
// block_detail::pack_scale_min_k4) | qs[128] (4-bit quants: byte 32c+l holds value 64c+l in its low nibble and
// value 64c+32+l in its high nibble). Value of group j = d*sc_j * q - dmin*m_j.
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

struct q4_k {
    struct block {
        f16 d;                  // super-scale of the group scales
        f16 dmin;               // super-scale of the group mins
        std::uint8_t scales[12]; // 6-bit scales and mins, packed
        std::uint8_t qs[128];   // 4-bit quants
    };
    static_assert(sizeof(block) == 144);

    static constexpr std::string_view name = "q4_k";
    static constexpr ggml_type type_id = ggml_type::q4_k;
    static constexpr std::size_t block_size = 256;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_k;

    // ggml's quantize_row_q4_K_ref (what ggml_quantize_chunk uses without an imatrix).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block_ref(x.data() + i * block_size, out[i]);
    }

    // ggml's quantize_row_q4_K_impl with importance weights, one per value.
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
            const std::uint8_t* q = b.qs;
            for (int j = 0; j < 4; ++j) {
                std::uint8_t sc, m;
                block_detail::get_scale_min_k4(2 * j, b.scales, sc, m);
                const float d1 = d * sc, m1 = min * m;
                block_detail::get_scale_min_k4(2 * j + 1, b.scales, sc, m);
                const float d2 = d * sc, m2 = min * m;
                for (int l = 0; l < 32; ++l) *out++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
                for (int l = 0; l < 32; ++l) *out++ = d2 * static_cast<float>(q[l] >> 4) - m2;
                q += 32;
            }
        }
    }

    // ggml's vec_dot_q4_K_q8_K as its x86 AVX2 kernel computes it, so that the result is the same float:
    // per block, 8 exact int32 lanes (lane k sums bytes 4k..4k+3 of every 32-value group, times the group's
    // scale) enter 8 float accumulators by FMA with d = d_a * d_w; the mins enter 4 accumulators by FMA with
    // -d_a * dmin_w through the activation's bsums (lane k: groups 2k and 2k+1); at the end both are summed
    // horizontally in the kernel's order.
    static float dot(std::span<const block> w, std::span<const q8_k::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float acc[8] = {};
        float acc_m[4] = {};
        for (std::size_t i = 0; i < w.size(); ++i) {
            const block& x = w[i];
            const q8_k::block& y = a[i];
            std::uint8_t sc[8], mn[8];
            for (int j = 0; j < 8; ++j) block_detail::get_scale_min_k4(j, x.scales, sc[j], mn[j]);
            const float d = y.d * x.d.to_float();
            const float dmin = -y.d * x.dmin.to_float();
            for (int k = 0; k < 4; ++k) {
                const int q8s0 = y.bsums[4 * k] + y.bsums[4 * k + 1];
                const int q8s1 = y.bsums[4 * k + 2] + y.bsums[4 * k + 3];
                const int prod = mn[2 * k] * q8s0 + mn[2 * k + 1] * q8s1;
                acc_m[k] = std::fma(dmin, static_cast<float>(prod), acc_m[k]);
            }
            std::int32_t sumi[8] = {};
            for (int g = 0; g < 8; ++g) { // 32-value group g: low nibbles (even g) or high nibbles of qs[32*(g/2)..]
                const std::uint8_t* q = x.qs + 32 * (g / 2);
                const std::int8_t* q8 = y.qs + 32 * g;
                const int shift = (g & 1) * 4;
                for (int b = 0; b < 32; ++b) sumi[b / 4] += sc[g] * (((q[b] >> shift) & 0xF) * q8[b]);
            }
            for (int k = 0; k < 8; ++k) acc[k] = std::fma(d, static_cast<float>(sumi[k]), acc[k]);
        }
        return block_detail::hsum_avx2_order(acc) + block_detail::hsum_sse_order(acc_m);
    }

private:
    // Shared tail of both quantizers: requantize every value with the stored (f16-rounded) scales, pack.
    static void requantize_and_pack(const float* x, block& y, std::uint8_t* L) noexcept {
        for (int j = 0; j < 8; ++j) {
            std::uint8_t sc, m;
            block_detail::get_scale_min_k4(j, y.scales, sc, m);
            const float d = y.d.to_float() * sc;
            if (d == 0.0f) continue;
            const float dm = y.dmin.to_float() * m;
            for (int ii = 0; ii < 32; ++ii) {
                const int l = block_detail::nearest_int((x[32 * j + ii] + dm) / d);
                L[32 * j + ii] = static_cast<std::uint8_t>(l < 0 ? 0 : l > 15 ? 15 : l);
            }
        }
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l)
                y.qs[32 * c + l] = static_cast<std::uint8_t>(L[64 * c + l] | (L[64 * c + l + 32] << 4));
    }

    static void quantize_block_ref(const float* x, block& y) noexcept {
        std::uint8_t L[256];
        block_detail::k4_scales_ref<15, 20>(x, y, L, -1.f, 0.1f);
        requantize_and_pack(x, y, L);
    }

    static void quantize_block_imatrix(const float* x, const float* qw, block& y) noexcept {
        std::uint8_t L[256];
        block_detail::k4_scales_imatrix<15>(x, qw, y, L);
        requantize_and_pack(x, y, L);
    }
};

static_assert(ImatrixFormat<q4_k>);

} // namespace qforge

QFORGE_FP_EXACT_END
