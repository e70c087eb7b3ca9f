// qforge/backend/cpu/q4_1.hpp: q4_1 weights (d * nibble + m) x q8_1 activations through the q8_1 kernels.
#pragma once

#include "qforge/backend/cpu/q8_1_blocks.hpp"
#include "qforge/block/q4_1.hpp"

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
struct q4_1_decoder {
    using block = q4_1::block;
    static QFORGE_ALWAYS_INLINE __m256i qs256(const block& b) noexcept { return nibbles256(b.qs); }
    static QFORGE_ALWAYS_INLINE void qs128(const block& b, __m128i& lo, __m128i& hi) noexcept {
        nibbles128(b.qs, lo, hi);
    }
    static QFORGE_ALWAYS_INLINE float d(const block& b) noexcept { return f16_to_f32_fast(b.d); }
    static QFORGE_ALWAYS_INLINE float m(const block& b) noexcept { return f16_to_f32_fast(b.m); }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::q8_1_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, q4_1> : cpu_detail::q8_1_gemv_kernel<Arch, q4_1, cpu_detail::q4_1_decoder> {};
template <class Arch>
    requires(cpu_detail::q8_1_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, q4_1> : cpu_detail::q8_1_gemm_kernel<Arch, q4_1, cpu_detail::q4_1_decoder> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
