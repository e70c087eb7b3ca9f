// qforge/backend/cpu/q6_k_x8.hpp: q6_k weights in a row-interleaved layout, 8 rows per group, built once
// (at load time) for token generation, and its GEMV.
//
// Why: q6_k's GEMV over the original layout decodes one row at a time (pmaddubsw, then pmaddwd with the
// scales) and ends each block with a horizontal sum. With 8 rows interleaved, one 32-byte load holds 4 quant
// bytes of each of the 8 rows, one broadcast of 4 activation bytes serves all 8 rows, vpdpbusd sums the
// products straight into int32, and the scales and super-scales are applied to 8 rows at once (one lane per
// row): no horizontal sums.
//
// Arithmetic (every path here, SIMD and scalar, and the same as q6_k_vnni's panel GEMM and rows()): per row
// and super-block, with sc the 16 signed group scales, u the 6-bit quants + 32 (0..63), a the q8_k quants and
// bsum16 the sums of each 16 of them,
//   T = sum_g sc_g * (sum_i u(g, i) a(16g + i) - 32 * bsum16_g)       (exact: int32, modulo 2^32)
//   s = fma(float(T), d_w * d_a, s)                                    (super-blocks in order, from s = 0)
// so results do not depend on the level, the thread count or which kernel ran a row.
//
// The layout loses nothing: it keeps each row's own ql/qh bytes, only interleaved in 4-byte units, so
// q6_k_x8_matrix::unpack_row gives back the original blocks bit for bit; 1680 bytes per 8 x 256 values,
// exactly 8 q6_k blocks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "qforge/backend/cpu/x8_common.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/block/q6_k.hpp"
#include "qforge/block/q8_k.hpp"
#include "qforge/core/config.hpp"
#include "qforge/core/error.hpp"
#include "qforge/core/half.hpp"

#if QFORGE_ARCH_X86_64 && defined(__AVX512VL__) && defined(__AVX512VNNI__) && defined(__F16C__)
#define QFORGE_Q6_K_X8_SIMD 1
#include <immintrin.h>

#include "qforge/backend/cpu/q6_k_vnni.hpp"
#else
#define QFORGE_Q6_K_X8_SIMD 0
#endif

namespace qforge {

// One super-block (256 columns) of 8 consecutive rows. With ql_h = ql + 64h, qh_h = qh + 32h (h = 0, 1) of
// the original block, and t = 0..7, the three lines q[h][t][0..2] hold bytes 4t..4t+3 of row r's ql_h,
// bytes 32 + 4t..4t+3 of its ql_h and bytes 4t..4t+3 of its qh_h, each at 4r..4r+3: together the values
// 128h + {0, 32, 64, 96} + 4t .. +3 of every row, 4 values of 4 different groups. The GEMV reads the lines
// in memory order.
struct q6_k_x8_block {
    std::uint16_t d[8];          // f16 bits of each row's d
    std::int8_t sc[16][8];       // [group][row]: signed 8-bit scales
    std::uint8_t q[2][8][3][32]; // [h][t]: ql_h unit t, ql_h unit 8 + t, qh_h unit t (see above)

    // Row r's quant bytes from / to the original ql[128], qh[64].
    void put_quants(std::size_t r, const std::uint8_t* ql, const std::uint8_t* qh) noexcept {
        for (std::size_t h = 0; h < 2; ++h)
            for (std::size_t t = 0; t < 8; ++t) {
                std::memcpy(&q[h][t][0][4 * r], ql + 64 * h + 4 * t, 4);
                std::memcpy(&q[h][t][1][4 * r], ql + 64 * h + 32 + 4 * t, 4);
                std::memcpy(&q[h][t][2][4 * r], qh + 32 * h + 4 * t, 4);
            }
    }
    // Row r's block into / out of the group.
    void put(std::size_t r, const q6_k::block& s) noexcept {
        d[r] = s.d.bits;
        for (std::size_t j = 0; j < 16; ++j) sc[j][r] = s.scales[j];
        put_quants(r, s.ql, s.qh);
    }
    void get(std::size_t r, q6_k::block& o) const noexcept {
        o.d = f16::from_bits(d[r]);
        for (std::size_t j = 0; j < 16; ++j) o.scales[j] = sc[j][r];
        get_quants(r, o.ql, o.qh);
    }
    void get_quants(std::size_t r, std::uint8_t* ql, std::uint8_t* qh) const noexcept {
        for (std::size_t h = 0; h < 2; ++h)
            for (std::size_t t = 0; t < 8; ++t) {
                std::memcpy(ql + 64 * h + 4 * t, &q[h][t][0][4 * r], 4);
                std::memcpy(ql + 64 * h + 32 + 4 * t, &q[h][t][1][4 * r], 4);
                std::memcpy(qh + 32 * h + 4 * t, &q[h][t][2][4 * r], 4);
            }
    }
};
static_assert(sizeof(q6_k_x8_block) == 8 * sizeof(q6_k::block));

// An owned q6_k matrix in the interleaved layout (x8_common.hpp).
using q6_k_x8_matrix = x8_matrix<q6_k, q6_k_x8_block>;

namespace cpu_detail {

// The float step of one super-block (see the header comment): d_w * d_a rounded first, then one FMA.
QFORGE_ALWAYS_INLINE float q6_k_x8_step(float s, std::int32_t T, float dw, float da) noexcept {
    return std::fma(static_cast<float>(T), dw * da, s);
}

// The 256 unsigned 6-bit values (quant + 32) of a block from its ql[128], qh[64] (q6_k.hpp's layout).
inline void q6_k_x8_decode(const std::uint8_t* ql, const std::uint8_t* qh, std::uint8_t* u) noexcept {
    for (std::size_t h = 0; h < 2; ++h) {
        const std::uint8_t* l = ql + 64 * h;
        const std::uint8_t* hb = qh + 32 * h;
        std::uint8_t* o = u + 128 * h;
        for (std::size_t i = 0; i < 32; ++i) {
            o[i] = static_cast<std::uint8_t>((l[i] & 15) | ((hb[i] & 3) << 4));
            o[i + 32] = static_cast<std::uint8_t>((l[i + 32] & 15) | (((hb[i] >> 2) & 3) << 4));
            o[i + 64] = static_cast<std::uint8_t>((l[i] >> 4) | (((hb[i] >> 4) & 3) << 4));
            o[i + 96] = static_cast<std::uint8_t>((l[i + 32] >> 4) | (((hb[i] >> 6) & 3) << 4));
        }
    }
}

// Row i of an 8-row group (or an original-layout row when x8 is null), scalar.
inline float q6_k_x8_row_scalar(const q6_k_x8_block* x8, std::size_t i, const q6_k::block* orig,
                                const q8_k::block* a, std::size_t nb) noexcept {
    float s = 0;
    for (std::size_t b = 0; b < nb; ++b) {
        const q8_k::block& y = a[b];
        std::int8_t sc[16];
        float dw;
        std::uint8_t u[256];
        if (x8) {
            const q6_k_x8_block& x = x8[b];
            std::uint8_t ql[128], qh[64];
            for (std::size_t j = 0; j < 16; ++j) sc[j] = x.sc[j][i];
            x.get_quants(i, ql, qh);
            dw = f16::from_bits(x.d[i]).to_float();
            q6_k_x8_decode(ql, qh, u);
        } else {
            const q6_k::block& x = orig[b];
            std::memcpy(sc, x.scales, 16);
            dw = x.d.to_float();
            q6_k_x8_decode(x.ql, x.qh, u);
        }
        // In 64 bits (no overflow whatever the activations' bsums hold), then modulo 2^32 as the SIMD lanes.
        std::int64_t T = 0;
        for (std::size_t g = 0; g < 16; ++g) {
            std::int64_t dot = -32 * std::int64_t{y.bsums[g]};
            for (std::size_t l = 0; l < 16; ++l) dot += std::int64_t{u[16 * g + l]} * y.qs[16 * g + l];
            T += std::int64_t{sc[g]} * dot;
        }
        s = q6_k_x8_step(s, static_cast<std::int32_t>(static_cast<std::uint32_t>(T)), dw, y.d);
    }
    return s;
}

#if QFORGE_Q6_K_X8_SIMD
// 8 rows at once: lane r of every register is row r. Per super-block half h and group quarter q (t = 4q..4q+3):
// 3 loads (lines q[h][t][0..2]) give 4 registers of 6-bit values of 4 groups (8h + q + {0, 2, 4, 6}),
// each dotted with 4 broadcast activation bytes by vpdpbusd into that group's chain; the chains start at the
// offset term -32 * bsum16_g (off), and are multiplied by the rows' sign-extended scales (vpmulld).
inline void q6_k_x8_group_simd(const q6_k_x8_block* x, const q8_k::block* a, const std::int32_t* off,
                               std::size_t nb, float* y) noexcept {
    const __m256i m4 = _mm256_set1_epi8(0x0f), m33 = _mm256_set1_epi8(0x33);
    // Bits of lo where m4 is set, the others of hi (vpternlogd 0xe4: c ? a : b).
    const auto sel = [&](__m256i lo, __m256i hi) { return _mm256_ternarylogic_epi32(lo, hi, m4, 0xe4); };
    const auto bc = [](const void* p) {
        std::int32_t v;
        std::memcpy(&v, p, 4);
        return _mm256_set1_epi32(v);
    };
    __m256 s = _mm256_setzero_ps();
    for (std::size_t b = 0; b < nb; ++b) {
        const q6_k_x8_block& X = x[b];
        // One line per block, 1.5 KiB ahead (the layout is read in memory order; more lines or further ahead
        // measured slower from DRAM).
        _mm_prefetch(reinterpret_cast<const char*>(&X) + 1536, _MM_HINT_T0);
        const std::int8_t* q = a[b].qs;
        const std::int32_t* o = off + 16 * b;
        __m256i I = _mm256_setzero_si256();
        for (std::size_t h = 0; h < 2; ++h)
            for (std::size_t qq = 0; qq < 2; ++qq) {
                const std::size_t g = 8 * h + qq;
                __m256i c0 = _mm256_set1_epi32(o[g]), c1 = _mm256_set1_epi32(o[g + 2]);
                __m256i c2 = _mm256_set1_epi32(o[g + 4]), c3 = _mm256_set1_epi32(o[g + 6]);
                for (std::size_t j = 0; j < 4; ++j) {
                    const std::size_t t = 4 * qq + j;
                    const __m256i A = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(X.q[h][t][0]));
                    const __m256i B = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(X.q[h][t][1]));
                    const __m256i H = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(X.q[h][t][2]));
                    // Hm: qh bits 0-1 at 0-1, 4-5 at 4-5; Hn: bits 2-3 at 0-1, 6-7 at 4-5 (the rest zero), so that
                    // after the shifts bits 6-7 of each selected high part are zero.
                    const __m256i Hm = _mm256_and_si256(H, m33);
                    const __m256i Hn = _mm256_and_si256(_mm256_srli_epi16(H, 2), m33);
                    const __m256i u0 = sel(A, _mm256_slli_epi16(Hm, 4));
                    const __m256i u1 = sel(B, _mm256_slli_epi16(Hn, 4));
                    const __m256i u2 = sel(_mm256_srli_epi16(A, 4), Hm);
                    const __m256i u3 = sel(_mm256_srli_epi16(B, 4), Hn);
                    const std::int8_t* qa = q + 128 * h + 4 * t;
                    c0 = _mm256_dpbusd_epi32(c0, u0, bc(qa));
                    c1 = _mm256_dpbusd_epi32(c1, u1, bc(qa + 32));
                    c2 = _mm256_dpbusd_epi32(c2, u2, bc(qa + 64));
                    c3 = _mm256_dpbusd_epi32(c3, u3, bc(qa + 96));
                }
                const auto scale = [&](std::size_t j) {
                    return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(X.sc[j])));
                };
                I = _mm256_add_epi32(I, _mm256_add_epi32(_mm256_mullo_epi32(c0, scale(g)), _mm256_mullo_epi32(c1, scale(g + 2))));
                I = _mm256_add_epi32(I, _mm256_add_epi32(_mm256_mullo_epi32(c2, scale(g + 4)), _mm256_mullo_epi32(c3, scale(g + 6))));
            }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(X.d)));
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(I), _mm256_mul_ps(dw, _mm256_set1_ps(a[b].d)), s);
    }
    _mm256_storeu_ps(y, s);
}
#endif

// Per activation super-block, -32 * bsum16_g for g = 0..15 (the start of each group's dot chain).
inline void q6_k_x8_offsets(const q8_k::block* a, std::size_t nb, std::int32_t* out) noexcept {
    for (std::size_t b = 0; b < nb; ++b)
        for (std::size_t g = 0; g < 16; ++g) out[16 * b + g] = -32 * std::int32_t{a[b].bsums[g]};
}

// y[r] for rows [r0, r1), activations a (blocks_per_row() q8_k blocks). simd = false runs
// the scalar code (the same bits).
inline void q6_k_x8_rows(const q6_k_x8_matrix& w, const q8_k::block* a, float* y, std::size_t r0, std::size_t r1,
                         [[maybe_unused]] bool simd = true) {
    const std::size_t nb = w.blocks_per_row(), full = std::min(r1, w.full_rows());
    std::size_t r = r0;
    for (; r < full && r % 8 != 0; ++r) y[r] = q6_k_x8_row_scalar(w.group(r / 8), r % 8, nullptr, a, nb);
#if QFORGE_Q6_K_X8_SIMD
    if (simd && r + 8 <= full) {
        thread_local std::vector<std::int32_t> off;
        if (off.size() < 16 * nb) off.resize(16 * nb);
        q6_k_x8_offsets(a, nb, off.data());
        for (; r + 8 <= full; r += 8) q6_k_x8_group_simd(w.group(r / 8), a, off.data(), nb, y + r);
    }
#endif
    for (; r < full; ++r) y[r] = q6_k_x8_row_scalar(w.group(r / 8), r % 8, nullptr, a, nb);
    for (; r < r1; ++r) y[r] = q6_k_x8_row_scalar(nullptr, 0, w.tail_row(r), a, nb);
}

// Y (n x rows) rows [r0, r1) for n activation rows. n >= 4 on AVX-512 BW + VNNI: q6_k_vnni's panel kernel on
// 16 rows at a time, unpacked from this layout (its arithmetic is the same as this file's GEMV, so a row's
// result does not depend on n); otherwise the GEMV once per activation row.
inline void q6_k_x8_gemm(const q6_k_x8_matrix& w, const q8_k::block* xq, std::size_t n, float* y, std::size_t r0,
                         std::size_t r1) {
    const std::size_t nb = w.blocks_per_row(), rows = w.rows();
    std::size_t r = r0;
#if QFORGE_Q6_K_X8_SIMD && defined(__AVX512BW__)
    if (n >= 4 && r0 % 16 == 0) {
        using K = q6_k_vnni;
        const std::size_t full = r0 + (std::min(r1, w.full_rows()) - std::min(r0, w.full_rows())) / 16 * 16;
        if (full > r0) {
            thread_local std::vector<q6_k::block> orig;
            if (orig.size() < 16 * nb) orig.resize(16 * nb);
            K::line* const panel = K::panel_buffer(nb);
            for (; r < full; r += 16) {
                for (std::size_t i = 0; i < 16; ++i) w.unpack_row(r + i, orig.data() + i * nb);
                K::build(orig.data(), nb, panel);
                K::panel_rows(panel, nb, xq, n, y + r, rows);
            }
        }
    }
#endif
    if (r < r1)
        for (std::size_t j = 0; j < n; ++j) q6_k_x8_rows(w, xq + j * nb, y + j * rows, r, r1);
}

} // namespace cpu_detail
} // namespace qforge
