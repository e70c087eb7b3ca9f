// qforge/backend/cpu/q4_k.hpp: q4_k weights x q8_k activations. Per 32-value group: nibbles (unsigned) times
// activations by pmaddubsw, times the 6-bit group scale by pmaddwd; the mins term is the group mins times the
// activation group sums (from q8_k's bsums), scaled by -dmin. 256-bit from AVX2 up, 128-bit at SSE4.2.
#pragma once

#include "qforge/backend/cpu/kquant_blocks.hpp"
#include "qforge/block/q4_k.hpp"

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
template <isa_level L>
struct q4_k_decoder {
    using block = q4_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate(kquant_acc& acc, const block& x, const q8_k::block& y) noexcept {
        __m128i head, msum;
        __m256i isum;
        ints(x, y, head, isum, msum);
        // [d_a d_w, d_a dmin_w] (f16 d and dmin are the first 4 bytes of the head); the mins enter by
        // -(d_a dmin_w) * msum + acc, the same rounding as fma(-d_a dmin_w, msum, acc).
        const __m128 dd = _mm_mul_ps(_mm_cvtph_ps(head), _mm_set1_ps(y.d));
        acc.v = _mm256_fmadd_ps(_mm256_broadcastss_ps(dd), _mm256_cvtepi32_ps(isum), acc.v);
        acc.m = _mm_fnmadd_ps(_mm_permute_ps(dd, 0x55), _mm_cvtepi32_ps(msum), acc.m);
    }

    // The integer part of a block (exact): isum = sum_g sc_g * (nibbles . a) in 8 int32 lanes, msum =
    // sum_g m_g * bsum32_g in 4 int32 lanes; head = the block's first 16 bytes (d, dmin, scales).
    static QFORGE_ALWAYS_INLINE void ints(const block& x, const q8_k::block& y, __m128i& head, __m256i& isum,
                                          __m128i& msum) noexcept {
        static_assert(offsetof(block, scales) == 4);
        head = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&x));
        const __m256i scmn = _mm256_cvtepu8_epi16(unpack_k4_head(head)); // int16: 8 scales | 8 mins
        const __m256i S = low_lanes(scmn);                                  // 8 int16 scales, both lanes
        const __m256i m4 = _mm256_set1_epi8(0x0f);
        // Four independent int32 sums, added at the end.
        __m256i s[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
        const auto quarter = [&]<int k>() {
            const __m256i q = load256(x.qs + 32 * k);
            const __m256i plo = _mm256_maddubs_epi16(_mm256_and_si256(q, m4), load256(y.qs + 64 * k));
            const __m256i phi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), load256(y.qs + 64 * k + 32));
            s[2 * (k & 1)] = madd_acc<L>(s[2 * (k & 1)], plo, word_scales<2 * k>(S));
            s[2 * (k & 1) + 1] = madd_acc<L>(s[2 * (k & 1) + 1], phi, word_scales<2 * k + 1>(S));
        };
        quarter.template operator()<0>();
        quarter.template operator()<1>();
        quarter.template operator()<2>();
        quarter.template operator()<3>();
        isum = _mm256_add_epi32(_mm256_add_epi32(s[0], s[1]), _mm256_add_epi32(s[2], s[3]));
        msum = _mm_madd_epi16(_mm256_extracti128_si256(scmn, 1), group32_sums(y));
    }
};

// SSE4.2: the same integer sums on 128-bit registers. Per 32-value group, two pmaddubsw of nibbles (<= 15)
// by activations (|a| <= 128) give int16 pair sums of at most 2 * 15 * 128; two added stay below 2^13.
template <>
struct q4_k_decoder<isa_level::sse4_2> {
    using block = q4_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate128(kquant_acc128& acc, const block& x, const q8_k::block& y) noexcept {
        static_assert(offsetof(block, scales) == 4);
        const __m128i scmn = unpack_k4_head(load128(&x)); // bytes: 8 scales | 8 mins
        const __m128i S = _mm_cvtepu8_epi16(scmn);
        const __m128i m4 = _mm_set1_epi8(0x0f);
        __m128i s0 = _mm_setzero_si128(), s1 = _mm_setzero_si128();
        const auto quarter = [&]<int k>() {
            const __m128i q0 = load128(x.qs + 32 * k), q1 = load128(x.qs + 32 * k + 16);
            const std::int8_t* a = y.qs + 64 * k;
            const __m128i plo = _mm_add_epi16(_mm_maddubs_epi16(_mm_and_si128(q0, m4), load128(a)),
                                              _mm_maddubs_epi16(_mm_and_si128(q1, m4), load128(a + 16)));
            const __m128i phi =
                _mm_add_epi16(_mm_maddubs_epi16(_mm_and_si128(_mm_srli_epi16(q0, 4), m4), load128(a + 32)),
                              _mm_maddubs_epi16(_mm_and_si128(_mm_srli_epi16(q1, 4), m4), load128(a + 48)));
            s0 = _mm_add_epi32(s0, _mm_madd_epi16(plo, bcast16<2 * k>(S)));
            s1 = _mm_add_epi32(s1, _mm_madd_epi16(phi, bcast16<2 * k + 1>(S)));
        };
        quarter.template operator()<0>();
        quarter.template operator()<1>();
        quarter.template operator()<2>();
        quarter.template operator()<3>();
        const __m128i msum = _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_srli_si128(scmn, 8)), group32_sums(y));
        add_scaled(acc.v, _mm_add_epi32(s0, s1), y.d * f16_to_f32_fast(x.d));
        add_scaled(acc.m, msum, -(y.d * f16_to_f32_fast(x.dmin)));
    }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, q4_k> : cpu_detail::kquant_gemv_kernel<Arch, q4_k, cpu_detail::q4_k_decoder<isa_traits<Arch>::level>> {};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, q4_k> : cpu_detail::kquant_gemm_kernel<Arch, q4_k, cpu_detail::q4_k_decoder<isa_traits<Arch>::level>> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
