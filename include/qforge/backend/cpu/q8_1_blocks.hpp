// qforge/backend/cpu/q8_1_blocks.hpp: the format kernel (cpu/tile.hpp) for affine 32-value formats dotted with
// q8_1 activations (q4_1, q5_1): dot = d_w d_a sum(q a) + m_w s_a, with unsigned quants q. The integer sum is
// exact (pmaddubsw/pmaddwd, or vpdpbusd with VNNI: unsigned weights need no bias); the m_w s_a terms gather
// in a separate lane, as ggml's AVX2 kernels keep them in a separate scalar. 256-bit code from AVX2 up, two
// 128-bit halves on SSE4.2 (mul then add: no FMA). A decoder D supplies D::block, D::qs256(block) (unsigned
// bytes), D::qs128(block, lo, hi) (the same as two halves), D::d(block), D::m(block).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/backend/cpu/int8_blocks.hpp"
#include "qforge/backend/cpu/tile.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/block/q8_1.hpp"

#if QFORGE_ARCH_X86_64
#include <immintrin.h>

// Inline helpers return 256-bit vectors; GCC warns about their ABI (-Wpsabi) in translation units compiled
// without AVX, where they are never emitted (no kernel of that level is specialized). GCC 12 also reports its
// own _mm512_undefined_* helpers as "maybe uninitialized" (PR 105593). Both are silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace qforge::cpu_detail {

struct q8_1_act_row {
    const q8_1::block* b;
    const float* d; // d as float, per block
    const float* s; // s as float, per block
};

class q8_1_act_pack {
public:
    static const q8_1_act_pack& pack(const q8_1::block* xq, std::size_t n, std::size_t nb) {
        thread_local q8_1_act_pack p;
        p.xq_ = xq;
        p.nb_ = nb;
        if (p.d_.size() < n * nb) {
            p.d_.resize(n * nb);
            p.s_.resize(n * nb);
        }
        for (std::size_t b = 0; b < n * nb; ++b) {
            p.d_[b] = xq[b].d.to_float();
            p.s_[b] = xq[b].s.to_float();
        }
        return p;
    }
    q8_1_act_row operator()(std::size_t j) const noexcept {
        return {xq_ + nb_ * j, d_.data() + nb_ * j, s_.data() + nb_ * j};
    }

private:
    const q8_1::block* xq_ = nullptr;
    std::size_t nb_ = 0;
    std::vector<float> d_, s_;
};

template <bool Vnni, class D>
struct q8_1_kernel {
    using wblock = typename D::block;
    using arow = q8_1_act_row;
    struct acc {
        __m256 v;
        __m128 m;
    };
    static constexpr std::size_t step = 1;
    struct wprep {
        __m256i q;
        __m256 d;
        __m128 m;
    };
    struct aprep {
        __m256i q;
        __m256 d;
        __m128 s;
    };
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return {_mm256_setzero_ps(), _mm_setzero_ps()}; }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        return {D::qs256(w[i]), _mm256_set1_ps(D::d(w[i])), _mm_set_ss(D::m(w[i]))};
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        return prep_w(w, i);
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a(const arow& a, std::size_t i) noexcept {
        return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.b[i].qs)), _mm256_set1_ps(a.d[i]),
                _mm_set_ss(a.s[i])};
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(const arow& a, std::size_t i, std::size_t) noexcept {
        return prep_a(a, i);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, const aprep& a) noexcept {
        __m256i p;
        if constexpr (Vnni) {
            p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), w.q, a.q);
        } else {
            p = _mm256_madd_epi16(_mm256_maddubs_epi16(w.q, a.q), _mm256_set1_epi16(1));
        }
        s.v = _mm256_fmadd_ps(_mm256_mul_ps(w.d, a.d), _mm256_cvtepi32_ps(p), s.v);
        s.m = _mm_fmadd_ss(w.m, a.s, s.m);
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return hsum256(s.v) + _mm_cvtss_f32(s.m); }
};

// SSE4.2: a block per step as two 128-bit halves. pmaddubsw of the unsigned quants (at most 31) by the
// signed activations: a pair sums to at most 2 * 31 * 128 in magnitude, exact in int16.
template <class D>
struct q8_1_sse_kernel {
    using wblock = typename D::block;
    using arow = q8_1_act_row;
    struct acc {
        __m128 v;
        __m128 m;
    };
    static constexpr std::size_t step = 1;
    struct wprep {
        __m128i lo, hi;
        __m128 d;
        __m128 m;
    };
    struct aprep {
        __m128i lo, hi;
        __m128 d;
        __m128 s;
    };
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return {_mm_setzero_ps(), _mm_setzero_ps()}; }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        wprep p;
        D::qs128(w[i], p.lo, p.hi);
        p.d = _mm_set1_ps(D::d(w[i]));
        p.m = _mm_set_ss(D::m(w[i]));
        return p;
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        return prep_w(w, i);
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a(const arow& a, std::size_t i) noexcept {
        return {_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.b[i].qs)),
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.b[i].qs + 16)), _mm_set1_ps(a.d[i]),
                _mm_set_ss(a.s[i])};
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(const arow& a, std::size_t i, std::size_t) noexcept {
        return prep_a(a, i);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, const aprep& a) noexcept {
        const __m128i one = _mm_set1_epi16(1);
        const __m128i plo = _mm_madd_epi16(_mm_maddubs_epi16(w.lo, a.lo), one);
        const __m128i phi = _mm_madd_epi16(_mm_maddubs_epi16(w.hi, a.hi), one);
        s.v = _mm_add_ps(s.v, _mm_mul_ps(_mm_mul_ps(w.d, a.d), _mm_cvtepi32_ps(_mm_add_epi32(plo, phi))));
        s.m = _mm_add_ss(s.m, _mm_mul_ss(w.m, a.s));
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return hsum128(s.v) + _mm_cvtss_f32(s.m); }
};

template <class Arch>
inline constexpr bool q8_1_level_ok =
    isa_usable<Arch> && static_cast<int>(isa_traits<Arch>::level) >= static_cast<int>(isa_level::sse4_2);

template <class Arch, class D, BlockFormat F>
void q8_1_gemm(qmatrix_view<F> w, const q8_1::block* xq, std::size_t n, float* y, std::size_t r0, std::size_t r1) {
    constexpr bool vnni = isa_traits<Arch>::level == isa_level::avx512_vnni;
    constexpr bool wide = static_cast<int>(isa_traits<Arch>::level) >= static_cast<int>(isa_level::avx512);
    const auto& act = q8_1_act_pack::pack(xq, n, w.blocks_per_row());
    // One weight row at a time for n == 1: a sequential stream (the same bits as the tiles). SSE4.2 never
    // instantiates the 256-bit kernel (a build for that level lacks AVX).
    if constexpr (isa_traits<Arch>::level == isa_level::sse4_2) {
        if (n == 1) gemm_rows<q8_1_sse_kernel<D>, 1, 1>(w, act, n, y, r0, r1);
        else gemm_rows<q8_1_sse_kernel<D>, 2, 2>(w, act, n, y, r0, r1);
    } else if (n == 1) {
        gemm_rows<q8_1_kernel<vnni, D>, 1, 1>(w, act, n, y, r0, r1);
    } else if constexpr (wide) {
        gemm_rows<q8_1_kernel<vnni, D>, 4, 3>(w, act, n, y, r0, r1);
    } else {
        gemm_rows<q8_1_kernel<vnni, D>, 2, 2>(w, act, n, y, r0, r1);
    }
}

template <class Arch, BlockFormat F, class D>
struct q8_1_gemv_kernel {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<F> w, const q8_1::block* xq, float* y, std::size_t r0,
                    std::size_t r1) {
        q8_1_gemm<Arch, D>(w, xq, 1, y, r0, r1);
    }
};
template <class Arch, BlockFormat F, class D>
struct q8_1_gemm_kernel {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<F> w, const q8_1::block* xq, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        q8_1_gemm<Arch, D>(w, xq, n, y, r0, r1);
    }
};

} // namespace qforge::cpu_detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
