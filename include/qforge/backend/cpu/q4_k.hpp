// qforge/backend/cpu/q4_k.hpp: q4_k weights x q8_k activations. Per 32-value group: nibbles (unsigned) times
// activations by pmaddubsw, times the 6-bit group scale by pmaddwd; the mins term is the group mins times the
// activation group sums (from q8_k's bsums), scaled by -dmin.
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
struct q4_k_decoder {
    using block = q4_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate(kquant_acc& acc, const block& x, const q8_k::block& y) noexcept {
        alignas(16) std::uint8_t sc[8], mn[8];
        unpack_scales_mins_k4(x.scales, sc, mn);
        const __m256i m4 = _mm256_set1_epi8(0x0f);
        __m256i isum = _mm256_setzero_si256();
        for (int k = 0; k < 4; ++k) {
            const __m256i q = load256(x.qs + 32 * k);
            const __m256i plo = _mm256_maddubs_epi16(_mm256_and_si256(q, m4), load256(y.qs + 64 * k));
            const __m256i phi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), load256(y.qs + 64 * k + 32));
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(plo, _mm256_set1_epi16(sc[2 * k])));
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(phi, _mm256_set1_epi16(sc[2 * k + 1])));
        }
        const __m128i mins = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mn)));
        const __m128i msum = _mm_madd_epi16(mins, group32_sums(y));
        const float d = y.d * f16_to_f32_fast(x.d);
        const float dmin = -y.d * f16_to_f32_fast(x.dmin);
        acc.v = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc.v);
        acc.m = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(msum), acc.m);
    }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, q4_k> : cpu_detail::kquant_gemv_kernel<Arch, q4_k, cpu_detail::q4_k_decoder> {};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, q4_k> : cpu_detail::kquant_gemm_kernel<Arch, q4_k, cpu_detail::q4_k_decoder> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
