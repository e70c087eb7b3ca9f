// qforge/backend/cpu/iq4_xs.hpp: iq4_xs weights x q8_k activations: per 32-value group, nibbles through the
// 16-level int8 table (pshufb), signed x signed by the |w| / sign(a, w) pmaddubsw pairing, then the 6-bit
// group scale minus 32 by pmaddwd.
#pragma once

#include "qforge/backend/cpu/kquant_blocks.hpp"
#include "qforge/block/iq4_xs.hpp"

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
struct iq4_xs_decoder {
    using block = iq4_xs::block;
    static QFORGE_ALWAYS_INLINE void accumulate(kquant_acc& acc, const block& x, const q8_k::block& y) noexcept {
        const __m256i table = _mm256_broadcastsi128_si256(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(block_detail::iq4_levels)));
        __m256i isum = _mm256_setzero_si256();
        for (int g = 0; g < 8; ++g) {
            const __m256i w = _mm256_shuffle_epi8(table, nibbles256(x.qs + 16 * g));
            const __m256i a = load256(y.qs + 32 * g);
            const __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(a, w));
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, _mm256_set1_epi16(static_cast<short>(iq4_xs::scale(x, g) - 32))));
        }
        acc.v = _mm256_fmadd_ps(_mm256_set1_ps(f16_to_f32_fast(x.d) * y.d), _mm256_cvtepi32_ps(isum), acc.v);
    }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_avx2_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, iq4_xs> : cpu_detail::kquant_gemv_kernel<Arch, iq4_xs, cpu_detail::iq4_xs_decoder> {};
template <class Arch>
    requires(cpu_detail::kquant_avx2_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, iq4_xs> : cpu_detail::kquant_gemm_kernel<Arch, iq4_xs, cpu_detail::iq4_xs_decoder> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
