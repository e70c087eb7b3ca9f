// qforge/backend/cpu/q6_k.hpp: q6_k weights x q8_k activations. The 6-bit quants are rebuilt unsigned (0..63)
// from ql nibbles and qh bit pairs, multiplied by pmaddubsw, scaled per 16-value group by pmaddwd; the -32
// offset is 32 * sum(scale * bsum) over the 16 groups, subtracted in int32. 256-bit from AVX2 up, 128-bit at
// SSE4.2.
#pragma once

#include "qforge/backend/cpu/kquant_blocks.hpp"
#include "qforge/block/q6_k.hpp"

#if QFORGE_ARCH_X86_64
// Inline helpers return 256-bit vectors; GCC warns about their ABI (-Wpsabi) in translation units compiled
// without AVX, where they are never emitted (no kernel of that level is specialized). GCC 12 also reports its
// own _mm512_undefined_* helpers as "maybe uninitialized" (PR 105593). Both are silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace qforge {

namespace cpu_detail {
// The 6-bit quants of 32 values: a low nibble (ql, already shifted down) and two high bits (qh, shifted so that
// they sit at bits 4..5; the mask drops what 16-bit shifts bring in from the neighbouring byte).
QFORGE_ALWAYS_INLINE __m256i q6_join(__m256i lo, __m256i hi) noexcept {
    return _mm256_or_si256(_mm256_and_si256(lo, _mm256_set1_epi8(0x0f)), _mm256_and_si256(hi, _mm256_set1_epi8(0x30)));
}

template <isa_level L>
struct q6_k_decoder {
    using block = q6_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate(kquant_acc& acc, const block& x, const q8_k::block& y) noexcept {
        acc.v = _mm256_fmadd_ps(_mm256_set1_ps(y.d * f16_to_f32_fast(x.d)), _mm256_cvtepi32_ps(ints(x, y)), acc.v);
    }

    // The integer part of a block (exact), in 8 int32 lanes: sum_g sc_g * (u . a) - 32 * sum_g sc_g * bsum16_g,
    // u = the unsigned 6-bit quants.
    static QFORGE_ALWAYS_INLINE __m256i ints(const block& x, const q8_k::block& y) noexcept {
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales)));
        // Four independent int32 sums (one per 32-value register position), added at the end.
        __m256i s[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
        half(x.ql, x.qh, y.qs, low_lanes(sc16), s);
        half(x.ql + 64, x.qh + 32, y.qs + 128, high_lanes(sc16), s);
        __m256i isum = _mm256_add_epi32(_mm256_add_epi32(s[0], s[1]), _mm256_add_epi32(s[2], s[3]));
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(sc16, load256(y.bsums)), 5);
        return _mm256_sub_epi32(isum, offset);
    }

    // 128 values: 64 ql bytes, 32 qh bytes, 128 activations, the 8 group scales in S (both lanes).
    static QFORGE_ALWAYS_INLINE void half(const std::uint8_t* ql, const std::uint8_t* qh, const std::int8_t* a, __m256i S,
                                          __m256i (&s)[4]) noexcept {
        __m256i l0 = load256(ql), l1 = load256(ql + 32), h = load256(qh);
        keep_in_register(l0, l1, h);
        const __m256i q0 = q6_join(l0, _mm256_slli_epi16(h, 4));
        const __m256i q1 = q6_join(l1, _mm256_slli_epi16(h, 2));
        const __m256i q2 = q6_join(_mm256_srli_epi16(l0, 4), h);
        const __m256i q3 = q6_join(_mm256_srli_epi16(l1, 4), _mm256_srli_epi16(h, 2));
        s[0] = madd_acc<L>(s[0], _mm256_maddubs_epi16(q0, load256(a)), pair_scales<0>(S));
        s[1] = madd_acc<L>(s[1], _mm256_maddubs_epi16(q1, load256(a + 32)), pair_scales<1>(S));
        s[2] = madd_acc<L>(s[2], _mm256_maddubs_epi16(q2, load256(a + 64)), pair_scales<2>(S));
        s[3] = madd_acc<L>(s[3], _mm256_maddubs_epi16(q3, load256(a + 96)), pair_scales<3>(S));
    }
};

// SSE4.2: the same integer sums on 128-bit registers, 16 values per step. pmaddubsw of 6-bit quants (<= 63) by
// activations (|a| <= 128) gives int16 pair sums of at most 2 * 63 * 128 = 16128: exact.
template <>
struct q6_k_decoder<isa_level::sse4_2> {
    using block = q6_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate128(kquant_acc128& acc, const block& x, const q8_k::block& y) noexcept {
        const __m128i sc8 = load128(x.scales);
        const __m128i sc_lo = _mm_cvtepi8_epi16(sc8), sc_hi = _mm_cvtepi8_epi16(_mm_srli_si128(sc8, 8));
        __m128i s0 = _mm_setzero_si128(), s1 = _mm_setzero_si128();
        half(x.ql, x.qh, y.qs, sc_lo, s0, s1);
        half(x.ql + 64, x.qh + 32, y.qs + 128, sc_hi, s0, s1);
        const __m128i offset = _mm_add_epi32(_mm_madd_epi16(sc_lo, load128(y.bsums)),
                                             _mm_madd_epi16(sc_hi, load128(y.bsums + 8)));
        add_scaled(acc.v, _mm_sub_epi32(_mm_add_epi32(s0, s1), _mm_slli_epi32(offset, 5)), y.d * f16_to_f32_fast(x.d));
    }

    // 128 values (64 ql bytes, 32 qh bytes) in two 16-byte columns c: the four 32-value rows p of the AVX2
    // decoder (q0..q3) split into their 16-value groups 2p + c, scaled by S[2p + c].
    static QFORGE_ALWAYS_INLINE void half(const std::uint8_t* ql, const std::uint8_t* qh, const std::int8_t* a,
                                          __m128i S, __m128i& s0, __m128i& s1) noexcept {
        const __m128i m4 = _mm_set1_epi8(0x0f), m30 = _mm_set1_epi8(0x30);
        const auto join = [&](__m128i lo, __m128i hi) { return _mm_or_si128(_mm_and_si128(lo, m4), _mm_and_si128(hi, m30)); };
        const auto column = [&]<int c>() {
            const __m128i l0 = load128(ql + 16 * c), l1 = load128(ql + 32 + 16 * c), h = load128(qh + 16 * c);
            const __m128i q0 = join(l0, _mm_slli_epi16(h, 4)), q1 = join(l1, _mm_slli_epi16(h, 2));
            const __m128i q2 = join(_mm_srli_epi16(l0, 4), h), q3 = join(_mm_srli_epi16(l1, 4), _mm_srli_epi16(h, 2));
            s0 = _mm_add_epi32(s0, _mm_madd_epi16(_mm_maddubs_epi16(q0, load128(a + 16 * c)), bcast16<c>(S)));
            s1 = _mm_add_epi32(s1, _mm_madd_epi16(_mm_maddubs_epi16(q1, load128(a + 32 + 16 * c)), bcast16<2 + c>(S)));
            s0 = _mm_add_epi32(s0, _mm_madd_epi16(_mm_maddubs_epi16(q2, load128(a + 64 + 16 * c)), bcast16<4 + c>(S)));
            s1 = _mm_add_epi32(s1, _mm_madd_epi16(_mm_maddubs_epi16(q3, load128(a + 96 + 16 * c)), bcast16<6 + c>(S)));
        };
        column.template operator()<0>();
        column.template operator()<1>();
    }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, q6_k> : cpu_detail::kquant_gemv_kernel<Arch, q6_k, cpu_detail::q6_k_decoder<isa_traits<Arch>::level>> {};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, q6_k> : cpu_detail::kquant_gemm_kernel<Arch, q6_k, cpu_detail::q6_k_decoder<isa_traits<Arch>::level>> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
