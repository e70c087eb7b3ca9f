// qforge/backend/cpu/q6_k_vnni.hpp: q6_k x q8_k GEMM with n >= 4 activation rows on AVX-512 VNNI.
//
// GEMV and GEMM with n < 4 keep the kernels of q6_k.hpp (float lanes like ggml's AVX2 kernel: the fastest
// GEMV). For n >= 4 this file's arithmetic: per row and super-block, with sc the 16 signed group scales,
// u = the 6-bit quant + 32 (0..63), a the q8_k quants and bsum16 the sums of each 16 of them,
//   T = sum_g sc_g * sum_i u(g, i) a(16g + i)  -  32 * sum_g sc_g * bsum16_g          (exact in int32)
//   s = fma(float(T), d_w * d_a, s)                                                    (super-blocks in order)
// in every path (the panel, and the rows past the last multiple of 16), so no thread count changes a bit.
// The two arithmetics differ only by float summation order (within the tests' tolerance of the reference);
// a q6_k GEMM row with n >= 4 is therefore not bit-identical to the GEMV of that row, unlike other formats.
//
// The panel: each 16-row group is decoded and repacked once per call into a per-thread buffer (lane p = 4
// bytes of row p per group and position, scales per row); per group 4 vpdpbusd per activation row,
// multiplied by the scales (vpmulld); the offset term is 8 vpdpwssd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "qforge/backend/cpu/kquant_blocks.hpp"
#include "qforge/backend/cpu/panel16.hpp"
#include "qforge/backend/cpu/q6_k.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/backend/tags.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/block/q6_k.hpp"
#include "qforge/block/q8_k.hpp"

#if QFORGE_ARCH_X86_64
#include <immintrin.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace qforge::cpu_detail {

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)

struct q6_k_vnni {
    using block = q6_k::block;
    using line = panel_line;

    // The unsigned 6-bit values of one super-block half c (values 128c .. 128c + 127) in two registers:
    // lo = values 128c + 0..63, hi = 128c + 64..127 (each 64 bytes in value order).
    static QFORGE_ALWAYS_INLINE void decode_half(const block& x, std::size_t c, __m512i& lo, __m512i& hi) noexcept {
        const __m512i m4 = _mm512_set1_epi8(0x0f), m2 = _mm512_set1_epi8(3);
        const __m512i ql = _mm512_loadu_si512(x.ql + 64 * c); // bytes 0..31: ql0, 32..63: ql1
        const __m256i qh256 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qh + 32 * c));
        const __m512i qh = _mm512_inserti64x4(_mm512_castsi256_si512(qh256), qh256, 1);
        // high bits: values 0..31 take qh bits 0-1, 32..63 bits 2-3, 64..95 bits 4-5, 96..127 bits 6-7
        const __m512i sh_lo = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(2), 1);
        const __m512i sh_hi = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
        const __m512i h_lo = _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, sh_lo), m2), 4);
        const __m512i h_hi = _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, sh_hi), m2), 4);
        lo = _mm512_or_si512(_mm512_and_si512(ql, m4), h_lo);
        hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4), h_hi);
    }

    // The float step of one block of one row: s = fma(float(T), d_w d_a, s).
    static QFORGE_ALWAYS_INLINE __m128 step(__m128 s, const block& x, const q8_k::block& a) noexcept {
        const __m256i t8 = q6_k_decoder<isa_level::avx512_vnni>::ints(x, a);
        __m128i t = _mm_add_epi32(_mm256_castsi256_si128(t8), _mm256_extracti128_si256(t8, 1));
        t = _mm_add_epi32(t, _mm_unpackhi_epi64(t, t));
        t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 1));
        const __m128 dd = _mm_mul_ss(_mm_set_ss(_cvtsh_ss(x.d.bits)), _mm_set_ss(a.d));
        return _mm_fmadd_ss(_mm_cvtepi32_ps(t), dd, s);
    }

    // Rows r0..r1 against one activation row (y[r - r0]), one at a time: the integer part by the
    // AVX2-shaped decoder of q6_k.hpp (VNNI vpdpwssd), one horizontal sum per block, then the float step.
    // (Two rows interleaved were slower: register spills.)
    static void rows(const block* w, std::size_t nb, const q8_k::block* a, float* y, std::size_t r0,
                     std::size_t r1) noexcept {
        for (std::size_t r = r0; r < r1; ++r) {
            __m128 s = _mm_setzero_ps();
            for (std::size_t b = 0; b < nb; ++b) s = step(s, w[r * nb + b], a[b]);
            y[r - r0] = _mm_cvtss_f32(s);
        }
    }

    // Panel layout per super-block (81 lines): W[g][t] (64: group g of 16, values 4t..4t+3 of every row),
    // SC[g] (16: int32 scale per row), SP[p] (... see below), D (floats per row).
    // SP[p], p = 0..7: int16 pairs (sc_2p, sc_2p+1) per row, for the offset term.
    static constexpr std::size_t lines_per_block = 64 + 16 + 8 + 1;

    static void build(const block* w, std::size_t nb, line* panel) noexcept {
        alignas(64) std::uint8_t u[16][256];
        for (std::size_t b = 0; b < nb; ++b) {
            auto* P = reinterpret_cast<__m512i*>(panel + b * lines_per_block);
            for (std::size_t r = 0; r < 16; ++r) {
                const block& x = w[r * nb + b];
                for (std::size_t c = 0; c < 2; ++c) {
                    __m512i lo, hi;
                    decode_half(x, c, lo, hi);
                    _mm512_store_si512(u[r] + 128 * c, lo);
                    _mm512_store_si512(u[r] + 128 * c + 64, hi);
                }
            }
            for (std::size_t g = 0; g < 16; ++g) { // 16 values = 4 dwords per row
                __m512i x[4], t[4];
                for (std::size_t k = 0; k < 4; ++k) { // lane l = row 4l + k
                    __m512i v = _mm512_castsi128_si512(_mm_load_si128(reinterpret_cast<const __m128i*>(u[k] + 16 * g)));
                    v = _mm512_inserti32x4(v, _mm_load_si128(reinterpret_cast<const __m128i*>(u[4 + k] + 16 * g)), 1);
                    v = _mm512_inserti32x4(v, _mm_load_si128(reinterpret_cast<const __m128i*>(u[8 + k] + 16 * g)), 2);
                    x[k] = _mm512_inserti32x4(v, _mm_load_si128(reinterpret_cast<const __m128i*>(u[12 + k] + 16 * g)), 3);
                }
                transpose4x4_epi32(x, t);
                for (std::size_t k = 0; k < 4; ++k) _mm512_store_si512(P + 4 * g + k, t[k]);
            }
            alignas(64) std::int32_t sc[16][16];
            alignas(64) std::int16_t sp[8][32];
            alignas(64) float d[16];
            for (std::size_t r = 0; r < 16; ++r) {
                const block& x = w[r * nb + b];
                for (std::size_t g = 0; g < 16; ++g) {
                    sc[g][r] = x.scales[g];
                    sp[g / 2][2 * r + g % 2] = x.scales[g];
                }
                d[r] = _cvtsh_ss(x.d.bits);
            }
            for (std::size_t g = 0; g < 16; ++g) _mm512_store_si512(P + 64 + g, _mm512_load_si512(sc[g]));
            for (std::size_t p = 0; p < 8; ++p) _mm512_store_si512(P + 80 + p, _mm512_load_si512(sp[p]));
            _mm512_store_ps(reinterpret_cast<float*>(P + 88), _mm512_load_ps(d));
        }
    }

    template <std::size_t C>
    static QFORGE_ALWAYS_INLINE void tile(const line* panel, std::size_t nb, const q8_k::block* const* a, float* y,
                                          std::size_t y_stride) noexcept {
        __m512 s[C];
        for (std::size_t c = 0; c < C; ++c) s[c] = _mm512_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            const auto* P = reinterpret_cast<const __m512i*>(panel + b * lines_per_block);
            __m512i I[C];
            for (std::size_t c = 0; c < C; ++c) I[c] = _mm512_setzero_si512();
            for (std::size_t g = 0; g < 16; g += 2) {
                __m512i W[8];
                for (std::size_t t = 0; t < 8; ++t) W[t] = _mm512_load_si512(P + 4 * g + t);
                const __m512i sc0 = _mm512_load_si512(P + 64 + g), sc1 = _mm512_load_si512(P + 65 + g);
                for (std::size_t c = 0; c < C; ++c) {
                    const std::int8_t* q = a[c][b].qs + 16 * g;
                    __m512i p0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), W[0], bcast4(q));
                    __m512i p1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), W[4], bcast4(q + 16));
                    p0 = _mm512_dpbusd_epi32(p0, W[1], bcast4(q + 4));
                    p1 = _mm512_dpbusd_epi32(p1, W[5], bcast4(q + 20));
                    p0 = _mm512_dpbusd_epi32(p0, W[2], bcast4(q + 8));
                    p1 = _mm512_dpbusd_epi32(p1, W[6], bcast4(q + 24));
                    p0 = _mm512_dpbusd_epi32(p0, W[3], bcast4(q + 12));
                    p1 = _mm512_dpbusd_epi32(p1, W[7], bcast4(q + 28));
                    I[c] = _mm512_add_epi32(I[c], _mm512_add_epi32(_mm512_mullo_epi32(p0, sc0), _mm512_mullo_epi32(p1, sc1)));
                }
            }
            const __m512 d = _mm512_load_ps(reinterpret_cast<const float*>(P + 88));
            for (std::size_t c = 0; c < C; ++c) {
                const std::int16_t* bs = a[c][b].bsums;
                __m512i O = _mm512_setzero_si512();
                for (std::size_t p = 0; p < 8; ++p) O = _mm512_dpwssd_epi32(O, _mm512_load_si512(P + 80 + p), bcast4(bs + 2 * p));
                const __m512i T = _mm512_sub_epi32(I[c], _mm512_slli_epi32(O, 5));
                s[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(T), _mm512_mul_ps(d, _mm512_set1_ps(a[c][b].d)), s[c]);
            }
        }
        for (std::size_t c = 0; c < C; ++c) _mm512_storeu_ps(y + c * y_stride, s[c]);
    }

    // The per-thread panel buffer, for nb super-blocks.
    static line* panel_buffer(std::size_t nb) {
        thread_local std::vector<line> buf;
        if (buf.size() < lines_per_block * nb) buf.resize(lines_per_block * nb);
        return buf.data();
    }

    // The panel's 16 rows against all n activation rows: y[j * y_stride + p] for row p.
    static void panel_rows(const line* panel, std::size_t nb, const q8_k::block* xq, std::size_t n, float* y,
                           std::size_t y_stride) noexcept {
        constexpr std::size_t C = 4;
        const q8_k::block* a[C];
        std::size_t j = 0;
        for (; j + C <= n; j += C) {
            for (std::size_t c = 0; c < C; ++c) a[c] = xq + (j + c) * nb;
            tile<C>(panel, nb, a, y + j * y_stride, y_stride);
        }
        for (; j < n; ++j) {
            a[0] = xq + j * nb;
            tile<1>(panel, nb, a, y + j * y_stride, y_stride);
        }
    }

    template <BlockFormat F>
    static void gemm(qmatrix_view<F> w, const q8_k::block* xq, std::size_t n, float* y, std::size_t r0,
                     std::size_t r1) {
        // Few activation rows: the GEMV kernels of q6_k.hpp (the repack would cost more than it saves).
        constexpr std::size_t panel_min_rows = 4;
        if (n < panel_min_rows) {
            kquant_gemm<q6_k_decoder<isa_level::avx512_vnni>>(w, xq, n, y, r0, r1);
            return;
        }
        const std::size_t nb = w.blocks_per_row();
        const std::size_t full = r0 + (r1 - r0) / 16 * 16;
        if (full > r0) {
            line* const panel = panel_buffer(nb);
            for (std::size_t r = r0; r < full; r += 16) {
                build(w.data + r * nb, nb, panel);
                panel_rows(panel, nb, xq, n, y + r, w.rows);
            }
        }
        if (full < r1)
            for (std::size_t j = 0; j < n; ++j) rows(w.data, nb, xq + j * nb, y + j * w.rows + full, full, r1);
    }
};

#endif // AVX-512 VNNI

} // namespace qforge::cpu_detail

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
namespace qforge {
// GEMM with n >= 4 on this level: the panel kernel (GEMV and n < 4 keep the kernels of q6_k.hpp).
template <>
struct kernel<op::gemm, cpu<avx512_vnni>, q6_k> {
    static constexpr bool available = true;
    static void run(const cpu<avx512_vnni>&, qmatrix_view<q6_k> w, const q8_k::block* xq, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        cpu_detail::q6_k_vnni::gemm(w, xq, n, y, r0, r1);
    }
};
} // namespace qforge
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
