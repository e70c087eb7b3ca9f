// qforge/backend/cpu/q4_k_vnni.hpp: q4_k x q8_k GEMM with n >= 4 activation rows on AVX-512 VNNI.
//
// GEMV and GEMM with n < 4 keep the kernels of q4_k.hpp (float lanes like ggml's AVX2 kernel: the fastest
// GEMV). For n >= 4 this file's arithmetic: per row and super-block, with sc/m the 6-bit group scales and
// mins, u the nibbles (0..15), a the q8_k quants and bsum32 the sums of each 32 of them,
//   I = sum_g sc_g * sum_i u(g, i) a(32g + i),     M = sum_g m_g * bsum32_g        (both exact in int32)
//   s = fma(float(I), d_w * d_a, s);  s = fma(float(M), -(dmin_w * d_a), s)        (super-blocks in order)
// in every path (the panel, and the rows past the last multiple of 16), so no thread count changes a bit.
// The two arithmetics differ only by float summation order (within the tests' tolerance of the reference);
// a q4_k GEMM row with n >= 4 is therefore not bit-identical to the GEMV of that row, unlike other formats.
//
// The panel: each 16-row group is repacked once per call into a per-thread buffer (lane p = 4 bytes of row p
// per group and position, scales and mins per row); per group 8 vpdpbusd per activation row give the 16
// rows' group dots, multiplied by the scales (vpmulld) and summed; the mins term is 4 vpdpwssd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "qforge/backend/cpu/kquant_blocks.hpp"
#include "qforge/backend/cpu/panel16.hpp"
#include "qforge/backend/cpu/q4_k.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/backend/tags.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/block/q4_k.hpp"
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

struct q4_k_vnni {
    using block = q4_k::block;
    using line = panel_line;

    // Per activation super-block, once per call: bsum32 as int16 (the panel's mins term) and the scale.
    struct act {
        std::vector<std::int16_t> b32; // 8 per super-block
        std::vector<float> d;
        static const act& pack(const q8_k::block* a, std::size_t blocks) {
            thread_local act p;
            if (p.d.size() < blocks) {
                p.b32.resize(8 * blocks);
                p.d.resize(blocks);
            }
            for (std::size_t b = 0; b < blocks; ++b) {
                for (std::size_t g = 0; g < 8; ++g)
                    p.b32[8 * b + g] = static_cast<std::int16_t>(a[b].bsums[2 * g] + a[b].bsums[2 * g + 1]);
                p.d[b] = a[b].d;
            }
            return p;
        }
    };

    // The float steps of one block of one row: s = fma(float(I), d_w d_a, s); s = fma(float(M), -(dmin_w d_a), s).
    static QFORGE_ALWAYS_INLINE __m128 step(__m128 s, const block& x, const q8_k::block& a) noexcept {
        __m128i head, msum;
        __m256i isum;
        q4_k_decoder<isa_level::avx512_vnni>::ints(x, a, head, isum, msum);
        __m128i t = _mm_add_epi32(_mm256_castsi256_si128(isum), _mm256_extracti128_si256(isum, 1));
        t = _mm_hadd_epi32(t, msum); // [I parts | M parts] -> I in lane 0, M in lane 1
        t = _mm_hadd_epi32(t, t);
        const __m128 dw = _mm_cvtph_ps(head); // d, dmin
        const __m128 da = _mm_set_ss(a.d);
        const __m128 dd = _mm_mul_ss(dw, da);
        const __m128 dm = _mm_xor_ps(_mm_mul_ss(_mm_movehdup_ps(dw), da), _mm_set_ss(-0.0f));
        const __m128 f = _mm_cvtepi32_ps(t);
        s = _mm_fmadd_ss(f, dd, s);
        return _mm_fmadd_ss(_mm_movehdup_ps(f), dm, s);
    }

    // Rows r0..r1 against one activation row (y[r - r0]), one at a time: the integer part by the
    // AVX2-shaped decoder of q4_k.hpp (VNNI vpdpwssd), one horizontal sum per block, then the float step.
    // (Two rows interleaved were slower: register spills.)
    static void rows(const block* w, std::size_t nb, const q8_k::block* a, float* y, std::size_t r0,
                     std::size_t r1) noexcept {
        for (std::size_t r = r0; r < r1; ++r) {
            __m128 s = _mm_setzero_ps();
            for (std::size_t b = 0; b < nb; ++b) s = step(s, w[r * nb + b], a[b]);
            y[r - r0] = _mm_cvtss_f32(s);
        }
    }

    // Panel layout per super-block (78 lines): W[g][t] (64: group g, values 4t..4t+3 of every row), SC[g]
    // (8: int32 scale per row), MN[p] (4: int16 pair (m_2p, m_2p+1) per row), D, DMIN (2: floats per row).
    static constexpr std::size_t lines_per_block = 78;

    static void build(const block* w, std::size_t nb, line* panel) noexcept {
        const std::size_t row_bytes = nb * sizeof(block);
        const auto* base = reinterpret_cast<const std::uint8_t*>(w);
        const __m512i m4 = _mm512_set1_epi8(0x0f);
        for (std::size_t b = 0; b < nb; ++b) {
            auto* W = reinterpret_cast<__m512i*>(panel + b * lines_per_block);
            const std::uint8_t* qs = base + b * sizeof(block) + offsetof(block, qs);
            for (std::size_t k = 0; k < 4; ++k)     // qs[32k..32k+31]: groups 2k (low) and 2k + 1 (high)
                for (std::size_t h = 0; h < 2; ++h) { // values 16h .. 16h + 15 of those groups
                    __m512i lo[4], hi[4];
                    for (std::size_t g = 0; g < 4; ++g) {
                        const __m512i x = load4(qs + 32 * k + 16 * h, row_bytes, g);
                        lo[g] = _mm512_and_si512(x, m4);
                        hi[g] = _mm512_and_si512(_mm512_srli_epi16(x, 4), m4);
                    }
                    __m512i tl[4], th[4];
                    transpose4x4_epi32(lo, tl);
                    transpose4x4_epi32(hi, th);
                    for (std::size_t t = 0; t < 4; ++t) {
                        _mm512_store_si512(W + 8 * (2 * k) + 4 * h + t, tl[t]);
                        _mm512_store_si512(W + 8 * (2 * k + 1) + 4 * h + t, th[t]);
                    }
                }
            alignas(64) std::int32_t sc[8][16];
            alignas(64) std::int16_t mn[4][32];
            alignas(64) float d[16], dmin[16];
            for (std::size_t r = 0; r < 16; ++r) {
                const block& x = w[r * nb + b];
                std::uint8_t s8[8], m8[8];
                unpack_scales_mins_k4(x.scales, s8, m8);
                for (std::size_t g = 0; g < 8; ++g) {
                    sc[g][r] = s8[g];
                    mn[g / 2][2 * r + g % 2] = m8[g];
                }
                d[r] = _cvtsh_ss(x.d.bits);
                dmin[r] = _cvtsh_ss(x.dmin.bits);
            }
            for (std::size_t g = 0; g < 8; ++g) _mm512_store_si512(W + 64 + g, _mm512_load_si512(sc[g]));
            for (std::size_t p = 0; p < 4; ++p) _mm512_store_si512(W + 72 + p, _mm512_load_si512(mn[p]));
            _mm512_store_ps(reinterpret_cast<float*>(W + 76), _mm512_load_ps(d));
            _mm512_store_ps(reinterpret_cast<float*>(W + 77), _mm512_load_ps(dmin));
        }
    }

    // The panel against C activation rows (a[c] = their super-blocks, b32[c], ad[c] from act::pack).
    template <std::size_t C>
    static QFORGE_ALWAYS_INLINE void tile(const line* panel, std::size_t nb, const q8_k::block* const* a,
                                          const std::int16_t* const* b32, const float* const* ad, float* y,
                                          std::size_t y_stride) noexcept {
        __m512 s[C];
        for (std::size_t c = 0; c < C; ++c) s[c] = _mm512_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            const auto* P = reinterpret_cast<const __m512i*>(panel + b * lines_per_block);
            __m512i I[C];
            for (std::size_t c = 0; c < C; ++c) I[c] = _mm512_setzero_si512();
            for (std::size_t g = 0; g < 8; ++g) {
                __m512i W[8];
                for (std::size_t t = 0; t < 8; ++t) W[t] = _mm512_load_si512(P + 8 * g + t);
                const __m512i sc = _mm512_load_si512(P + 64 + g);
                for (std::size_t c = 0; c < C; ++c) {
                    const std::int8_t* q = a[c][b].qs + 32 * g;
                    __m512i p0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), W[0], bcast4(q));
                    __m512i p1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), W[4], bcast4(q + 16));
                    p0 = _mm512_dpbusd_epi32(p0, W[1], bcast4(q + 4));
                    p1 = _mm512_dpbusd_epi32(p1, W[5], bcast4(q + 20));
                    p0 = _mm512_dpbusd_epi32(p0, W[2], bcast4(q + 8));
                    p1 = _mm512_dpbusd_epi32(p1, W[6], bcast4(q + 24));
                    p0 = _mm512_dpbusd_epi32(p0, W[3], bcast4(q + 12));
                    p1 = _mm512_dpbusd_epi32(p1, W[7], bcast4(q + 28));
                    I[c] = _mm512_add_epi32(I[c], _mm512_mullo_epi32(_mm512_add_epi32(p0, p1), sc));
                }
            }
            const __m512 d = _mm512_load_ps(reinterpret_cast<const float*>(P + 76));
            const __m512 dmin = _mm512_load_ps(reinterpret_cast<const float*>(P + 77));
            for (std::size_t c = 0; c < C; ++c) {
                const std::int16_t* bs = b32[c] + 8 * b;
                __m512i M = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_load_si512(P + 72), bcast4(bs));
                M = _mm512_dpwssd_epi32(M, _mm512_load_si512(P + 73), bcast4(bs + 2));
                M = _mm512_dpwssd_epi32(M, _mm512_load_si512(P + 74), bcast4(bs + 4));
                M = _mm512_dpwssd_epi32(M, _mm512_load_si512(P + 75), bcast4(bs + 6));
                const __m512 da = _mm512_set1_ps(ad[c][b]);
                const __m512 dm = _mm512_xor_ps(_mm512_mul_ps(dmin, da), _mm512_set1_ps(-0.0f));
                s[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(I[c]), _mm512_mul_ps(d, da), s[c]);
                s[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(M), dm, s[c]);
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

    // The panel's 16 rows against all n activation rows (A = act::pack of them): y[j * y_stride + p] for row p.
    static void panel_rows(const line* panel, std::size_t nb, const q8_k::block* xq, const act& A, std::size_t n,
                           float* y, std::size_t y_stride) noexcept {
        constexpr std::size_t C = 4;
        const q8_k::block* a[C];
        const std::int16_t* b32[C];
        const float* ad[C];
        std::size_t j = 0;
        const auto set = [&](std::size_t cols) {
            for (std::size_t c = 0; c < cols; ++c) {
                a[c] = xq + (j + c) * nb;
                b32[c] = A.b32.data() + 8 * (j + c) * nb;
                ad[c] = A.d.data() + (j + c) * nb;
            }
        };
        for (; j + C <= n; j += C) {
            set(C);
            tile<C>(panel, nb, a, b32, ad, y + j * y_stride, y_stride);
        }
        for (; j < n; ++j) {
            set(1);
            tile<1>(panel, nb, a, b32, ad, y + j * y_stride, y_stride);
        }
    }

    template <BlockFormat F>
    static void gemm(qmatrix_view<F> w, const q8_k::block* xq, std::size_t n, float* y, std::size_t r0,
                     std::size_t r1) {
        // Few activation rows: the GEMV kernels of q4_k.hpp (the repack would cost more than it saves).
        constexpr std::size_t panel_min_rows = 4;
        if (n < panel_min_rows) {
            kquant_gemm<q4_k_decoder<isa_level::avx512_vnni>>(w, xq, n, y, r0, r1);
            return;
        }
        const std::size_t nb = w.blocks_per_row();
        const std::size_t full = r0 + (r1 - r0) / 16 * 16;
        if (full > r0) {
            const act& A = act::pack(xq, n * nb);
            line* const panel = panel_buffer(nb);
            for (std::size_t r = r0; r < full; r += 16) {
                build(w.data + r * nb, nb, panel);
                panel_rows(panel, nb, xq, A, n, y + r, w.rows);
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
// GEMM with n >= 4 on this level: the panel kernel (GEMV and n < 4 keep the kernels of q4_k.hpp).
template <>
struct kernel<op::gemm, cpu<avx512_vnni>, q4_k> {
    static constexpr bool available = true;
    static void run(const cpu<avx512_vnni>&, qmatrix_view<q4_k> w, const q8_k::block* xq, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        cpu_detail::q4_k_vnni::gemm(w, xq, n, y, r0, r1);
    }
};
} // namespace qforge
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
