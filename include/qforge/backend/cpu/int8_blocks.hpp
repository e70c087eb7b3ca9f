// qforge/backend/cpu/int8_blocks.hpp: the format kernels (see cpu/tile.hpp) for weight formats whose block
// holds 32 values that decode to signed int8 with one scale, dotted with q8_0 activations (q8_0, q4_0, q5_0,
// iq4_nl, ...). A decoder D per format supplies the bytes:
//   D::block                        the weight block type
//   D::qs256(const block&) -> __m256i         32 signed int8 values (AVX2 and up)
//   D::qs128(const block&, __m128i& lo, __m128i& hi)   the same, two halves (SSE4.2)
//   D::scale(const block&) -> float           the block's scale (exact conversion)
// The integer part of each block's dot is exact; only the float accumulation order differs from the scalar
// reference (per lane, then a fixed-order horizontal sum).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/block/q8_0.hpp"

#if QFORGE_ARCH_X86_64
#include <immintrin.h>

namespace qforge::cpu_detail {

// Exact f16 -> f32 with F16C where the level has it (the portable conversion is the definition; they agree).
QFORGE_ALWAYS_INLINE float f16_to_f32_fast(f16 h) noexcept {
#if defined(__F16C__)
    return _cvtsh_ss(h.bits);
#else
    return h.to_float();
#endif

// GCC 12 reports its own _mm512_undefined_* helpers (used inside AVX-512 intrinsics such as
// _mm512_inserti64x4 and _mm512_cvtepi32_ps) as "maybe uninitialized" once they are inlined here: a false
// positive (GCC PR 105593). It is silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
}

template <isa_level L, class D>
struct int8_block_kernel;

// AVX-512 VNNI: two blocks per 512-bit step. vpdpbusd multiplies unsigned by signed bytes, so the weights
// are biased by +128 (w ^ 0x80) and 128 * sum(a) is subtracted (precomputed once per activation step).
template <class D>
struct int8_block_kernel<isa_level::avx512_vnni, D> {
    using wblock = typename D::block;
    using ablock = q8_0::block;
    using acc = __m512;
    static constexpr std::size_t step = 2;
    struct wprep {
        __m512i u;
        __m512 d;
    };
    struct aprep {
        __m512i q;
        __m512i corr;
        __m512 d;
    };
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return _mm512_setzero_ps(); }
    static QFORGE_ALWAYS_INLINE __m512 scales(float d0, float d1) noexcept {
        return _mm512_insertf32x8(_mm512_set1_ps(d0), _mm256_set1_ps(d1), 1);
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(D::qs256(w[i])), D::qs256(w[i + 1]), 1);
        return {_mm512_xor_si512(q, _mm512_set1_epi8(static_cast<char>(0x80))),
                scales(D::scale(w[i]), D::scale(w[i + 1]))};
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        const __m512i q = _mm512_castsi256_si512(D::qs256(w[i]));
        const __m512i lo = _mm512_inserti64x4(q, _mm256_setzero_si256(), 1);
        return {_mm512_xor_si512(lo, _mm512_set1_epi8(static_cast<char>(0x80))), scales(D::scale(w[i]), 0.0f)};
    }
    static QFORGE_ALWAYS_INLINE aprep make_a(__m512i q, float d0, float d1) noexcept {
        const __m512i corr = _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                                 _mm512_set1_epi8(static_cast<char>(0x80)), q);
        return {q, corr, scales(d0, d1)};
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a(const ablock* a, std::size_t i) noexcept {
        const __m512i q = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs))),
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i + 1].qs)), 1);
        return make_a(q, f16_to_f32_fast(a[i].d), f16_to_f32_fast(a[i + 1].d));
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(const ablock* a, std::size_t i, std::size_t) noexcept {
        const __m512i q = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs))),
            _mm256_setzero_si256(), 1);
        return make_a(q, f16_to_f32_fast(a[i].d), 0.0f);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, const aprep& a) noexcept {
        const __m512i p = _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), w.u, a.q), a.corr);
        s = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(w.d, a.d), s);
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return _mm512_reduce_add_ps(s); }
};

// AVX-512BW without VNNI: |w| (unsigned) times a with w's sign, pairs summed in int16 (exact: at most
// 2 * 128 * 127), then in int32.
template <class D>
struct int8_block_kernel<isa_level::avx512, D> {
    using wblock = typename D::block;
    using ablock = q8_0::block;
    using acc = __m512;
    static constexpr std::size_t step = 2;
    using vnni = int8_block_kernel<isa_level::avx512_vnni, D>;
    struct wprep {
        __m512i absw;
        __mmask64 neg;
        __m512 d;
    };
    struct aprep {
        __m512i q;
        __m512 d;
    };
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return _mm512_setzero_ps(); }
    static QFORGE_ALWAYS_INLINE wprep make_w(__m512i q, __m512 d) noexcept {
        return {_mm512_abs_epi8(q), _mm512_movepi8_mask(q), d};
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(D::qs256(w[i])), D::qs256(w[i + 1]), 1);
        return make_w(q, vnni::scales(D::scale(w[i]), D::scale(w[i + 1])));
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(D::qs256(w[i])), _mm256_setzero_si256(), 1);
        return make_w(q, vnni::scales(D::scale(w[i]), 0.0f));
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a(const ablock* a, std::size_t i) noexcept {
        const auto p = vnni::prep_a(a, i);
        return {p.q, p.d};
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(const ablock* a, std::size_t i, std::size_t n) noexcept {
        const auto p = vnni::prep_a_tail(a, i, n);
        return {p.q, p.d};
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, const aprep& a) noexcept {
        const __m512i sa = _mm512_mask_sub_epi8(a.q, w.neg, _mm512_setzero_si512(), a.q);
        const __m512i p16 = _mm512_maddubs_epi16(w.absw, sa);
        const __m512i p32 = _mm512_madd_epi16(p16, _mm512_set1_epi16(1));
        s = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p32), _mm512_mul_ps(w.d, a.d), s);
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return _mm512_reduce_add_ps(s); }
};

// A fixed-order horizontal sum of 8 floats: (lo4 + hi4), then pairs, then the last two.
QFORGE_ALWAYS_INLINE float hsum256(__m256 v) noexcept {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// AVX2: one block per 256-bit step.
template <class D>
struct int8_block_kernel<isa_level::avx2, D> {
    using wblock = typename D::block;
    using ablock = q8_0::block;
    using acc = __m256;
    static constexpr std::size_t step = 1;
    struct wprep {
        __m256i q;
        __m256i absw;
        __m256 d;
    };
    struct aprep {
        __m256i q;
        __m256 d;
    };
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return _mm256_setzero_ps(); }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        const __m256i q = D::qs256(w[i]);
        return {q, _mm256_abs_epi8(q), _mm256_set1_ps(D::scale(w[i]))};
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        return prep_w(w, i);
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a(const ablock* a, std::size_t i) noexcept {
        return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs)),
                _mm256_set1_ps(f16_to_f32_fast(a[i].d))};
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(const ablock* a, std::size_t i, std::size_t) noexcept {
        return prep_a(a, i);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, const aprep& a) noexcept {
        const __m256i p16 = _mm256_maddubs_epi16(w.absw, _mm256_sign_epi8(a.q, w.q));
        const __m256i p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), _mm256_mul_ps(w.d, a.d), s);
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return hsum256(s); }
};

QFORGE_ALWAYS_INLINE float hsum128(__m128 s) noexcept {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// SSE4.2 (SSSE3's pmaddubsw/psignb): one block per step as two 128-bit halves; no FMA.
template <class D>
struct int8_block_kernel<isa_level::sse4_2, D> {
    using wblock = typename D::block;
    using ablock = q8_0::block;
    using acc = __m128;
    static constexpr std::size_t step = 1;
    struct wprep {
        __m128i lo, hi, abslo, abshi;
        __m128 d;
    };
    struct aprep {
        __m128i lo, hi;
        __m128 d;
    };
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return _mm_setzero_ps(); }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        wprep p;
        D::qs128(w[i], p.lo, p.hi);
        p.abslo = _mm_abs_epi8(p.lo);
        p.abshi = _mm_abs_epi8(p.hi);
        p.d = _mm_set1_ps(D::scale(w[i]));
        return p;
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        return prep_w(w, i);
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a(const ablock* a, std::size_t i) noexcept {
        return {_mm_loadu_si128(reinterpret_cast<const __m128i*>(a[i].qs)),
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(a[i].qs + 16)), _mm_set1_ps(a[i].d.to_float())};
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(const ablock* a, std::size_t i, std::size_t) noexcept {
        return prep_a(a, i);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, const aprep& a) noexcept {
        const __m128i one = _mm_set1_epi16(1);
        const __m128i plo = _mm_madd_epi16(_mm_maddubs_epi16(w.abslo, _mm_sign_epi8(a.lo, w.lo)), one);
        const __m128i phi = _mm_madd_epi16(_mm_maddubs_epi16(w.abshi, _mm_sign_epi8(a.hi, w.hi)), one);
        s = _mm_add_ps(s, _mm_mul_ps(_mm_cvtepi32_ps(_mm_add_epi32(plo, phi)), _mm_mul_ps(w.d, a.d)));
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return hsum128(s); }
};

// Register-tile shapes per level (R weight rows x C activation rows): what fits the register file.
template <isa_level L>
struct int8_tile_shape {
    static constexpr std::size_t rows = 2, cols = 2;
};
template <>
struct int8_tile_shape<isa_level::avx2> {
    static constexpr std::size_t rows = 2, cols = 3;
};
template <>
struct int8_tile_shape<isa_level::avx512> {
    static constexpr std::size_t rows = 4, cols = 3;
};
template <>
struct int8_tile_shape<isa_level::avx512_vnni> {
    static constexpr std::size_t rows = 4, cols = 3;
};

} // namespace qforge::cpu_detail

#endif // QFORGE_ARCH_X86_64

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
