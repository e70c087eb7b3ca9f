// qforge/backend/cpu/q6_k.hpp: q6_k weights x q8_k activations. The 6-bit quants are rebuilt unsigned (0..63)
// from ql nibbles and qh bit pairs, multiplied by pmaddubsw, scaled per 16-value group by pmaddwd; the -32
// offset is 32 * sum(scale * bsum) over the 16 groups, subtracted in int32.
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
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales)));
        // Four independent int32 sums (one per 32-value register position), added at the end.
        __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
        const auto half = [&](int c, __m256i S) {
            const __m256i ql0 = load256(x.ql + 64 * c), ql1 = load256(x.ql + 64 * c + 32);
            const __m256i qh = load256(x.qh + 32 * c);
            const __m256i q0 = q6_join(ql0, _mm256_slli_epi16(qh, 4));
            const __m256i q1 = q6_join(ql1, _mm256_slli_epi16(qh, 2));
            const __m256i q2 = q6_join(_mm256_srli_epi16(ql0, 4), qh);
            const __m256i q3 = q6_join(_mm256_srli_epi16(ql1, 4), _mm256_srli_epi16(qh, 2));
            const std::int8_t* a = y.qs + 128 * c;
            s0 = madd_acc<L>(s0, _mm256_maddubs_epi16(q0, load256(a)), pair_scales<0>(S));
            s1 = madd_acc<L>(s1, _mm256_maddubs_epi16(q1, load256(a + 32)), pair_scales<1>(S));
            s2 = madd_acc<L>(s2, _mm256_maddubs_epi16(q2, load256(a + 64)), pair_scales<2>(S));
            s3 = madd_acc<L>(s3, _mm256_maddubs_epi16(q3, load256(a + 96)), pair_scales<3>(S));
        };
        half(0, low_lanes(sc16));
        half(1, high_lanes(sc16));
        __m256i isum = _mm256_add_epi32(_mm256_add_epi32(s0, s1), _mm256_add_epi32(s2, s3));
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(sc16, load256(y.bsums)), 5);
        isum = _mm256_sub_epi32(isum, offset);
        acc.v = _mm256_fmadd_ps(_mm256_set1_ps(y.d * f16_to_f32_fast(x.d)), _mm256_cvtepi32_ps(isum), acc.v);
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
