// qforge/backend/cpu/f32_panel.hpp: AVX-512 f32 GEMM for many activation rows, as outer products on a
// repacked weight panel.
//
// Arithmetic (the same in every path of this GEMM, so its results depend neither on the thread count nor
// on where a row or an activation row falls in the tiling): every output is one FMA chain over k in order,
//   s = 0;  s = fma(w[r][k], x[j][k], s)  for k = 0 .. cols - 1.
// It is not the GEMV's arithmetic (16 lane-wise partial sums and a fixed reduction, the fast order for a
// weight stream from DRAM): for f32 at AVX-512, a GEMM row equals the GEMV's to rounding, not to the bit
// (docs/backends.md, Guarantees).
//
// Each group of 48 (then 32, 16) weight rows is repacked once per call into a per-thread panel, k-major:
// the 48 rows' values of column k are three zmm registers. A tile of 8 activation rows then costs, per k,
// three panel loads, 8 broadcasts from the activation rows where they lie (8 sequential streams) and 24
// FMAs into 24 accumulators that stay in registers for the whole row. Measured at n = 512 on one Zen 4
// core: 48-row panels 96-105 GFLOP/s, 32-row 62-78, Eigen 3.4 60-75 (bench/gemm.cpp has the same-run
// figures). Rows past the last full group of 16 (only at the end of the matrix: thread splits are 16-row
// aligned) take a scalar path with the same FMA chain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "qforge/block/f32.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/core/config.hpp"

#if QFORGE_ARCH_X86_64
#include <immintrin.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace qforge::cpu_detail {

#if defined(__AVX512F__)

struct f32_panel {
    // Fewer activation rows than this: the tile driver (no repack) is faster.
    static constexpr std::size_t min_rows = 8;

    // 16 x 16 transpose in registers: r[i] = 16 values of row i -> r[k] = column k (lane i = row i).
    static QFORGE_ALWAYS_INLINE void transpose16(__m512* r) noexcept {
        __m512 t[16];
        for (int i = 0; i < 16; i += 2) {
            t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
        }
        // t[2j], 128-bit chunk c: row 2j [4c], row 2j+1 [4c], row 2j [4c+1], row 2j+1 [4c+1]; t[2j+1]: 4c+2,
        // 4c+3.
        __m512 u[16];
        for (int i = 0; i < 16; i += 4) {
            u[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
            u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
            u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
            u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
        }
        // u[4g + e], chunk c: element 4c + e of rows 4g .. 4g + 3.
        __m512 v[16];
        for (int e = 0; e < 4; ++e) {
            v[e] = _mm512_shuffle_f32x4(u[e], u[4 + e], _MM_SHUFFLE(2, 0, 2, 0));
            v[4 + e] = _mm512_shuffle_f32x4(u[e], u[4 + e], _MM_SHUFFLE(3, 1, 3, 1));
            v[8 + e] = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], _MM_SHUFFLE(2, 0, 2, 0));
            v[12 + e] = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], _MM_SHUFFLE(3, 1, 3, 1));
        }
        for (int e = 0; e < 4; ++e) {
            r[e] = _mm512_shuffle_f32x4(v[e], v[8 + e], _MM_SHUFFLE(2, 0, 2, 0));
            r[8 + e] = _mm512_shuffle_f32x4(v[e], v[8 + e], _MM_SHUFFLE(3, 1, 3, 1));
            r[4 + e] = _mm512_shuffle_f32x4(v[4 + e], v[12 + e], _MM_SHUFFLE(2, 0, 2, 0));
            r[12 + e] = _mm512_shuffle_f32x4(v[4 + e], v[12 + e], _MM_SHUFFLE(3, 1, 3, 1));
        }
    }

    // Rows 0 .. 16 P - 1 of w (row stride cols) into panel[(k * P + p) * 16 + i] = w[16 p + i][k].
    template <std::size_t P>
    static void build(const float* w, std::size_t cols, float* panel) noexcept {
        const std::size_t full = cols / 16 * 16;
        for (std::size_t p = 0; p < P; ++p) {
            const float* wp = w + 16 * p * cols;
            for (std::size_t k0 = 0; k0 < full; k0 += 16) {
                __m512 r[16];
                for (std::size_t i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(wp + i * cols + k0);
                transpose16(r);
                for (std::size_t k = 0; k < 16; ++k) _mm512_store_ps(panel + ((k0 + k) * P + p) * 16, r[k]);
            }
            for (std::size_t k = full; k < cols; ++k)
                for (std::size_t i = 0; i < 16; ++i) panel[(k * P + p) * 16 + i] = wp[i * cols + k];
        }
    }

    // The panel (16 P rows) times activation rows x[j], j < C (row stride cols): y[j * y_stride + 16 p + i].
    // The 16 values of column k of rows 16 p .. 16 p + 15 are at panel + k * kstride + p * pstride (64-byte
    // aligned): kstride = 16 P, pstride = 16 for a panel built here; kstride = 16, pstride = 16 (cols + 1) for the
    // load-time layout of f32_x16.hpp, whose 16-row panels lie one after the other.
    template <std::size_t P, std::size_t C>
    static QFORGE_ALWAYS_INLINE void tile(const float* panel, std::size_t kstride, std::size_t pstride,
                                          std::size_t cols, const float* x, float* y, std::size_t y_stride) noexcept {
        __m512 s[P][C];
        for (std::size_t p = 0; p < P; ++p)
            for (std::size_t c = 0; c < C; ++c) s[p][c] = _mm512_setzero_ps();
        for (std::size_t k = 0; k < cols; ++k) {
            __m512 wk[P];
            for (std::size_t p = 0; p < P; ++p) wk[p] = _mm512_load_ps(panel + k * kstride + p * pstride);
            for (std::size_t c = 0; c < C; ++c) {
                const __m512 xk = _mm512_set1_ps(x[c * cols + k]);
                for (std::size_t p = 0; p < P; ++p) s[p][c] = _mm512_fmadd_ps(wk[p], xk, s[p][c]);
            }
        }
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t p = 0; p < P; ++p) _mm512_storeu_ps(y + c * y_stride + 16 * p, s[p][c]);
    }

    // The same FMA chain, one output at a time.
    static float row(const float* w, const float* x, std::size_t cols) noexcept {
        __m128 s = _mm_setzero_ps();
        for (std::size_t k = 0; k < cols; ++k) s = _mm_fmadd_ss(_mm_set_ss(w[k]), _mm_set_ss(x[k]), s);
        return _mm_cvtss_f32(s);
    }

    struct alignas(64) line {
        float v[16];
    };

    // Activation rows in tiles of C = 24 / P (24 accumulators for any panel height), then 4, then 1.
    template <std::size_t P>
    static void panel_times_rows(const float* panel, std::size_t kstride, std::size_t pstride, std::size_t cols,
                                 const float* x, std::size_t n, float* y, std::size_t y_stride) noexcept {
        constexpr std::size_t C = 24 / P;
        std::size_t j = 0;
        for (; j + C <= n; j += C)
            tile<P, C>(panel, kstride, pstride, cols, x + j * cols, y + j * y_stride, y_stride);
        for (; j + 4 <= n; j += 4)
            tile<P, 4>(panel, kstride, pstride, cols, x + j * cols, y + j * y_stride, y_stride);
        for (; j < n; ++j) tile<P, 1>(panel, kstride, pstride, cols, x + j * cols, y + j * y_stride, y_stride);
    }

    // Y (n x w.rows) rows r0..r1 = W x^T, n activation rows of w.cols floats.
    static void gemm(qmatrix_view<f32> wv, const float* x, std::size_t n, float* y, std::size_t r0,
                     std::size_t r1) {
        const std::size_t cols = wv.cols;
        const float* w = reinterpret_cast<const float*>(wv.data);
        thread_local std::vector<line> buf;
        if (buf.size() < 3 * cols) buf.resize(3 * cols); // 48 floats per k
        float* const panel = buf.data()->v;
        std::size_t r = r0;
        for (; r + 48 <= r1; r += 48) {
            build<3>(w + r * cols, cols, panel);
            panel_times_rows<3>(panel, 48, 16, cols, x, n, y + r, wv.rows);
        }
        for (; r + 32 <= r1; r += 32) {
            build<2>(w + r * cols, cols, panel);
            panel_times_rows<2>(panel, 32, 16, cols, x, n, y + r, wv.rows);
        }
        for (; r + 16 <= r1; r += 16) {
            build<1>(w + r * cols, cols, panel);
            panel_times_rows<1>(panel, 16, 16, cols, x, n, y + r, wv.rows);
        }
        for (; r < r1; ++r)
            for (std::size_t j = 0; j < n; ++j) y[j * wv.rows + r] = row(w + r * cols, x + j * cols, cols);
    }
};

#if defined(__AVX512BF16__)

// bf16 weights x bf16 activations (GEMM, many activation rows) with AVX-512 BF16's vdpbf16ps: the same panel
// design on pairs of columns. A 32-bit lane holds columns (2q, 2q + 1) of one row, so a panel line is 16
// rows' pair q (the f32 transpose moves the pairs as 32-bit values), and an activation row's pair is one
// 32-bit broadcast from where the row lies. Arithmetic (the same in every path of this GEMM, including the
// scalar path of the last < 16 rows, which runs the same instruction on one lane): per output, vdpbf16ps
// over the pairs in order from 0, an odd last column paired with zero. vdpbf16ps treats subnormal inputs as
// zero and flushes subnormal results, which the bf16 GEMV (exact widening and f32 FMA) does not: for bf16 at
// AVX-512 BF16, a GEMM row equals the GEMV's to rounding and subnormals, not to the bit (docs/backends.md).
struct bf16_panel {
    static constexpr std::size_t min_rows = 8;

    static QFORGE_ALWAYS_INLINE std::uint32_t load_pair(const std::uint16_t* p) noexcept {
        std::uint32_t v;
        std::memcpy(&v, p, 4);
        return v;
    }

    // Rows 0 .. 16 P - 1 of w into panel[(q * P + p) * 16 + i] = pair q of row 16 p + i.
    template <std::size_t P>
    static void build(const std::uint16_t* w, std::size_t cols, std::uint32_t* panel) noexcept {
        const std::size_t pairs = (cols + 1) / 2, full = cols / 32 * 16;
        for (std::size_t p = 0; p < P; ++p) {
            const std::uint16_t* wp = w + 16 * p * cols;
            for (std::size_t q0 = 0; q0 < full; q0 += 16) {
                __m512 r[16];
                for (std::size_t i = 0; i < 16; ++i)
                    r[i] = _mm512_castsi512_ps(_mm512_loadu_si512(wp + i * cols + 2 * q0));
                f32_panel::transpose16(r);
                for (std::size_t q = 0; q < 16; ++q)
                    _mm512_store_si512(panel + ((q0 + q) * P + p) * 16, _mm512_castps_si512(r[q]));
            }
            for (std::size_t q = full; q < pairs; ++q)
                for (std::size_t i = 0; i < 16; ++i)
                    panel[(q * P + p) * 16 + i] = pair(wp + i * cols, q, cols);
        }
    }

    // Pair q of a row: columns 2q and 2q + 1, or 2q and zero past the end.
    static QFORGE_ALWAYS_INLINE std::uint32_t pair(const std::uint16_t* row, std::size_t q,
                                                   std::size_t cols) noexcept {
        return 2 * q + 1 < cols ? load_pair(row + 2 * q) : row[2 * q];
    }

    template <std::size_t P, std::size_t C>
    static QFORGE_ALWAYS_INLINE void tile(const std::uint32_t* panel, std::size_t cols,
                                          const std::uint16_t* x, float* y, std::size_t y_stride) noexcept {
        __m512 s[P][C];
        for (std::size_t p = 0; p < P; ++p)
            for (std::size_t c = 0; c < C; ++c) s[p][c] = _mm512_setzero_ps();
        const std::size_t whole = cols / 2;
        for (std::size_t q = 0; q < whole; ++q) {
            __m512i wq[P];
            for (std::size_t p = 0; p < P; ++p) wq[p] = _mm512_load_si512(panel + (q * P + p) * 16);
            for (std::size_t c = 0; c < C; ++c) {
                const __m512i xq = _mm512_set1_epi32(static_cast<int>(load_pair(x + c * cols + 2 * q)));
                for (std::size_t p = 0; p < P; ++p)
                    s[p][c] = _mm512_dpbf16_ps(s[p][c], (__m512bh)wq[p], (__m512bh)xq);
            }
        }
        if (cols % 2) { // the last column, paired with zero
            __m512i wq[P];
            for (std::size_t p = 0; p < P; ++p) wq[p] = _mm512_load_si512(panel + (whole * P + p) * 16);
            for (std::size_t c = 0; c < C; ++c) {
                const __m512i xq = _mm512_set1_epi32(static_cast<int>(x[c * cols + 2 * whole]));
                for (std::size_t p = 0; p < P; ++p)
                    s[p][c] = _mm512_dpbf16_ps(s[p][c], (__m512bh)wq[p], (__m512bh)xq);
            }
        }
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t p = 0; p < P; ++p) _mm512_storeu_ps(y + c * y_stride + 16 * p, s[p][c]);
    }

    // The same instruction chain on one lane.
    static float row(const std::uint16_t* w, const std::uint16_t* x, std::size_t cols) noexcept {
        __m128 s = _mm_setzero_ps();
        for (std::size_t q = 0; q < (cols + 1) / 2; ++q)
            s = _mm_dpbf16_ps(s, (__m128bh)_mm_cvtsi32_si128(static_cast<int>(pair(w, q, cols))),
                              (__m128bh)_mm_cvtsi32_si128(static_cast<int>(pair(x, q, cols))));
        return _mm_cvtss_f32(s);
    }

    template <std::size_t P>
    static void panel_times_rows(const std::uint32_t* panel, std::size_t cols, const std::uint16_t* x,
                                 std::size_t n, float* y, std::size_t y_stride) noexcept {
        constexpr std::size_t C = 24 / P;
        std::size_t j = 0;
        for (; j + C <= n; j += C) tile<P, C>(panel, cols, x + j * cols, y + j * y_stride, y_stride);
        for (; j + 4 <= n; j += 4) tile<P, 4>(panel, cols, x + j * cols, y + j * y_stride, y_stride);
        for (; j < n; ++j) tile<P, 1>(panel, cols, x + j * cols, y + j * y_stride, y_stride);
    }

    // Whether this CPU runs vdpbf16ps (the binary may be built for it and run on a CPU without it).
    static bool supported() noexcept {
        static const bool ok = __builtin_cpu_supports("avx512bf16");
        return ok;
    }

    static void gemm(const std::uint16_t* w, std::size_t rows, std::size_t cols, const std::uint16_t* x,
                     std::size_t n, float* y, std::size_t r0, std::size_t r1) {
        thread_local std::vector<f32_panel::line> buf;
        const std::size_t pairs = (cols + 1) / 2;
        if (buf.size() < 3 * pairs) buf.resize(3 * pairs); // 48 pairs per line triple
        auto* const panel = reinterpret_cast<std::uint32_t*>(buf.data()->v);
        std::size_t r = r0;
        for (; r + 48 <= r1; r += 48) {
            build<3>(w + r * cols, cols, panel);
            panel_times_rows<3>(panel, cols, x, n, y + r, rows);
        }
        for (; r + 32 <= r1; r += 32) {
            build<2>(w + r * cols, cols, panel);
            panel_times_rows<2>(panel, cols, x, n, y + r, rows);
        }
        for (; r + 16 <= r1; r += 16) {
            build<1>(w + r * cols, cols, panel);
            panel_times_rows<1>(panel, cols, x, n, y + r, rows);
        }
        for (; r < r1; ++r)
            for (std::size_t j = 0; j < n; ++j) y[j * rows + r] = row(w + r * cols, x + j * cols, cols);
    }
};

#endif // __AVX512BF16__

#endif // __AVX512F__

} // namespace qforge::cpu_detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
