// qforge/backend/cpu/panel16.hpp: AVX-512 VNNI GEMV/GEMM, 16 weight rows per zmm register, for the formats
// whose 32-value block is {f16 d; quants} and decodes to one byte per value (q4_0, iq4_nl, q8_0), against
// q8_0 activations.
//
// Arithmetic (the same in every path, so gemv == gemm row for row and any thread count gives the same
// bits): each value decodes to an unsigned byte u = value + bias (q4_0: the nibble itself, bias 8;
// iq4_nl: table value + 128, bias 128; q8_0: value + 128); per row r and block b the integer dot
//   i(r, b) = sum_k u(r, b, k) * a(b, k) - bias * sum_k a(b, k)          (exact in int32)
// then, over the blocks in order,  s(r) = fma(float(i(r, b)), d(r, b) * d_a(b), s(r)).
//
// GEMV (and GEMM with few activation rows) reads the blocks where they lie: values 0..15 (and 16..31) of 4
// rows fill one zmm (a 128-bit lane per row), vpdpbusd against the activation block broadcast to the 4 lanes leaves 4
// partial sums per row, and a 4 x 4 transpose-add of four such registers gives the 16 rows' block dots in
// the 16 lanes; the 16 scales come by one gather.
// GEMM with many activation rows first repacks each group of 16 weight rows once per call into a per-thread
// panel (the decoded bytes transposed so that lane p holds 4 consecutive bytes of row p, the scales as
// floats): each activation row then costs 8 vpdpbusd per block and 16 rows, the weights staying in
// registers across a tile of activation rows.
// Rows past the last full group of 16 (only at the end of the matrix: thread splits are 16-row aligned)
// take a scalar path with the same arithmetic.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/block/q8_0.hpp"
#include "qforge/core/config.hpp"

#if QFORGE_ARCH_X86_64
#include <immintrin.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace qforge::cpu_detail {

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)

// The activation side, once per call and thread: per block the float scale and bias * sum of its quants.
struct panel_act_pack {
    std::vector<float> d;
    std::vector<std::int32_t> corr;
    static const panel_act_pack& pack(const q8_0::block* xq, std::size_t blocks, int bias) {
        thread_local panel_act_pack p;
        if (p.d.size() < blocks) {
            p.d.resize(blocks);
            p.corr.resize(blocks);
        }
        const __m256i ones = _mm256_set1_epi8(1);
        for (std::size_t b = 0; b < blocks; ++b) {
            p.d[b] = _cvtsh_ss(xq[b].d.bits);
            // sum of 32 int8 as 8 int32 (vpdpbusd of ones x a), then a fixed horizontal sum (exact).
            const __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones,
                                                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[b].qs)));
            __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
            h = _mm_add_epi32(h, _mm_unpackhi_epi64(h, h));
            h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 1));
            p.corr[b] = bias * _mm_cvtsi128_si32(h);
        }
        return p;
    }
};

// One 64-byte line of a per-thread panel buffer.
struct alignas(64) panel_line {
    std::uint8_t bytes[64];
};

// The per-thread panel of one 16-row group: per block 8 x 64 decoded bytes, then 16 float scales.
struct panel_buffer {
    std::vector<panel_line> lines; // 9 per block
    static __m512i* get(std::size_t nb) {
        thread_local panel_buffer p;
        if (p.lines.size() < 9 * nb) p.lines.resize(9 * nb);
        return reinterpret_cast<__m512i*>(p.lines.data());
    }
};

// 16 bytes at p + (4l + g) * row_bytes for l = 0..3, lane l of the result (4 rows' bytes, one lane each).
QFORGE_ALWAYS_INLINE __m512i load4(const std::uint8_t* p, std::size_t row_bytes, std::size_t g) noexcept {
    const auto at = [&](std::size_t l) {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + (4 * l + g) * row_bytes));
    };
    __m512i v = _mm512_castsi128_si512(at(0));
    v = _mm512_inserti32x4(v, at(1), 1);
    v = _mm512_inserti32x4(v, at(2), 2);
    return _mm512_inserti32x4(v, at(3), 3);
}

// 4 x 4 transpose of dwords within each 128-bit lane: x[g] lane l = row 4l + g -> out[t] dword 4l + g =
// dword t of that row (lane p of out[t] = 4 consecutive bytes of row p).
QFORGE_ALWAYS_INLINE void transpose4x4_epi32(const __m512i* x, __m512i* out) noexcept {
    const __m512i t0 = _mm512_unpacklo_epi32(x[0], x[1]), t1 = _mm512_unpackhi_epi32(x[0], x[1]);
    const __m512i t2 = _mm512_unpacklo_epi32(x[2], x[3]), t3 = _mm512_unpackhi_epi32(x[2], x[3]);
    out[0] = _mm512_unpacklo_epi64(t0, t2);
    out[1] = _mm512_unpackhi_epi64(t0, t2);
    out[2] = _mm512_unpacklo_epi64(t1, t3);
    out[3] = _mm512_unpackhi_epi64(t1, t3);
}

// 4 bytes at p broadcast to every dword (an activation quad for vpdpbusd).
QFORGE_ALWAYS_INLINE __m512i bcast4(const void* p) noexcept {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

// The decoded bytes of 4-bit formats: D::u8 maps nibbles (bytes 0..15) to the unsigned values.
template <class D>
struct nibble_rows {
    static QFORGE_ALWAYS_INLINE void rows4(const std::uint8_t* qs, std::size_t row_bytes, std::size_t g, __m512i& lo,
                                           __m512i& hi) noexcept {
        const __m512i m4 = _mm512_set1_epi8(0x0f);
        const __m512i x = load4(qs, row_bytes, g);
        lo = D::u8(_mm512_and_si512(x, m4));
        hi = D::u8(_mm512_and_si512(_mm512_srli_epi16(x, 4), m4));
    }
};

// A decoder D supplies: block (f16 d, then the quants qs), bias, u8_scalar(const block&, k) (value k + bias)
// and rows4(qs of row 0 at some block, row_bytes, g, lo, hi): values 0..15 (lo) and 16..31 (hi) + bias of
// rows 4l + g in lane l.
template <class D>
struct panel16 {
    using block = typename D::block;
    static constexpr std::size_t bs = sizeof(block);

    // The 16 scales of rows 0..15 at block b (each gathered dword's low half is the f16), as floats.
    static QFORGE_ALWAYS_INLINE __m512 scales16(const std::uint8_t* dptr, __m512i row_offsets) noexcept {
        const __m512i g = _mm512_i32gather_epi32(row_offsets, dptr, 1);
        return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));
    }

    // 16 rows starting at w (row r of the matrix at w + r * nb), one activation row: y[0..15].
    static void gemv16(const block* w, std::size_t nb, const q8_0::block* a, const float* ad,
                       const std::int32_t* acorr, float* y) noexcept {
        const std::size_t row_bytes = nb * bs;
        const __m512i offs = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                _mm512_set1_epi32(static_cast<int>(row_bytes)));
        __m512 s = _mm512_setzero_ps();
        const auto* base = reinterpret_cast<const std::uint8_t*>(w);
        // The 16 rows are one contiguous region, read here as 16 interleaved streams: the next group's region
        // is prefetched at the pace this one is consumed (16 blocks = 16 * bs bytes per step). Addresses past
        // the matrix are only prefetched (never read), computed as integers.
        const std::uintptr_t next = reinterpret_cast<std::uintptr_t>(base) + 16 * row_bytes;
        for (std::size_t b = 0; b < nb; ++b) {
            // The next group's region at the pace of this one (to L1), and the one after it (to L3): measured
            // on cold 4096-wide rows, 12 -> 16-17 GB/s on one thread; 768-wide rows unchanged.
            for (std::size_t l = 0; l < 16 * bs; l += 64) {
                _mm_prefetch(reinterpret_cast<const char*>(next + b * 16 * bs + l), _MM_HINT_T0);
                _mm_prefetch(reinterpret_cast<const char*>(next + 16 * row_bytes + b * 16 * bs + l), _MM_HINT_T2);
            }
            const std::uint8_t* blk = base + b * bs;
            const std::uint8_t* qs = blk + offsetof(block, qs);
            const __m512i alo = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a[b].qs)));
            const __m512i ahi = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a[b].qs + 16)));
            __m512i p[4];
            for (std::size_t g = 0; g < 4; ++g) {
                __m512i lo, hi;
                D::rows4(qs, row_bytes, g, lo, hi);
                p[g] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, alo), hi, ahi);
            }
            const __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi32(p[0], p[1]), _mm512_unpackhi_epi32(p[0], p[1]));
            const __m512i v = _mm512_add_epi32(_mm512_unpacklo_epi32(p[2], p[3]), _mm512_unpackhi_epi32(p[2], p[3]));
            __m512i i = _mm512_add_epi32(_mm512_unpacklo_epi64(u, v), _mm512_unpackhi_epi64(u, v));
            i = _mm512_sub_epi32(i, _mm512_set1_epi32(acorr[b]));
            const __m512 sc = _mm512_mul_ps(scales16(blk + offsetof(block, d), offs), _mm512_set1_ps(ad[b]));
            s = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), sc, s);
        }
        _mm512_storeu_ps(y, s);
    }

    // Repacks rows 0..15 (at w) into the panel: per block W[t] (t < 4) = values 4t..4t+3 of every row (lane
    // p = row p), W[4 + t] = values 16 + 4t.., then the 16 scales as floats.
    static void build(const block* w, std::size_t nb, __m512i* panel) noexcept {
        const std::size_t row_bytes = nb * bs;
        const __m512i offs = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                _mm512_set1_epi32(static_cast<int>(row_bytes)));
        const auto* base = reinterpret_cast<const std::uint8_t*>(w);
        for (std::size_t b = 0; b < nb; ++b) {
            const std::uint8_t* blk = base + b * bs;
            __m512i lo[4], hi[4], W[8];
            for (std::size_t g = 0; g < 4; ++g) D::rows4(blk + offsetof(block, qs), row_bytes, g, lo[g], hi[g]);
            transpose4x4_epi32(lo, W);
            transpose4x4_epi32(hi, W + 4);
            __m512i* out = panel + b * 9;
            for (std::size_t t = 0; t < 8; ++t) _mm512_store_si512(out + t, W[t]);
            _mm512_store_ps(reinterpret_cast<float*>(out + 8), scales16(blk + offsetof(block, d), offs));
        }
    }

    // The panel (16 rows) against activation rows j .. j + C - 1; y + c * y_stride gets row j + c's outputs.
    template <std::size_t C>
    static QFORGE_ALWAYS_INLINE void tile(const __m512i* panel, std::size_t nb, const q8_0::block* const* a,
                                          const float* const* ad, const std::int32_t* const* acorr, float* y,
                                          std::size_t y_stride) noexcept {
        __m512 s[C];
        for (std::size_t c = 0; c < C; ++c) s[c] = _mm512_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            const __m512i* pw = panel + b * 9;
            __m512i W[8];
            for (std::size_t t = 0; t < 8; ++t) W[t] = _mm512_load_si512(pw + t);
            const __m512 dw = _mm512_load_ps(reinterpret_cast<const float*>(pw + 8));
            for (std::size_t c = 0; c < C; ++c) {
                const std::int8_t* q = a[c][b].qs;
                __m512i i0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), W[0], bcast4(q));
                __m512i i1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), W[4], bcast4(q + 16));
                i0 = _mm512_dpbusd_epi32(i0, W[1], bcast4(q + 4));
                i1 = _mm512_dpbusd_epi32(i1, W[5], bcast4(q + 20));
                i0 = _mm512_dpbusd_epi32(i0, W[2], bcast4(q + 8));
                i1 = _mm512_dpbusd_epi32(i1, W[6], bcast4(q + 24));
                i0 = _mm512_dpbusd_epi32(i0, W[3], bcast4(q + 12));
                i1 = _mm512_dpbusd_epi32(i1, W[7], bcast4(q + 28));
                const __m512i i = _mm512_sub_epi32(_mm512_add_epi32(i0, i1), _mm512_set1_epi32(acorr[c][b]));
                s[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), _mm512_mul_ps(dw, _mm512_set1_ps(ad[c][b])), s[c]);
            }
        }
        for (std::size_t c = 0; c < C; ++c) _mm512_storeu_ps(y + c * y_stride, s[c]);
    }

    // One row (the tail past the last full 16-row group), the same arithmetic in scalar form.
    static float row(const block* w, std::size_t nb, const q8_0::block* a, const float* ad,
                     const std::int32_t* acorr) noexcept {
        __m128 s = _mm_setzero_ps();
        for (std::size_t b = 0; b < nb; ++b) {
            std::int32_t i = 0;
            for (std::size_t k = 0; k < 32; ++k) i += D::u8_scalar(w[b], k) * a[b].qs[k];
            i -= acorr[b];
            const __m128 sc = _mm_mul_ss(_mm_set_ss(_cvtsh_ss(w[b].d.bits)), _mm_set_ss(ad[b]));
            s = _mm_fmadd_ss(_mm_cvtsi32_ss(_mm_setzero_ps(), i), sc, s);
        }
        return _mm_cvtss_f32(s);
    }

    template <BlockFormat F>
    static void gemm(qmatrix_view<F> w, const q8_0::block* xq, std::size_t n, float* y, std::size_t r0,
                     std::size_t r1) {
        const std::size_t nb = w.blocks_per_row();
        const auto& act = panel_act_pack::pack(xq, n * nb, D::bias);
        // The scale gather addresses 16 rows by 32-bit offsets: rows of more than 2^27 bytes take the scalar
        // path (the same arithmetic).
        const bool gather_ok = nb * bs <= (std::size_t{1} << 27);
        const std::size_t full = gather_ok ? r0 + (r1 - r0) / 16 * 16 : r0;
        // Few activation rows: the weights are read where they lie (the repack would cost more than it saves).
        constexpr std::size_t panel_min_rows = 4;
        if (n < panel_min_rows) {
            for (std::size_t r = r0; r < full; r += 16)
                for (std::size_t j = 0; j < n; ++j) {
                    float out[16];
                    gemv16(w.data + r * nb, nb, xq + j * nb, act.d.data() + j * nb, act.corr.data() + j * nb, out);
                    for (std::size_t k = 0; k < 16; ++k) y[j * w.rows + r + k] = out[k];
                }
        } else {
            __m512i* const panel = panel_buffer::get(nb);
            constexpr std::size_t C = 8;
            const q8_0::block* a[C];
            const float* ad[C];
            const std::int32_t* ac[C];
            for (std::size_t r = r0; r < full; r += 16) {
                build(w.data + r * nb, nb, panel);
                std::size_t j = 0;
                const auto set = [&](std::size_t cols) {
                    for (std::size_t c = 0; c < cols; ++c) {
                        a[c] = xq + (j + c) * nb;
                        ad[c] = act.d.data() + (j + c) * nb;
                        ac[c] = act.corr.data() + (j + c) * nb;
                    }
                };
                for (; j + C <= n; j += C) {
                    set(C);
                    tile<C>(panel, nb, a, ad, ac, y + j * w.rows + r, w.rows);
                }
                for (; j + 2 <= n; j += 2) {
                    set(2);
                    tile<2>(panel, nb, a, ad, ac, y + j * w.rows + r, w.rows);
                }
                for (; j < n; ++j) {
                    set(1);
                    tile<1>(panel, nb, a, ad, ac, y + j * w.rows + r, w.rows);
                }
            }
        }
        for (std::size_t r = full; r < r1; ++r)
            for (std::size_t j = 0; j < n; ++j)
                y[j * w.rows + r] = row(w.data + r * nb, nb, xq + j * nb, act.d.data() + j * nb, act.corr.data() + j * nb);
    }
};

#endif // AVX-512 VNNI

} // namespace qforge::cpu_detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
