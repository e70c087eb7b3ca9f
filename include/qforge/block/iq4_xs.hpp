// qforge/block/iq4_xs.hpp: ggml's IQ4_XS. Super-blocks of 256 values in 8 groups of 32; each value is an
// index into 16 non-linear levels (block_detail::iq4_levels), each group has a signed 6-bit scale under one
// f16 super-scale; 4.25 bits per weight.
// Byte layout (136 bytes): d (f16) | scales_h (u16 LE: bits 2g..2g+1 = top 2 bits of scale g) |
// scales_l[4] (low nibble of byte g/2, the high nibble for odd g: low 4 bits of scale g) | qs[128] (group g
// uses bytes 16g..16g+15: value 32g+l in the low nibble of byte 16g+l, value 32g+16+l in its high nibble).
// Value = d * (scale_g - 32) * iq4_levels[index].
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/iq4_table.hpp"
#include "qforge/block/detail/kquant_math.hpp"
#include "qforge/block/q8_k.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/config.hpp"
#include "qforge/core/half.hpp"

QFORGE_FP_EXACT_BEGIN

namespace qforge {

struct iq4_xs {
    struct block {
        f16 d;                    // super-scale
        std::uint16_t scales_h;   // top 2 bits of the 8 group scales
        std::uint8_t scales_l[4]; // low 4 bits of the 8 group scales
        std::uint8_t qs[128];     // 4-bit level indices
    };
    static_assert(sizeof(block) == 136);

    static constexpr std::string_view name = "iq4_xs";
    static constexpr ggml_type type_id = ggml_type::iq4_xs;
    static constexpr std::size_t block_size = 256;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_k;

    // ggml's quantize_iq4_xs without importance weights (errors weighted by x^2).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block(x.data() + i * block_size, nullptr, out[i]);
    }

    // ggml's quantize_iq4_xs with importance weights, one per value.
    static void quantize(std::span<const float> x, std::span<block> out, std::span<const float> imatrix) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        block_detail::check_imatrix(name, x.size(), imatrix.size());
        for (std::size_t i = 0; i < out.size(); ++i)
            quantize_block(x.data() + i * block_size, imatrix.data() + i * block_size, out[i]);
    }

    // The 6-bit scale of group g, biased by 32.
    static int scale(const block& b, int g) noexcept {
        return ((b.scales_l[g / 2] >> (4 * (g % 2))) & 0xF) | (((b.scales_h >> (2 * g)) & 3) << 4);
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        float* out = y.data();
        for (const block& b : in) {
            const float d = b.d.to_float();
            for (int g = 0; g < 8; ++g) {
                const float dl = d * static_cast<float>(scale(b, g) - 32);
                const std::uint8_t* qs = b.qs + 16 * g;
                for (int j = 0; j < 16; ++j) {
                    out[j] = dl * static_cast<float>(block_detail::iq4_levels[qs[j] & 0xF]);
                    out[j + 16] = dl * static_cast<float>(block_detail::iq4_levels[qs[j] >> 4]);
                }
                out += 32;
            }
        }
    }

    // ggml's vec_dot_iq4_xs_q8_K as its x86 AVX2 kernel computes it (bit-identical result): 8 exact int32
    // lanes per block (lane k: positions 4k..4k+3 of every 32-value group, times the group's scale) enter
    // 8 float accumulators by FMA with d*d_a; then the kernel's horizontal sum.
    static float dot(std::span<const block> w, std::span<const q8_k::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float acc[8] = {};
        for (std::size_t i = 0; i < w.size(); ++i) {
            const block& x = w[i];
            const q8_k::block& y = a[i];
            std::int32_t sumi[8] = {};
            for (int g = 0; g < 8; ++g) {
                const int ls = scale(x, g) - 32;
                for (int p = 0; p < 32; ++p) {
                    const std::uint8_t q = x.qs[16 * g + p % 16];
                    const int level = block_detail::iq4_levels[p < 16 ? q & 0xF : q >> 4];
                    sumi[p / 4] += ls * (level * y.qs[32 * g + p]);
                }
            }
            const float d = x.d.to_float() * y.d;
            for (int k = 0; k < 8; ++k) acc[k] = std::fma(d, static_cast<float>(sumi[k]), acc[k]);
        }
        return block_detail::hsum_avx2_order(acc);
    }

private:
    using f32x8 = block_detail::f32x8;
    using i32x8 = block_detail::i32x8;

    // block_detail::iq4_best_index on 8 lanes, returning the level's value and index: lo is the largest
    // level not above x (the first when none), hi the smallest level above x (the last when none); x takes
    // lo when strictly closer, as in ggml's bisection (a NaN ends at the last level there and here).
    static void nearest_level(const f32x8& x, f32x8& value, i32x8& index) noexcept {
        f32x8 lo = (block_detail::ones8 * block_detail::iq4_levels[0]);
        f32x8 hi = (block_detail::ones8 * block_detail::iq4_levels[15]);
        i32x8 lo_index{};
        for (int k = 1; k < 16; ++k) {
            const f32x8 v = (block_detail::ones8 * block_detail::iq4_levels[k]);
            const auto below = x < v;
            lo = below ? lo : v;
            lo_index = below ? lo_index : lo_index + 1;
        }
        for (int k = 14; k >= 0; --k) {
            const f32x8 v = (block_detail::ones8 * block_detail::iq4_levels[k]);
            hi = v > x ? v : hi;
        }
        const i32x8 hi_index = lo_index < 15 ? lo_index + 1 : lo_index;
        const auto take_lo = x - lo < hi - x;
        value = take_lo ? lo : hi;
        index = take_lo ? lo_index : hi_index;
    }

    // ggml's quantize_row_iq4_nl_impl for a 256-value super-block with 32-value groups and ntry = 7: per
    // group, the best scale among 16 candidates (max/-127, then 15 around it; weighted least squares over
    // the levels); then the group scales are quantized to 6 bits under d = -max_scale/32 and every value
    // re-mapped. The 16 candidates are independent: they run as two 8-lane vectors (lane 0: the start,
    // lanes 1..15: itry = -7..7), and the choice walks them in ggml's order.
    static void quantize_block(const float* x, const float* qw, block& y) noexcept {
        using block_detail::ones8;
        float weight[32];
        float scales[8];
        const float sigma2 = block_detail::sum_squares(x, 256) * (2.f / 256);
        float max_scale = 0, amax_scale = 0;
        for (int ib = 0; ib < 8; ++ib) {
            const float* xb = x + 32 * ib;
            if (qw)
                for (int j = 0; j < 32; ++j) weight[j] = qw[32 * ib + j] * std::sqrt(sigma2 + xb[j] * xb[j]);
            else
                for (int j = 0; j < 32; ++j) weight[j] = xb[j] * xb[j];
            float amax = 0, max = 0;
            for (int j = 0; j < 32; ++j) {
                const float ax = std::fabs(xb[j]);
                if (ax > amax) {
                    amax = ax;
                    max = xb[j];
                }
            }
            if (amax < block_detail::group_max_eps) {
                scales[ib] = 0;
                continue;
            }
            const float v0 = block_detail::iq4_levels[0];
            const float d0 = -max / v0;
            f32x8 id[2];
            for (int lane = 0; lane < 16; ++lane)
                id[lane / 8][lane % 8] = lane == 0 ? 1 / d0 : static_cast<float>(lane - 8 + block_detail::iq4_levels[0]) / max;
            f32x8 sumqx[2] = {}, sumq2[2] = {};
            for (int j = 0; j < 32; ++j) {
                const f32x8 xj = (ones8 * xb[j]);
                const f32x8 w = (ones8 * weight[j]);
                for (int v = 0; v < 2; ++v) {
                    f32x8 q;
                    i32x8 unused;
                    nearest_level(id[v] * xj, q, unused);
                    sumqx[v] += w * q * xj;
                    sumq2[v] += w * q * q;
                }
            }
            float d = sumq2[0][0] > 0 ? sumqx[0][0] / sumq2[0][0] : 0.f;
            float best = d * sumqx[0][0];
            for (int lane = 1; lane < 16; ++lane) {
                const float sqx = sumqx[lane / 8][lane % 8], sq2 = sumq2[lane / 8][lane % 8];
                if (sq2 > 0 && sqx * sqx > best * sq2) {
                    d = sqx / sq2;
                    best = d * sqx;
                }
            }
            scales[ib] = d;
            const float abs_d = std::fabs(d);
            if (abs_d > amax_scale) {
                amax_scale = abs_d;
                max_scale = d;
            }
        }
        y.scales_h = 0;
        const float d = -max_scale / 32;
        y.d = f16::from_float(d);
        const float id = d != 0.0f ? 1 / d : 0.f;
        for (int ib = 0; ib < 8; ++ib) {
            int l = block_detail::nearest_int(id * scales[ib]);
            l = l < -32 ? -32 : l > 31 ? 31 : l;
            const float dl = d * static_cast<float>(l);
            const float idl = dl != 0.0f ? 1 / dl : 0.f;
            const float* xb = x + 32 * ib;
            i32x8 L[4];
            for (int c = 0; c < 4; ++c) {
                f32x8 xv;
                for (int t = 0; t < 8; ++t) xv[t] = xb[8 * c + t];
                f32x8 unused;
                nearest_level((ones8 * idl) * xv, unused, L[c]);
            }
            for (int j = 0; j < 16; ++j)
                y.qs[16 * ib + j] = static_cast<std::uint8_t>(L[j / 8][j % 8] | (L[2 + j / 8][j % 8] << 4));
            l += 32;
            const auto l_l = static_cast<std::uint8_t>(l & 0xf);
            const auto l_h = static_cast<std::uint16_t>(l >> 4);
            if (ib % 2 == 0) y.scales_l[ib / 2] = l_l;
            else y.scales_l[ib / 2] = static_cast<std::uint8_t>(y.scales_l[ib / 2] | (l_l << 4));
            y.scales_h = static_cast<std::uint16_t>(y.scales_h | (l_h << (2 * ib)));
        }
    }
};

static_assert(ImatrixFormat<iq4_xs>);

} // namespace qforge

QFORGE_FP_EXACT_END
