// qforge/backend/cpu/mxfp4.hpp: mxfp4 weights (E2M1 codes through a 16-entry int8 table of doubled values,
// scale 2^(e-128)) x q8_0 activations through the int8 block kernels.
#pragma once

#include "qforge/backend/cpu/int8_blocks.hpp"
#include "qforge/block/mxfp4.hpp"

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
struct mxfp4_decoder {
    using block = mxfp4::block;
    static QFORGE_ALWAYS_INLINE __m128i table() noexcept {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(mxfp4::values));
    }
    static QFORGE_ALWAYS_INLINE __m256i qs256(const block& b) noexcept {
        return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(table()), nibbles256(b.qs));
    }
    static QFORGE_ALWAYS_INLINE void qs128(const block& b, __m128i& lo, __m128i& hi) noexcept {
        nibbles128(b.qs, lo, hi);
        lo = _mm_shuffle_epi8(table(), lo);
        hi = _mm_shuffle_epi8(table(), hi);
    }
    static QFORGE_ALWAYS_INLINE float scale(const block& b) noexcept { return block_detail::e8m0_to_f32_half(b.e); }
};
} // namespace cpu_detail

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemv, cpu<Arch>, mxfp4> : cpu_detail::int8_gemv_kernel<Arch, mxfp4, cpu_detail::mxfp4_decoder> {};
template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemm, cpu<Arch>, mxfp4> : cpu_detail::int8_gemm_kernel<Arch, mxfp4, cpu_detail::mxfp4_decoder> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
