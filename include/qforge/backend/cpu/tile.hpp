// qforge/backend/cpu/tile.hpp: the GEMM/GEMV driver shared by the CPU kernels.
//
// A format kernel K (one per format and isa level) says how to accumulate one weight row against one
// activation row, `step` weight blocks at a time, in a SIMD accumulator:
//   K::acc                    accumulator register type;          K::zero()
//   K::arow                   what the kernel reads of one activation row (a pointer, or a few for a
//                             repacked layout); the driver gets row j from an accessor: rows(j)
//   K::wprep / K::aprep       a prepared weight / activation step; K::prep_w(w, i), K::prep_a(a, i)
//                             (i = index of the step's first weight block, the full step is in range);
//                             K::prep_w_tail / K::prep_a_tail: the last, partial step (fewer blocks)
//   K::madd(acc&, wprep, aprep)                                   accumulate one step
//   K::reduce(acc) -> float                                       horizontal sum (fixed order)
// The driver computes an R x C tile of outputs at once (weights loaded once for C activation rows,
// activations once for R weight rows: the register blocking). Every output's arithmetic is the same whatever
// tile it falls in — its own accumulator, the same steps in the same order, the same reduction — so results do
// not depend on the tiling, hence not on the thread count, and gemv equals gemm with n = 1.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "qforge/block/matrix.hpp"
#include "qforge/core/config.hpp"

// GCC 12 reports its own _mm512_undefined_* helpers (used inside AVX-512 intrinsics such as
// _mm512_inserti64x4 and _mm512_cvtepi32_ps) as "maybe uninitialized" once they are inlined here: a false
// positive (GCC PR 105593). It is silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace qforge::cpu_detail {

// 2 KiB ahead: measured on the 110M model's q6_k classifier (32000 rows of 630 bytes, streamed from DRAM), 768
// bytes ahead left it at 13 GB/s, 1.5-6 KiB reached 15-20 GB/s; hot (L2/L3) GEMV is unchanged.
inline constexpr std::size_t prefetch_bytes = 2048;

// A kernel may set its own distance (K::prefetch_distance; 0 = none): plain f32 rows are one long sequential
// stream that the hardware prefetchers follow better alone.
template <class K>
constexpr std::size_t prefetch_distance_of() noexcept {
    if constexpr (requires { K::prefetch_distance; }) return K::prefetch_distance;
    else return prefetch_bytes;
}

template <class K, std::size_t R, std::size_t C, class WBlock>
QFORGE_ALWAYS_INLINE void tile(const WBlock* const* w, const typename K::arow* a, std::size_t nb, float* y,
                               std::size_t y_row_stride) {
    typename K::acc acc[R][C];
    for (std::size_t r = 0; r < R; ++r)
        for (std::size_t c = 0; c < C; ++c) acc[r][c] = K::zero();
    constexpr std::size_t step = K::step;
    const std::size_t full = nb / step * step;
    for (std::size_t i = 0; i < full; i += step) {
        // Weights stream from memory once: ask for them a few hundred bytes ahead of use (the R rows of a
        // tile are R short interleaved streams, which hardware prefetchers pick up late).
        // One prefetch per cache line, not per block (a q8_0 block is 34 bytes).
        constexpr std::size_t pf = prefetch_distance_of<K>();
        if constexpr (pf > 0) {
            const auto ahead = reinterpret_cast<std::uintptr_t>(w[0] + i) + pf;
            if (i == 0 || (ahead >> 6) != ((ahead - step * sizeof(WBlock)) >> 6))
                for (std::size_t r = 0; r < R; ++r)
                    __builtin_prefetch(reinterpret_cast<const char*>(w[r] + i) + pf);
        }
        typename K::aprep ap[C];
        for (std::size_t c = 0; c < C; ++c) ap[c] = K::prep_a(a[c], i);
        for (std::size_t r = 0; r < R; ++r) {
            const typename K::wprep wp = K::prep_w(w[r], i);
            for (std::size_t c = 0; c < C; ++c) K::madd(acc[r][c], wp, ap[c]);
        }
    }
    if (full < nb) {
        typename K::aprep ap[C];
        for (std::size_t c = 0; c < C; ++c) ap[c] = K::prep_a_tail(a[c], full, nb - full);
        for (std::size_t r = 0; r < R; ++r) {
            const typename K::wprep wp = K::prep_w_tail(w[r], full, nb - full);
            for (std::size_t c = 0; c < C; ++c) K::madd(acc[r][c], wp, ap[c]);
        }
    }
    for (std::size_t r = 0; r < R; ++r)
        for (std::size_t c = 0; c < C; ++c) y[c * y_row_stride + r] = K::reduce(acc[r][c]);
}

// Y (n x w.rows) rows r0..r1 for n activation rows (arow(j) gives row j). R x C tiles; the activation rows
// are visited in panels of `panel` rows so that a panel stays in L2 while the weights stream.
template <class K, std::size_t R, std::size_t C, BlockFormat F, class ARows>
void gemm_rows(qmatrix_view<F> w, const ARows& arow, std::size_t n, float* y, std::size_t r0, std::size_t r1,
               std::size_t panel = 64) {
    const std::size_t nb = w.blocks_per_row();
    const typename F::block* wr[R];
    typename K::arow ac[C];
    for (std::size_t j0 = 0; j0 < n; j0 += panel) {
        const std::size_t j1 = std::min(n, j0 + panel);
        std::size_t r = r0;
        for (; r + R <= r1; r += R) {
            for (std::size_t i = 0; i < R; ++i) wr[i] = w.data + (r + i) * nb;
            std::size_t j = j0;
            for (; j + C <= j1; j += C) {
                for (std::size_t c = 0; c < C; ++c) ac[c] = arow(j + c);
                tile<K, R, C>(wr, ac, nb, y + j * w.rows + r, w.rows);
            }
            for (; j < j1; ++j) {
                ac[0] = arow(j);
                tile<K, R, 1>(wr, ac, nb, y + j * w.rows + r, w.rows);
            }
        }
        for (; r < r1; ++r) {
            wr[0] = w.data + r * nb;
            std::size_t j = j0;
            for (; j + C <= j1; j += C) {
                for (std::size_t c = 0; c < C; ++c) ac[c] = arow(j + c);
                tile<K, 1, C>(wr, ac, nb, y + j * w.rows + r, w.rows);
            }
            for (; j < j1; ++j) {
                ac[0] = arow(j);
                tile<K, 1, 1>(wr, ac, nb, y + j * w.rows + r, w.rows);
            }
        }
    }
}

} // namespace qforge::cpu_detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
