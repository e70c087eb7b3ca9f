// qforge/backend/cpu/q2_k.hpp: q2_k weights x q8_k activations: 2-bit quants times 4-bit group scales; the
// mins (high nibbles) times the 16-value bsums enter the same lanes first, as in ggml's AVX2 kernel.
// 256-bit from AVX2 up, 128-bit at SSE4.2 (there the mins terms go to their own 4 lanes, as q4_k's do).
#pragma once

#include "qforge/backend/cpu/kquant_blocks.hpp"
#include "qforge/block/q2_k.hpp"

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
struct q2_k_decoder {
    using block = q2_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate(kquant_acc& acc, const block& x, const q8_k::block& y) noexcept {
        const __m128i sb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales));
        const __m128i m4 = _mm_set1_epi8(0x0f);
        const __m256i sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(sb, m4));
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sb, 4), m4));
        const __m256i prod = _mm256_madd_epi16(mins, load256(y.bsums));
        const __m256i m2 = _mm256_set1_epi8(3);
        // Four independent int32 sums (one per 2-bit plane), added at the end.
        __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
        const auto half = [&](int h, __m256i S) {
            __m256i q = load256(x.qs + 32 * h);
            keep_in_register(q);
            const std::int8_t* a = y.qs + 128 * h;
            s0 = madd_acc<L>(s0, _mm256_maddubs_epi16(_mm256_and_si256(q, m2), load256(a)), pair_scales<0>(S));
            s1 = madd_acc<L>(s1, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 2), m2), load256(a + 32)),
                             pair_scales<1>(S));
            s2 = madd_acc<L>(s2, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), m2), load256(a + 64)),
                             pair_scales<2>(S));
            s3 = madd_acc<L>(s3, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 6), m2), load256(a + 96)),
                             pair_scales<3>(S));
        };
        half(0, low_lanes(sc16));
        half(1, high_lanes(sc16));
        const __m256i isum = _mm256_add_epi32(_mm256_add_epi32(s0, s1), _mm256_add_epi32(s2, s3));
        // f16 d and dmin (adjacent) -> [d, dmin] x 4 -> times d_a; the mins enter by -(d_a dmin_w) * prod + acc,
        // the same rounding as fma(-d_a dmin_w, prod, acc).
        static_assert(offsetof(block, dmin) == offsetof(block, d) + 2);
        std::int32_t dpair;
        std::memcpy(&dpair, &x.d, 4);
        const __m256 dd = _mm256_mul_ps(_mm256_cvtph_ps(_mm_set1_epi32(dpair)), _mm256_set1_ps(y.d));
        acc.v = _mm256_fnmadd_ps(_mm256_permute_ps(dd, 0x55), _mm256_cvtepi32_ps(prod), acc.v);
        acc.v = _mm256_fmadd_ps(_mm256_permute_ps(dd, 0x00), _mm256_cvtepi32_ps(isum), acc.v);
    }
};

// SSE4.2: the same integer sums on 128-bit registers. Each 16-byte stretch of one 2-bit plane is one 16-value
// group: pmaddubsw of quants (<= 3) by activations (|a| <= 128) gives int16 pairs of at most 2 * 3 * 128,
// then pmaddwd with the group's 4-bit scale. The mins: pmaddwd of the 16 mins (<= 15) by the 16 bsums.
template <>
struct q2_k_decoder<isa_level::sse4_2> {
    using block = q2_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate128(kquant_acc128& acc, const block& x, const q8_k::block& y) noexcept {
        const __m128i sb = load128(x.scales);
        const __m128i m4 = _mm_set1_epi8(0x0f);
        const __m128i sc = _mm_and_si128(sb, m4);
        const __m128i mn = _mm_and_si128(_mm_srli_epi16(sb, 4), m4);
        const __m128i zero = _mm_setzero_si128();
        const __m128i msum = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(mn, zero), load128(y.bsums)),
                                           _mm_madd_epi16(_mm_unpackhi_epi8(mn, zero), load128(y.bsums + 8)));
        const __m128i m2 = _mm_set1_epi8(3);
        // Four independent int32 sums (one per 2-bit plane), added at the end.
        __m128i s[4] = {zero, zero, zero, zero};
        const auto half = [&]<int h>() {
            const __m128i S = h == 0 ? _mm_unpacklo_epi8(sc, zero) : _mm_unpackhi_epi8(sc, zero); // scales 8h..8h+7
            const __m128i q0 = load128(x.qs + 32 * h), q1 = load128(x.qs + 32 * h + 16);
            const std::int8_t* a = y.qs + 128 * h;
            const auto plane = [&]<int p>() {
                const __m128i w0 = _mm_and_si128(_mm_srli_epi16(q0, 2 * p), m2);
                const __m128i w1 = _mm_and_si128(_mm_srli_epi16(q1, 2 * p), m2);
                const __m128i p0 = _mm_maddubs_epi16(w0, load128(a + 32 * p));      // group 8h + 2p
                const __m128i p1 = _mm_maddubs_epi16(w1, load128(a + 32 * p + 16)); // group 8h + 2p + 1
                s[p] = _mm_add_epi32(s[p], _mm_add_epi32(_mm_madd_epi16(p0, bcast16<2 * p>(S)),
                                                         _mm_madd_epi16(p1, bcast16<2 * p + 1>(S))));
            };
            plane.template operator()<0>();
            plane.template operator()<1>();
            plane.template operator()<2>();
            plane.template operator()<3>();
        };
        half.template operator()<0>();
        half.template operator()<1>();
        const __m128i isum = _mm_add_epi32(_mm_add_epi32(s[0], s[1]), _mm_add_epi32(s[2], s[3]));
        add_scaled(acc.v, isum, y.d * f16_to_f32_fast(x.d));
        add_scaled(acc.m, msum, -(y.d * f16_to_f32_fast(x.dmin)));
    }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, q2_k> : cpu_detail::kquant_gemv_kernel<Arch, q2_k, cpu_detail::q2_k_decoder<isa_traits<Arch>::level>> {};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, q2_k> : cpu_detail::kquant_gemm_kernel<Arch, q2_k, cpu_detail::q2_k_decoder<isa_traits<Arch>::level>> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
