// qforge/backend/cpu/q4_0.hpp: q4_0 weights (nibble - 8) x q8_0 activations through the int8 block kernels.
#pragma once

#include "qforge/backend/cpu/int8_blocks.hpp"
#include "qforge/block/q4_0.hpp"

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
struct q4_0_decoder {
    using block = q4_0::block;
    static QFORGE_ALWAYS_INLINE __m256i qs256(const block& b) noexcept {
        return _mm256_sub_epi8(nibbles256(b.qs), _mm256_set1_epi8(8));
    }
    static QFORGE_ALWAYS_INLINE void qs128(const block& b, __m128i& lo, __m128i& hi) noexcept {
        nibbles128(b.qs, lo, hi);
        lo = _mm_sub_epi8(lo, _mm_set1_epi8(8));
        hi = _mm_sub_epi8(hi, _mm_set1_epi8(8));
    }
    static QFORGE_ALWAYS_INLINE float scale(const block& b) noexcept { return f16_to_f32_fast(b.d); }
    // The unsigned decoding of the VNNI panel kernels (panel16.hpp): u = nibble = value + 8.
    static constexpr int bias = 8;
    static constexpr int u8_scalar(const block& b, std::size_t k) noexcept {
        return k < 16 ? b.qs[k] & 0x0f : b.qs[k - 16] >> 4;
    }
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
    static QFORGE_ALWAYS_INLINE __m512i u8(__m512i nibbles) noexcept { return nibbles; }
    static QFORGE_ALWAYS_INLINE void rows4(const std::uint8_t* qs, std::size_t row_bytes, std::size_t g, __m512i& lo,
                                           __m512i& hi) noexcept {
        nibble_rows<q4_0_decoder>::rows4(qs, row_bytes, g, lo, hi);
    }
#endif
};
} // namespace cpu_detail

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemv, cpu<Arch>, q4_0> : cpu_detail::int8_gemv_kernel<Arch, q4_0, cpu_detail::q4_0_decoder> {};
template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemm, cpu<Arch>, q4_0> : cpu_detail::int8_gemm_kernel<Arch, q4_0, cpu_detail::q4_0_decoder> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
