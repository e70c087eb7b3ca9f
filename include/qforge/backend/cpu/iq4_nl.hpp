// qforge/backend/cpu/iq4_nl.hpp: iq4_nl weights (a 16-entry int8 table indexed by nibbles, one pshufb) x q8_0
// activations through the int8 block kernels.
#pragma once

#include "qforge/backend/cpu/int8_blocks.hpp"
#include "qforge/block/iq4_nl.hpp"

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
struct iq4_nl_decoder {
    using block = iq4_nl::block;
    static QFORGE_ALWAYS_INLINE __m128i table() noexcept {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(iq4_nl::values));
    }
    static QFORGE_ALWAYS_INLINE __m256i qs256(const block& b) noexcept {
        return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(table()), nibbles256(b.qs));
    }
    static QFORGE_ALWAYS_INLINE void qs128(const block& b, __m128i& lo, __m128i& hi) noexcept {
        nibbles128(b.qs, lo, hi);
        lo = _mm_shuffle_epi8(table(), lo);
        hi = _mm_shuffle_epi8(table(), hi);
    }
    static QFORGE_ALWAYS_INLINE float scale(const block& b) noexcept { return f16_to_f32_fast(b.d); }
    // The unsigned decoding of the VNNI panel kernels (panel16.hpp): u = table value + 128.
    static constexpr int bias = 128;
    static constexpr int u8_scalar(const block& b, std::size_t k) noexcept {
        return iq4_nl::values[k < 16 ? b.qs[k] & 0x0f : b.qs[k - 16] >> 4] + 128;
    }
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
    static QFORGE_ALWAYS_INLINE void rows4(const std::uint8_t* qs, std::size_t row_bytes, std::size_t g, __m512i& lo,
                                           __m512i& hi) noexcept {
        nibble_rows<iq4_nl_decoder>::rows4(qs, row_bytes, g, lo, hi);
    }
    static QFORGE_ALWAYS_INLINE __m512i u8(__m512i nibbles) noexcept {
        const __m512i t = _mm512_xor_si512(_mm512_broadcast_i32x4(table()), _mm512_set1_epi8(static_cast<char>(0x80)));
        return _mm512_shuffle_epi8(t, nibbles);
    }
#endif
};
} // namespace cpu_detail

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemv, cpu<Arch>, iq4_nl> : cpu_detail::int8_gemv_kernel<Arch, iq4_nl, cpu_detail::iq4_nl_decoder> {};
template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemm, cpu<Arch>, iq4_nl> : cpu_detail::int8_gemm_kernel<Arch, iq4_nl, cpu_detail::iq4_nl_decoder> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
