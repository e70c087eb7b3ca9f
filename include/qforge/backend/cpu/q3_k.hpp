// qforge/backend/cpu/q3_k.hpp: q3_k weights x q8_k activations. Quants are taken unsigned, 2 low bits + 4 *
// hmask bit (0..7, the value plus 4); the -4 offset is 4 * sum(scale * bsum) over the 16 groups. Scales are
// 6-bit minus 32 (signed 16-bit multipliers in pmaddwd).
#pragma once

#include "qforge/backend/cpu/kquant_blocks.hpp"
#include "qforge/block/q3_k.hpp"

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
struct q3_k_decoder {
    using block = q3_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate(kquant_acc& acc, const block& x, const q8_k::block& y) noexcept {
        int sc[16];
        q3_k::unpack_scales(x.scales, sc);
        alignas(32) std::int16_t sc16[16];
        for (int j = 0; j < 16; ++j) sc16[j] = static_cast<std::int16_t>(sc[j] - 32);
        const __m256i m2 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
        const __m256i hm = load256(x.hmask);
        __m256i isum = _mm256_setzero_si256();
        for (int h = 0; h < 2; ++h) {
            const __m256i q = load256(x.qs + 32 * h);
            for (int s = 0; s < 4; ++s) {
                const int c = 4 * h + s; // hmask bit, 32-value stretch
                const __m256i low = _mm256_and_si256(_mm256_srli_epi16(q, 2 * s), m2);
                const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, c), one), 2);
                const __m256i p = _mm256_maddubs_epi16(_mm256_or_si256(low, high), load256(y.qs + 32 * c));
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, two_scales(sc16[2 * c], sc16[2 * c + 1])));
            }
        }
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(load256(sc16), load256(y.bsums)), 2);
        isum = _mm256_sub_epi32(isum, offset);
        acc.v = _mm256_fmadd_ps(_mm256_set1_ps(y.d * f16_to_f32_fast(x.d)), _mm256_cvtepi32_ps(isum), acc.v);
    }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, q3_k> : cpu_detail::kquant_gemv_kernel<Arch, q3_k, cpu_detail::q3_k_decoder> {};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, q3_k> : cpu_detail::kquant_gemm_kernel<Arch, q3_k, cpu_detail::q3_k_decoder> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
