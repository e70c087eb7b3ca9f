// qforge/backend/cpu/q8_0.hpp: q8_0 weights x q8_0 activations through the int8 block kernels.
#pragma once

#include "qforge/backend/cpu/int8_blocks.hpp"
#include "qforge/block/q8_0.hpp"

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
struct q8_0_decoder {
    using block = q8_0::block;
    static QFORGE_ALWAYS_INLINE __m256i qs256(const block& b) noexcept {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
    }
    static QFORGE_ALWAYS_INLINE void qs128(const block& b, __m128i& lo, __m128i& hi) noexcept {
        lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 16));
    }
    static QFORGE_ALWAYS_INLINE float scale(const block& b) noexcept { return f16_to_f32_fast(b.d); }
    // The unsigned decoding of the VNNI panel kernels (panel16.hpp): u = value + 128.
    static constexpr int bias = 128;
    static constexpr int u8_scalar(const block& b, std::size_t k) noexcept { return b.qs[k] + 128; }
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
    static QFORGE_ALWAYS_INLINE void rows4(const std::uint8_t* qs, std::size_t row_bytes, std::size_t g, __m512i& lo,
                                           __m512i& hi) noexcept {
        const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
        lo = _mm512_xor_si512(load4(qs, row_bytes, g), flip);
        hi = _mm512_xor_si512(load4(qs + 16, row_bytes, g), flip);
    }
#endif
};
} // namespace cpu_detail

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemv, cpu<Arch>, q8_0> : cpu_detail::int8_gemv_kernel<Arch, q8_0, cpu_detail::q8_0_decoder> {};
template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemm, cpu<Arch>, q8_0> : cpu_detail::int8_gemm_kernel<Arch, q8_0, cpu_detail::q8_0_decoder> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
