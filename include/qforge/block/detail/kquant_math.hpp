// qforge/block/detail/kquant_math.hpp: the scale searches shared by ggml's K-quants (q2_k..q6_k).
// Every function reproduces the float arithmetic of ggml-quants.c operation by operation and in the same
// order, because the quantized bytes must be identical: no reassociation, no FMA contraction (the whole
// header sits inside QFORGE_FP_EXACT_BEGIN/END). Where a loop is restructured for speed, it still performs
// the same roundings in the same order for every individual accumulator.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "qforge/block/detail/ggml_math.hpp"
#include "qforge/core/config.hpp"
#include "qforge/core/half.hpp"

QFORGE_FP_EXACT_BEGIN

namespace qforge::block_detail {

// Elements of a K-quant super-block.
inline constexpr int qk_k = 256;

// ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it counts as all zero.
inline constexpr float group_max_eps = 1e-15f;

// Eight float / int32 lanes (GCC and clang vector extensions): lane-wise IEEE arithmetic, exactly like
// eight scalars, which keeps vectorized searches bit-identical to ggml's scalar code.
using f32x8 = float __attribute__((vector_size(32)));
using i32x8 = std::int32_t __attribute__((vector_size(32)));

// All lanes 1: ones8 * v is v in every lane, exactly. (Not a function: a function returning a 32-byte vector,
// or taking one by value, draws GCC's -Wpsabi note at the instantiation point of every template calling it when
// compiled without AVX, e.g. an x86-64-v2 build, where no pragma reaches.)
inline constexpr f32x8 ones8 = {1, 1, 1, 1, 1, 1, 1, 1};

// Symmetric search for a signed scale: L[i] in [0, 2*nmax) (offset by nmax), errors weighted by x^2 (or by
// qw when given). Tries 18 scales around nmax/max and keeps the best weighted least-squares one. (ggml's
// make_qx_quants with rmse_type 1, the only case the K-quants use.) The 19 candidates are independent, so
// they run as lanes: lane 0 is the start (is = 0), lanes 1..18 are is = -9..-1, 1..9; the choice then
// walks them in ggml's order. N is the group size.
template <int N>
inline float make_qx_quants(int nmax, const float* x, std::int8_t* L, const float* qw) noexcept {
    constexpr int n = N;
    float max = 0;
    float amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < group_max_eps) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.f;
    }
    constexpr int vecs = 3; // 24 lanes, 19 used
    const float fnmax = static_cast<float>(nmax);
    f32x8 iscale[vecs];
    for (int v = 0; v < vecs; ++v)
        for (int t = 0; t < 8; ++t) {
            const int lane = 8 * v + t;
            const int is = lane == 0 ? 0 : lane <= 9 ? lane - 10 : lane - 9;
            // ggml: -nmax / max for the start, -(nmax + 0.1f*is) / max for the others; equal for is = 0.
            iscale[v][t] = is == 0 ? -fnmax / max : -(fnmax + 0.1f * static_cast<float>(is)) / max;
        }
    const i32x8 lo = i32x8{} - nmax, hi = i32x8{} + (nmax - 1);
    i32x8 li[vecs][N];
    f32x8 sumlx[vecs] = {}, suml2[vecs] = {};
    for (int i = 0; i < n; ++i) {
        const float xi = x[i];
        const f32x8 w = (ones8 * (qw ? qw[i] : xi * xi));
        const f32x8 wx = w * (ones8 * xi);
        for (int v = 0; v < vecs; ++v) {
            const f32x8 biased = iscale[v] * (ones8 * xi) + 12582912.f;
            i32x8 l = (reinterpret_cast<i32x8>(biased) & 0x007fffff) - 0x00400000;
            l = l < lo ? lo : l;
            l = l > hi ? hi : l;
            li[v][i] = l;
            const f32x8 fl = __builtin_convertvector(l, f32x8);
            sumlx[v] += wx * fl; // ggml: w*x[i]*l
            suml2[v] += w * fl * fl;
        }
    }
    float scale = suml2[0][0] != 0.0f ? sumlx[0][0] / suml2[0][0] : 0.0f;
    float best = scale * sumlx[0][0];
    int chosen = 0;
    for (int lane = 1; lane <= 18; ++lane) {
        const float slx = sumlx[lane / 8][lane % 8], sl2 = suml2[lane / 8][lane % 8];
        if (sl2 > 0 && slx * slx > best * sl2) {
            chosen = lane;
            scale = slx / sl2;
            best = scale * slx;
        }
    }
    for (int i = 0; i < n; ++i) L[i] = static_cast<std::int8_t>(nmax + li[chosen / 8][i][chosen % 8]);
    return scale;
}

// q3_k's symmetric search: start at nmax/max, then up to 5 rounds of coordinate descent that move single
// quants when that raises sumlx^2/suml2 (weights x^2). L[i] in [0, 2*nmax).
inline float make_q3_quants(int n, int nmax, const float* x, std::int8_t* L) noexcept {
    float max = 0;
    float amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < group_max_eps) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.f;
    }
    const float iscale = -static_cast<float>(nmax) / max;
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
        L[i] = static_cast<std::int8_t>(l);
        const float w = x[i] * x[i];
        const auto fl = static_cast<float>(l);
        sumlx += w * x[i] * fl;
        suml2 += w * fl * fl;
    }
    for (int itry = 0; itry < 5; ++itry) {
        int n_changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = x[i] * x[i];
            const auto li = static_cast<float>(L[i]);
            float slx = sumlx - w * x[i] * li;
            if (slx > 0) {
                float sl2 = suml2 - w * li * li;
                const int new_l = std::clamp(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
                if (new_l != L[i]) {
                    const auto fl = static_cast<float>(new_l);
                    slx += w * x[i] * fl;
                    sl2 += w * fl * fl;
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = static_cast<std::int8_t>(new_l);
                        sumlx = slx;
                        suml2 = sl2;
                        ++n_changed;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    for (int i = 0; i < n; ++i) L[i] = static_cast<std::int8_t>(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Affine search x ~ scale*L - the_min with L in [0, nmax] (ggml's make_qkx2_quants, and make_qkx3_quants
// which differs only in the degenerate-range test). Starts from the min/max grid, then tries NStep+1
// scales (rmin + rdelta*is + nmax)/(max - min), solving weighted least squares for scale and min each
// time, and keeps the one with the smallest weighted error (|diff| when UseMad, else diff^2).
//
// Trial `is` depends on the earlier ones only through `min`, which changes when a trial is accepted. So
// trials run in chunks of `lanes`, side by side (each with its own accumulators, summed over i in ggml's
// order: bit-identical), and the results are scanned in ggml's order; after an accepted trial that moved
// `min`, the next chunk starts right after it with the new `min`. The compiler vectorizes across lanes.
template <int N, int NStep, bool UseMad, bool Qkx3>
inline float make_qkx_quants(int nmax, const float* x, const float* weights, std::uint8_t* L, float* the_min,
                             float rmin, float rdelta) noexcept {
    static_assert(NStep >= 1);
    float min = x[0];
    float max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < N; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        const float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0) min = 0;
    if (Qkx3 ? max <= min : max == min) {
        for (int i = 0; i < N; ++i) L[i] = 0;
        *the_min = -min;
        return 0.f;
    }
    float iscale = static_cast<float>(nmax) / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < N; ++i) {
        L[i] = static_cast<std::uint8_t>(std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax));
        float diff = scale * static_cast<float>(L[i]) + min - x[i];
        diff = UseMad ? std::fabs(diff) : diff * diff;
        best_error += weights[i] * diff;
    }

    // One lane per trial: GCC/clang vector extensions make the lane-wise arithmetic explicit (IEEE, no
    // reassociation), where auto-vectorization would pick the wrong loop.
    constexpr int lanes = 8;
    const f32x8 fnmax = (ones8 * (static_cast<float>(nmax)));
    const i32x8 inmax = i32x8{} + nmax;
    f32x8 lf[N]; // the quants of each lane's trial
    f32x8 lane_index;
    for (int t = 0; t < lanes; ++t) lane_index[t] = static_cast<float>(t);
    for (int first = 0; first <= NStep;) {
        const f32x8 range = (ones8 * (max - min));
        const f32x8 step = (ones8 * (static_cast<float>(first))) + lane_index; // exact small integers
        const f32x8 iscales = ((ones8 * rmin) + (ones8 * rdelta) * step + fnmax) / range;
        f32x8 sum_l{}, sum_l2{}, sum_xl{};
        for (int i = 0; i < N; ++i) {
            const f32x8 xi = (ones8 * x[i]);
            const f32x8 dx = (ones8 * (x[i] - min));
            const f32x8 w = (ones8 * weights[i]);
            // nearest_int and the clamp to [0, nmax], on all lanes.
            const f32x8 biased = iscales * dx + 12582912.f;
            i32x8 li = (reinterpret_cast<i32x8>(biased) & 0x007fffff) - 0x00400000;
            li = li & ~(li >> 31);
            const i32x8 over = li - inmax;
            li = inmax + (over & (over >> 31));
            const f32x8 l = __builtin_convertvector(li, f32x8);
            lf[i] = l;
            sum_l += w * l;
            sum_l2 += w * l * l;
            sum_xl += w * l * xi;
        }
        const f32x8 sw = (ones8 * sum_w), sx = (ones8 * sum_x);
        const f32x8 det = sw * sum_l2 - sum_l * sum_l;
        f32x8 tscale = (sw * sum_xl - sx * sum_l) / det;
        f32x8 tmin = (sum_l2 * sx - sum_l * sum_xl) / det;
        const auto clipped = tmin > 0;
        tscale = clipped ? sum_xl / sum_l2 : tscale;
        tmin = clipped ? f32x8{} : tmin;
        f32x8 err{};
        for (int i = 0; i < N; ++i) {
            f32x8 diff = tscale * lf[i] + tmin - (ones8 * x[i]);
            if constexpr (UseMad) diff = reinterpret_cast<f32x8>(reinterpret_cast<i32x8>(diff) & 0x7fffffff);
            else diff = diff * diff;
            err += (ones8 * weights[i]) * diff;
        }
        const int count = std::min(lanes, NStep + 1 - first);
        int next = first + count;
        for (int t = 0; t < count; ++t) {
            if (det[t] > 0 && err[t] < best_error) {
                for (int i = 0; i < N; ++i) L[i] = static_cast<std::uint8_t>(lf[i][t]);
                best_error = err[t];
                scale = tscale[t];
                const bool moved = tmin[t] != min;
                min = tmin[t];
                if (moved) { // later trials see the new min: redo them
                    next = first + t + 1;
                    break;
                }
            }
        }
        first = next;
    }
    *the_min = -min;
    return scale;
}

// Quantizes non-negative sub-block scales (or mins) x to L in [0, nmax] with one positive scale, weighted
// by quant_weights: 8 scales around nmax/max, then coordinate descent (ggml's make_qp_quants).
inline float make_qp_quants(int n, int nmax, const float* x, std::uint8_t* L, const float* quant_weights) noexcept {
    float max = 0;
    for (int i = 0; i < n; ++i) max = max > x[i] ? max : x[i];
    if (max < group_max_eps) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.f;
    }
    float iscale = static_cast<float>(nmax) / max;
    for (int i = 0; i < n; ++i) L[i] = static_cast<std::uint8_t>(nearest_int(iscale * x[i]));
    const float scale0 = 1 / iscale;
    float best_mse = 0;
    for (int i = 0; i < n; ++i) {
        const float diff = x[i] - scale0 * static_cast<float>(L[i]);
        best_mse += quant_weights[i] * diff * diff;
    }
    for (int is = -4; is <= 4; ++is) {
        if (is == 0) continue;
        const float iscale_is = (0.1f * static_cast<float>(is) + static_cast<float>(nmax)) / max;
        const float scale_is = 1 / iscale_is;
        float mse = 0;
        for (int i = 0; i < n; ++i) {
            const int l = std::min(nmax, nearest_int(iscale_is * x[i]));
            const float diff = x[i] - scale_is * static_cast<float>(l);
            mse += quant_weights[i] * diff * diff;
        }
        if (mse < best_mse) {
            best_mse = mse;
            iscale = iscale_is;
        }
    }
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = std::min(nmax, nearest_int(iscale * x[i]));
        L[i] = static_cast<std::uint8_t>(l);
        const float w = quant_weights[i];
        const auto fl = static_cast<float>(l);
        sumlx += w * x[i] * fl;
        suml2 += w * fl * fl;
    }
    for (int itry = 0; itry < 5; ++itry) {
        int n_changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = quant_weights[i];
            const auto li = static_cast<float>(L[i]);
            float slx = sumlx - w * x[i] * li;
            float sl2 = suml2 - w * li * li;
            if (slx > 0 && sl2 > 0) {
                const int new_l = std::min(nmax, nearest_int(x[i] * sl2 / slx));
                if (new_l != L[i]) {
                    const auto fl = static_cast<float>(new_l);
                    slx += w * x[i] * fl;
                    sl2 += w * fl * fl;
                    if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = static_cast<std::uint8_t>(new_l);
                        sumlx = slx;
                        suml2 = sl2;
                        ++n_changed;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// q4_k/q5_k pack eight 6-bit scales and eight 6-bit mins into 12 bytes: bytes 0-3 hold scales 0-3 and bytes
// 4-7 mins 0-3 in their low 6 bits; bytes 8-11 hold the low nibbles of scale j+4 (low) and min j+4 (high);
// the top 2 bits of scale j+4 sit in bits 6-7 of byte j, those of min j+4 in bits 6-7 of byte j+4.
inline void pack_scale_min_k4(const std::uint8_t* ls, const std::uint8_t* lm, std::uint8_t* q) noexcept {
    for (int j = 0; j < 4; ++j) {
        q[j] = ls[j];
        q[j + 4] = lm[j];
    }
    for (int j = 4; j < 8; ++j) {
        q[j + 4] = static_cast<std::uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
        q[j - 4] = static_cast<std::uint8_t>(q[j - 4] | ((ls[j] >> 4) << 6));
        q[j] = static_cast<std::uint8_t>(q[j] | ((lm[j] >> 4) << 6));
    }
}

inline void get_scale_min_k4(int j, const std::uint8_t* q, std::uint8_t& d, std::uint8_t& m) noexcept {
    if (j < 4) {
        d = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        d = static_cast<std::uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        m = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// Sum of x^2 over a super-block, in ggml's order.
inline float sum_squares(const float* x, int n) noexcept {
    float s = 0;
    for (int i = 0; i < n; ++i) s += x[i] * x[i];
    return s;
}

// The scale/min header shared by q4_k and q5_k. Per 32-value sub-block an affine (scale, min) search with
// levels 0..Nmax fills L; the eight scales and eight mins are then quantized to 6 bits and packed, with
// y.d / y.dmin as their f16 super-scales. Without an imatrix (ggml's *_ref path) the 6-bit values are
// relative to the largest scale and min and the weights are av|x| + |x|; with one, make_qp_quants fits them
// under the sub-blocks' summed weights qw * sqrt(sigma2 + x^2).
template <int Nmax, int NStep, class Block>
inline void k4_scales_ref(const float* x, Block& y, std::uint8_t* L, float rmin, float rdelta) noexcept {
    float weights[32], mins[8], scales[8];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
        const float* xj = x + 32 * j;
        const float av_x = std::sqrt(sum_squares(xj, 32) / 32);
        for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xj[l]);
        scales[j] = make_qkx_quants<32, NStep, false, false>(Nmax, xj, weights, L + 32 * j, &mins[j], rmin, rdelta);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    std::uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; ++j) {
        // ggml stores nearest_int into a uint8_t before capping at 63.
        const auto sc = static_cast<std::uint8_t>(nearest_int(inv_scale * scales[j]));
        const auto mn = static_cast<std::uint8_t>(nearest_int(inv_min * mins[j]));
        ls[j] = sc < 63 ? sc : 63;
        lm[j] = mn < 63 ? mn : 63;
    }
    pack_scale_min_k4(ls, lm, y.scales);
    y.d = f16::from_float(max_scale / 63.f);
    y.dmin = f16::from_float(max_min / 63.f);
}

template <int Nmax, class Block>
inline void k4_scales_imatrix(const float* x, const float* qw, Block& y, std::uint8_t* L) noexcept {
    std::uint8_t ls[8], lm[8];
    float weights[32], sw[8], mins[8], scales[8];
    const float sigma2 = 2 * sum_squares(x, 256) / 256;
    for (int j = 0; j < 8; ++j) {
        const float* xj = x + 32 * j;
        for (int l = 0; l < 32; ++l) weights[l] = qw[32 * j + l] * std::sqrt(sigma2 + xj[l] * xj[l]);
        float sumw = 0;
        for (int l = 0; l < 32; ++l) sumw += weights[l];
        sw[j] = sumw;
        scales[j] = make_qkx_quants<32, 36, false, true>(Nmax, xj, weights, L + 32 * j, &mins[j], -0.9f, 0.05f);
    }
    const float d_block = make_qp_quants(8, 63, scales, ls, sw); // levels are already within 0..63
    const float m_block = make_qp_quants(8, 63, mins, lm, sw);
    pack_scale_min_k4(ls, lm, y.scales);
    y.d = f16::from_float(d_block);
    y.dmin = f16::from_float(m_block);
}

// The horizontal sums of ggml's x86 kernels (hsum_float_8 and its 4-lane tail), in their order, so that a
// scalar reference dot can reproduce their float result exactly.
inline float hsum_sse_order(const float* v) noexcept {
    const float a = v[0] + v[2];
    const float b = v[1] + v[3];
    return a + b;
}

inline float hsum_avx2_order(const float* v) noexcept {
    const float r[4] = {v[4] + v[0], v[5] + v[1], v[6] + v[2], v[7] + v[3]};
    return hsum_sse_order(r);
}

// t+1 = lroundf(x[i] * id) + 1 (mod 256, as ggml keeps it in 8-bit arithmetic) for a 256-value ternary
// block. While every |x*id| < 1.5 (always, for finite input) lroundf is a pair of comparisons (ties away
// from zero), which vectorizes; otherwise each value goes through std::lround like ggml's lroundf.
inline void ternary_round(const float* x, float id, std::uint8_t* t1) noexcept {
    bool plain = true;
    for (int i = 0; i < 256; ++i) plain &= std::fabs(x[i] * id) < 1.5f;
    if (plain) {
        for (int i = 0; i < 256; ++i) {
            const float v = x[i] * id;
            t1[i] = static_cast<std::uint8_t>(1 + (v >= 0.5f) - (v <= -0.5f));
        }
    } else {
        for (int i = 0; i < 256; ++i) t1[i] = static_cast<std::uint8_t>(std::lround(x[i] * id) + 1);
    }
}

// Dot of 256 ternary values (stored as t+1 in 0..2) with a q8_k block as ggml's x86 AVX2 ternary kernels
// compute it: 8 exact int32 lanes (lane k: sum of (t+1)*q8 over positions 4k..4k+3 of every 32-value
// stretch, minus bsum_2k + bsum_2k+1) enter 8 float accumulators as acc + lane*d; ggml-cpu (-march=native,
// GCC's default contraction) fuses that into one FMA.
inline void ternary_dot_lanes(const std::uint8_t* t1, const std::int8_t* q8, const std::int16_t* bsums, float d,
                              float* acc) noexcept {
    std::int32_t lane[8] = {};
    for (int v = 0; v < 256; ++v) lane[(v % 32) / 4] += t1[v] * q8[v];
    for (int k = 0; k < 8; ++k) {
        lane[k] -= bsums[2 * k] + bsums[2 * k + 1];
        acc[k] = std::fma(static_cast<float>(lane[k]), d, acc[k]);
    }
}

} // namespace qforge::block_detail

QFORGE_FP_EXACT_END
