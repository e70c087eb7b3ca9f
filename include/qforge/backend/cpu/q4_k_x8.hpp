// qforge/backend/cpu/q4_k_x8.hpp: q4_k weights in a row-interleaved layout, 8 rows per group, built once
// (at load time) for token generation, and its GEMV.
//
// Why: a q4_k GEMV over the original layout decodes one row at a time; per 256 values it re-broadcasts the 8
// group scales (8 pshufb), computes every product twice wide (pmaddubsw, then pmaddwd with the scales), and
// ends each row with a horizontal sum. With 8 rows interleaved, one 32-byte load holds 4 quant bytes of each of
// the 8 rows, one broadcast of 4 activation bytes serves all 8 rows, vpdpbusd sums the products straight into
// int32, and the scales, mins and super-scales are applied to 8 rows at once (one lane per row): about half
// the instructions per weight, and no horizontal sums.
//
// Arithmetic (every path here, SIMD and scalar, and the same as q4_k_vnni's panel GEMM): per row and
// super-block, with sc/m the 6-bit group scales/mins, u the nibbles, a the q8_k quants,
//   I = sum_g sc_g * sum_i u(g, i) a(32g + i),   M = sum_g m_g * (bsums[2g] + bsums[2g + 1])   (exact int32)
//   s = fma(float(I), d_w * d_a, s);  s = fma(float(M), -(dmin_w * d_a), s)             (super-blocks in order)
// so results do not depend on the level, the thread count or which kernel ran a row.
//
// The layout loses nothing: q4_k_x8_matrix::unpack_row gives back the original blocks bit for bit (the 12
// packed scale bytes are a bijection of the 16 six-bit fields).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "qforge/block/detail/kquant_math.hpp"
#include "qforge/backend/cpu/x8_common.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/block/q4_k.hpp"
#include "qforge/block/q8_k.hpp"
#include "qforge/core/config.hpp"
#include "qforge/core/error.hpp"
#include "qforge/core/half.hpp"

#if QFORGE_ARCH_X86_64 && defined(__AVX512VL__) && defined(__AVX512VNNI__) && defined(__F16C__)
#define QFORGE_Q4_K_X8_SIMD 1
#include <immintrin.h>

#include "qforge/backend/cpu/q4_k_vnni.hpp"
#else
#define QFORGE_Q4_K_X8_SIMD 0
#endif

// GCC 12 reports its own _mm512_undefined_* helpers as "maybe uninitialized" once inlined (PR 105593): silenced for
// this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace qforge {

// One super-block (256 columns) of 8 consecutive rows.
struct q4_k_x8_block {
    std::uint16_t d[8];        // f16 bits of each row's d
    std::uint16_t dmin[8];     // and dmin
    std::uint8_t sc[8][8];     // [group][row]: 6-bit scales
    std::uint8_t mn[8][8];     // [group][row]: 6-bit mins
    std::uint8_t qs[4][8][32]; // [k][t]: bytes 4t..4t+3 of row r's qs[32k .. 32k+31] at 4r .. 4r+3

    // Row r's block into / out of the group (the 12 packed scale bytes are a bijection of the 16 six-bit fields).
    void put(std::size_t r, const q4_k::block& s) noexcept {
        d[r] = s.d.bits;
        dmin[r] = s.dmin.bits;
        for (int j = 0; j < 8; ++j) block_detail::get_scale_min_k4(j, s.scales, sc[j][r], mn[j][r]);
        for (std::size_t k = 0; k < 4; ++k)
            for (std::size_t t = 0; t < 8; ++t) std::memcpy(&qs[k][t][4 * r], s.qs + 32 * k + 4 * t, 4);
    }
    void get(std::size_t r, q4_k::block& o) const noexcept {
        o.d = f16::from_bits(d[r]);
        o.dmin = f16::from_bits(dmin[r]);
        std::uint8_t ls[8], lm[8];
        for (int j = 0; j < 8; ++j) {
            ls[j] = sc[j][r];
            lm[j] = mn[j][r];
        }
        block_detail::pack_scale_min_k4(ls, lm, o.scales);
        for (std::size_t k = 0; k < 4; ++k)
            for (std::size_t t = 0; t < 8; ++t) std::memcpy(o.qs + 32 * k + 4 * t, &qs[k][t][4 * r], 4);
    }
};
static_assert(sizeof(q4_k_x8_block) == 1184);

// An owned q4_k matrix in the interleaved layout (x8_common.hpp).
using q4_k_x8_matrix = x8_matrix<q4_k, q4_k_x8_block>;

namespace cpu_detail {

// The float steps of one super-block (see the header comment).
QFORGE_ALWAYS_INLINE float q4_k_x8_step(float s, std::int32_t I, std::int32_t M, float dw, float dminw, float da) noexcept {
    s = std::fma(static_cast<float>(I), dw * da, s);
    return std::fma(static_cast<float>(M), -(dminw * da), s);
}

// Row i of an 8-row group (or an original-layout row when x8 is null), scalar.
inline float q4_k_x8_row_scalar(const q4_k_x8_block* x8, std::size_t i, const q4_k::block* orig,
                                const q8_k::block* a, std::size_t nb) noexcept {
    float s = 0;
    for (std::size_t b = 0; b < nb; ++b) {
        const q8_k::block& y = a[b];
        std::uint8_t sc[8], mn[8];
        float dw, dminw;
        std::uint8_t u[256];
        if (x8) {
            const q4_k_x8_block& x = x8[b];
            for (int j = 0; j < 8; ++j) {
                sc[j] = x.sc[j][i];
                mn[j] = x.mn[j][i];
            }
            dw = f16::from_bits(x.d[i]).to_float();
            dminw = f16::from_bits(x.dmin[i]).to_float();
            for (std::size_t k = 0; k < 4; ++k)
                for (std::size_t t = 0; t < 8; ++t)
                    for (std::size_t v = 0; v < 4; ++v) {
                        const std::uint8_t q = x.qs[k][t][4 * i + v];
                        u[64 * k + 4 * t + v] = q & 15;
                        u[64 * k + 32 + 4 * t + v] = q >> 4;
                    }
        } else {
            const q4_k::block& x = orig[b];
            for (int j = 0; j < 8; ++j) block_detail::get_scale_min_k4(j, x.scales, sc[j], mn[j]);
            dw = x.d.to_float();
            dminw = x.dmin.to_float();
            for (std::size_t k = 0; k < 4; ++k)
                for (std::size_t l = 0; l < 32; ++l) {
                    u[64 * k + l] = x.qs[32 * k + l] & 15;
                    u[64 * k + 32 + l] = x.qs[32 * k + l] >> 4;
                }
        }
        std::int32_t I = 0, M = 0;
        for (std::size_t g = 0; g < 8; ++g) {
            std::int32_t dot = 0;
            for (std::size_t l = 0; l < 32; ++l) dot += std::int32_t{u[32 * g + l]} * y.qs[32 * g + l];
            I += std::int32_t{sc[g]} * dot;
            M += std::int32_t{mn[g]} * (std::int32_t{y.bsums[2 * g]} + y.bsums[2 * g + 1]);
        }
        s = q4_k_x8_step(s, I, M, dw, dminw, y.d);
    }
    return s;
}

#if QFORGE_Q4_K_X8_SIMD
// 8 rows at once: lane r of every register is row r. Per super-block and pair of groups (2k, 2k + 1): 8 loads
// of 32 quant bytes (4 per row), their low and high nibbles dotted with broadcast activation bytes by
// vpdpbusd (two chains per group), then times the rows' scales (vpmulld); the mins term is 4 vpdpwssd of
// the rows' (m_2p, m_2p+1) pairs by the activation's (bsum32_2p, bsum32_2p+1).
inline void q4_k_x8_group_simd(const q4_k_x8_block* x, const q8_k::block* a, const std::int32_t* bpairs,
                               std::size_t nb, float* y) noexcept {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256 s = _mm256_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
        const q4_k_x8_block& X = x[b];
        _mm_prefetch(reinterpret_cast<const char*>(&X) + 2048, _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(&X) + 2048 + 64 * 9, _MM_HINT_T0);
        const std::int8_t* q = a[b].qs;
        const auto bc = [](const std::int8_t* p) {
            std::int32_t v;
            std::memcpy(&v, p, 4);
            return _mm256_set1_epi32(v);
        };
        __m256i I = _mm256_setzero_si256();
        for (std::size_t k = 0; k < 4; ++k) {
            __m256i lo0 = _mm256_setzero_si256(), lo1 = _mm256_setzero_si256();
            __m256i hi0 = _mm256_setzero_si256(), hi1 = _mm256_setzero_si256();
            const std::int8_t* qk = q + 64 * k;
            for (std::size_t t = 0; t < 8; t += 2) {
                const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(X.qs[k][t]));
                const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(X.qs[k][t + 1]));
                lo0 = _mm256_dpbusd_epi32(lo0, _mm256_and_si256(w0, m4), bc(qk + 4 * t));
                hi0 = _mm256_dpbusd_epi32(hi0, _mm256_and_si256(_mm256_srli_epi16(w0, 4), m4), bc(qk + 32 + 4 * t));
                lo1 = _mm256_dpbusd_epi32(lo1, _mm256_and_si256(w1, m4), bc(qk + 4 * t + 4));
                hi1 = _mm256_dpbusd_epi32(hi1, _mm256_and_si256(_mm256_srli_epi16(w1, 4), m4), bc(qk + 36 + 4 * t));
            }
            const __m256i slo = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(X.sc[2 * k])));
            const __m256i shi = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(X.sc[2 * k + 1])));
            I = _mm256_add_epi32(I, _mm256_mullo_epi32(_mm256_add_epi32(lo0, lo1), slo));
            I = _mm256_add_epi32(I, _mm256_mullo_epi32(_mm256_add_epi32(hi0, hi1), shi));
        }
        __m256i M = _mm256_setzero_si256();
        for (std::size_t p = 0; p < 4; ++p) {
            const __m128i m0 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(X.mn[2 * p]));
            const __m128i m1 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(X.mn[2 * p + 1]));
            const __m256i pairs = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m0, m1)); // row r: (m_2p, m_2p+1)
            M = _mm256_dpwssd_epi32(M, pairs, _mm256_set1_epi32(bpairs[4 * b + p]));
        }
        const __m256 da = _mm256_set1_ps(a[b].d);
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(X.d)));
        const __m256 dminw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(X.dmin)));
        const __m256 dm = _mm256_xor_ps(_mm256_mul_ps(dminw, da), _mm256_set1_ps(-0.0f));
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(I), _mm256_mul_ps(dw, da), s);
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(M), dm, s);
    }
    _mm256_storeu_ps(y, s);
}
#endif

// Per activation super-block, the 4 int16 pairs (bsum32_2p, bsum32_2p+1) as dwords (each sum of 32 int8
// values fits int16).
inline void q4_k_x8_bsum_pairs(const q8_k::block* a, std::size_t nb, std::int32_t* out) noexcept {
    for (std::size_t b = 0; b < nb; ++b)
        for (std::size_t p = 0; p < 4; ++p) {
            const int lo = a[b].bsums[4 * p] + a[b].bsums[4 * p + 1];
            const int hi = a[b].bsums[4 * p + 2] + a[b].bsums[4 * p + 3];
            out[4 * b + p] = static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint16_t>(lo)) |
                                                       (static_cast<std::uint32_t>(static_cast<std::uint16_t>(hi)) << 16));
        }
}

// y[r] for rows [r0, r1), activations a (blocks_per_row() q8_k blocks). simd = false runs
// the scalar code (the same bits).
inline void q4_k_x8_rows(const q4_k_x8_matrix& w, const q8_k::block* a, float* y, std::size_t r0, std::size_t r1,
                         [[maybe_unused]] bool simd = true) {
    const std::size_t nb = w.blocks_per_row(), full = std::min(r1, w.full_rows());
    std::size_t r = r0;
    for (; r < full && r % 8 != 0; ++r) y[r] = q4_k_x8_row_scalar(w.group(r / 8), r % 8, nullptr, a, nb);
#if QFORGE_Q4_K_X8_SIMD
    if (simd && r + 8 <= full) {
        thread_local std::vector<std::int32_t> pairs;
        if (pairs.size() < 4 * nb) pairs.resize(4 * nb);
        q4_k_x8_bsum_pairs(a, nb, pairs.data());
        for (; r + 8 <= full; r += 8) q4_k_x8_group_simd(w.group(r / 8), a, pairs.data(), nb, y + r);
    }
#endif
    for (; r < full; ++r) y[r] = q4_k_x8_row_scalar(w.group(r / 8), r % 8, nullptr, a, nb);
    for (; r < r1; ++r) y[r] = q4_k_x8_row_scalar(nullptr, 0, w.tail_row(r), a, nb);
}

#if QFORGE_Q4_K_X8_SIMD && defined(__AVX512BW__)
// q4_k_vnni's GEMM panel for 16 rows (8-row groups A and B) straight from this layout: the same lines as
// q4_k_vnni::build makes from the original blocks (lane p = row p: 4 nibble values per group and position,
// int32 scales, int16 (m_2p, m_2p+1) pairs, float d and dmin), without unpacking the rows first.
inline void q4_k_x8_build_panel(const q4_k_x8_block* A, const q4_k_x8_block* B, std::size_t nb,
                                q4_k_vnni::line* panel) noexcept {
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const auto both = [](const void* a, const void* b) { // 16 bytes: 8 of A, then 8 of B
        return _mm_unpacklo_epi64(_mm_loadl_epi64(static_cast<const __m128i*>(a)),
                                  _mm_loadl_epi64(static_cast<const __m128i*>(b)));
    };
    for (std::size_t b = 0; b < nb; ++b) {
        const q4_k_x8_block &a = A[b], &c = B[b];
        auto* W = reinterpret_cast<__m512i*>(panel + b * q4_k_vnni::lines_per_block);
        for (std::size_t k = 0; k < 4; ++k)
            for (std::size_t t = 0; t < 8; ++t) {
                const __m512i x = _mm512_inserti64x4(
                    _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs[k][t]))),
                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c.qs[k][t])), 1);
                _mm512_store_si512(W + 8 * (2 * k) + t, _mm512_and_si512(x, m4));
                _mm512_store_si512(W + 8 * (2 * k + 1) + t, _mm512_and_si512(_mm512_srli_epi16(x, 4), m4));
            }
        for (std::size_t g = 0; g < 8; ++g) _mm512_store_si512(W + 64 + g, _mm512_cvtepu8_epi32(both(a.sc[g], c.sc[g])));
        for (std::size_t p = 0; p < 4; ++p) {
            const __m128i lo = both(a.mn[2 * p], c.mn[2 * p]), hi = both(a.mn[2 * p + 1], c.mn[2 * p + 1]);
            const __m256i pairs0 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(lo, hi)); // rows 0..7 of A
            const __m256i pairs1 = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(lo, hi)); // rows 0..7 of B
            _mm512_store_si512(W + 72 + p, _mm512_inserti64x4(_mm512_castsi256_si512(pairs0), pairs1, 1));
        }
        const auto halves = [](const std::uint16_t* x, const std::uint16_t* y) { // 8 f16 of A, 8 of B
            return _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y)),
                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
        };
        _mm512_store_ps(reinterpret_cast<float*>(W + 76), _mm512_cvtph_ps(halves(a.d, c.d)));
        _mm512_store_ps(reinterpret_cast<float*>(W + 77), _mm512_cvtph_ps(halves(a.dmin, c.dmin)));
    }
}
#endif

// Y (n x rows) rows [r0, r1) for n activation rows. n >= 4 on AVX-512 VNNI: q4_k_vnni's panel kernel on 16 rows
// at a time, its panel built from this layout (its arithmetic is the same as this file's GEMV, so a row's result does
// not depend on n); otherwise the GEMV once per activation row.
inline void q4_k_x8_gemm(const q4_k_x8_matrix& w, const q8_k::block* xq, std::size_t n, float* y, std::size_t r0,
                         std::size_t r1) {
    const std::size_t nb = w.blocks_per_row(), rows = w.rows();
    std::size_t r = r0;
#if QFORGE_Q4_K_X8_SIMD && defined(__AVX512BW__)
    if (n >= 4 && r0 % 16 == 0) {
        using K = q4_k_vnni;
        const std::size_t full = r0 + (std::min(r1, w.full_rows()) - std::min(r0, w.full_rows())) / 16 * 16;
        if (full > r0) {
            const K::act& A = K::act::pack(xq, n * nb);
            K::line* const panel = K::panel_buffer(nb);
            for (; r < full; r += 16) {
                q4_k_x8_build_panel(w.group(r / 8), w.group(r / 8 + 1), nb, panel);
                K::panel_rows(panel, nb, xq, A, n, y + r, rows);
            }
        }
    }
#endif
    if (r < r1)
        for (std::size_t j = 0; j < n; ++j) q4_k_x8_rows(w, xq + j * nb, y + j * rows, r, r1);
}

} // namespace cpu_detail
} // namespace qforge

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
