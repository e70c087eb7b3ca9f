// qforge/backend/cpu/q5_k.hpp: q5_k weights x q8_k activations: q4_k's scheme with a fifth bit per value
// (qh bit g of byte b is value b of group g); the mins term accumulates in one lane, like ggml's scalar summs.
#pragma once

#include "qforge/backend/cpu/kquant_blocks.hpp"
#include "qforge/block/q5_k.hpp"

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
// Bit `from` of every byte moved to bit 4 (value 16), the rest cleared (16-bit shifts of at most 4 bring
// nothing from the neighbouring byte into bit 4).
template <int from>
QFORGE_ALWAYS_INLINE __m256i q5_k_high(__m256i qh) noexcept {
    const __m256i m = _mm256_set1_epi8(0x10);
    if constexpr (from < 4)
        return _mm256_and_si256(_mm256_slli_epi16(qh, 4 - from), m);
    else if constexpr (from == 4)
        return _mm256_and_si256(qh, m);
    else
        return _mm256_and_si256(_mm256_srli_epi16(qh, from - 4), m);
}

template <isa_level L>
struct q5_k_decoder {
    using block = q5_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate(kquant_acc& acc, const block& x, const q8_k::block& y) noexcept {
        __m128i scb, mnb;
        unpack_scales_mins_k4_reg(x.scales, scb, mnb);
        const __m256i S = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(scb)); // 8 int16 scales, both lanes
        const __m256i m4 = _mm256_set1_epi8(0x0f);
        const __m256i qh = load256(x.qh);
        // Four independent int32 sums, added at the end.
        __m256i s[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
        const auto quarter = [&]<int k>() {
            const __m256i q = load256(x.qs + 32 * k);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, m4), q5_k_high<2 * k>(qh));
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), q5_k_high<2 * k + 1>(qh));
            const __m256i plo = _mm256_maddubs_epi16(lo, load256(y.qs + 64 * k));
            const __m256i phi = _mm256_maddubs_epi16(hi, load256(y.qs + 64 * k + 32));
            s[2 * (k & 1)] = madd_acc<L>(s[2 * (k & 1)], plo, word_scales<2 * k>(S));
            s[2 * (k & 1) + 1] = madd_acc<L>(s[2 * (k & 1) + 1], phi, word_scales<2 * k + 1>(S));
        };
        quarter.template operator()<0>();
        quarter.template operator()<1>();
        quarter.template operator()<2>();
        quarter.template operator()<3>();
        const __m256i isum = _mm256_add_epi32(_mm256_add_epi32(s[0], s[1]), _mm256_add_epi32(s[2], s[3]));
        const __m128i mins = _mm_cvtepu8_epi16(mnb);
        __m128i m = _mm_madd_epi16(mins, group32_sums(y));
        m = _mm_add_epi32(m, _mm_shuffle_epi32(m, 0x4e));
        m = _mm_add_epi32(m, _mm_shuffle_epi32(m, 0xb1)); // exact int32 sum in every lane
        const float d = y.d * f16_to_f32_fast(x.d);
        const float dmin = -y.d * f16_to_f32_fast(x.dmin);
        acc.v = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc.v);
        acc.m = _mm_fmadd_ss(_mm_set_ss(dmin), _mm_cvtepi32_ps(m), acc.m); // lane 0 only
    }
};

// SSE4.2: the q4_k SSE4.2 decoder with the fifth bit (q5_k_high on 16 bytes). Per 32-value group, two pmaddubsw
// of 5-bit quants (<= 31) by activations (|a| <= 128): int16 pair sums of at most 2 * 31 * 128, two added stay
// below 2^14.
template <int from>
QFORGE_ALWAYS_INLINE __m128i q5_k_high128(__m128i qh) noexcept {
    const __m128i m = _mm_set1_epi8(0x10);
    if constexpr (from < 4)
        return _mm_and_si128(_mm_slli_epi16(qh, 4 - from), m);
    else if constexpr (from == 4)
        return _mm_and_si128(qh, m);
    else
        return _mm_and_si128(_mm_srli_epi16(qh, from - 4), m);
}

template <>
struct q5_k_decoder<isa_level::sse4_2> {
    using block = q5_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate128(kquant_acc128& acc, const block& x, const q8_k::block& y) noexcept {
        static_assert(offsetof(block, scales) == 4);
        const __m128i scmn = unpack_k4_head(load128(&x)); // bytes: 8 scales | 8 mins
        const __m128i S = _mm_cvtepu8_epi16(scmn);
        const __m128i m4 = _mm_set1_epi8(0x0f);
        const __m128i qh0 = load128(x.qh), qh1 = load128(x.qh + 16);
        __m128i s0 = _mm_setzero_si128(), s1 = _mm_setzero_si128();
        const auto quarter = [&]<int k>() {
            const __m128i q0 = load128(x.qs + 32 * k), q1 = load128(x.qs + 32 * k + 16);
            const std::int8_t* a = y.qs + 64 * k;
            const __m128i lo0 = _mm_or_si128(_mm_and_si128(q0, m4), q5_k_high128<2 * k>(qh0));
            const __m128i lo1 = _mm_or_si128(_mm_and_si128(q1, m4), q5_k_high128<2 * k>(qh1));
            const __m128i hi0 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(q0, 4), m4), q5_k_high128<2 * k + 1>(qh0));
            const __m128i hi1 = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(q1, 4), m4), q5_k_high128<2 * k + 1>(qh1));
            const __m128i plo = _mm_add_epi16(_mm_maddubs_epi16(lo0, load128(a)), _mm_maddubs_epi16(lo1, load128(a + 16)));
            const __m128i phi = _mm_add_epi16(_mm_maddubs_epi16(hi0, load128(a + 32)), _mm_maddubs_epi16(hi1, load128(a + 48)));
            s0 = _mm_add_epi32(s0, _mm_madd_epi16(plo, bcast16<2 * k>(S)));
            s1 = _mm_add_epi32(s1, _mm_madd_epi16(phi, bcast16<2 * k + 1>(S)));
        };
        quarter.template operator()<0>();
        quarter.template operator()<1>();
        quarter.template operator()<2>();
        quarter.template operator()<3>();
        const __m128i msum = _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_srli_si128(scmn, 8)), group32_sums(y));
        add_scaled(acc.v, _mm_add_epi32(s0, s1), y.d * f16_to_f32_fast(x.d));
        add_scaled(acc.m, msum, -y.d * f16_to_f32_fast(x.dmin));
    }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, q5_k> : cpu_detail::kquant_gemv_kernel<Arch, q5_k, cpu_detail::q5_k_decoder<isa_traits<Arch>::level>> {};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, q5_k> : cpu_detail::kquant_gemm_kernel<Arch, q5_k, cpu_detail::q5_k_decoder<isa_traits<Arch>::level>> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
