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
struct q6_k_decoder {
    using block = q6_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate(kquant_acc& acc, const block& x, const q8_k::block& y) noexcept {
        const __m256i m4 = _mm256_set1_epi8(0x0f), m2 = _mm256_set1_epi8(3);
        __m256i isum = _mm256_setzero_si256();
        for (int c = 0; c < 2; ++c) {
            const __m256i ql0 = load256(x.ql + 64 * c), ql1 = load256(x.ql + 64 * c + 32);
            const __m256i qh = load256(x.qh + 32 * c);
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m2), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4));
            for (int s = 0; s < 4; ++s) {
                const int g = 8 * c + 2 * s;
                const __m256i p = _mm256_maddubs_epi16(q[s], load256(y.qs + 128 * c + 32 * s));
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, two_scales(x.scales[g], x.scales[g + 1])));
            }
        }
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales)));
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(sc16, load256(y.bsums)), 5);
        isum = _mm256_sub_epi32(isum, offset);
        acc.v = _mm256_fmadd_ps(_mm256_set1_ps(y.d * f16_to_f32_fast(x.d)), _mm256_cvtepi32_ps(isum), acc.v);
    }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, q6_k> : cpu_detail::kquant_gemv_kernel<Arch, q6_k, cpu_detail::q6_k_decoder> {};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, q6_k> : cpu_detail::kquant_gemm_kernel<Arch, q6_k, cpu_detail::q6_k_decoder> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
