// qforge/backend/cpu/q5_0.hpp: q5_0 weights ((nibble | fifth bit << 4) - 16) x q8_0 activations through the
// int8 block kernels. The 32 fifth bits expand to bytes with one shuffle, an and and a compare.
#pragma once

#include <cstring>

#include "qforge/backend/cpu/int8_blocks.hpp"
#include "qforge/block/q5_0.hpp"

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

// Byte j = 0xFF where bit j of the 32-bit little-endian mask is set, else 0.
QFORGE_ALWAYS_INLINE __m256i bits_to_bytes256(const std::uint8_t* qh) noexcept {
    std::uint32_t bits;
    std::memcpy(&bits, qh, 4);
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                                               _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                                                 0x0101010101010101, 0x0000000000000000));
    const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}
QFORGE_ALWAYS_INLINE void bits_to_bytes128(const std::uint8_t* qh, __m128i& lo, __m128i& hi) noexcept {
    std::uint32_t bits;
    std::memcpy(&bits, qh, 4);
    const __m128i v = _mm_set1_epi32(static_cast<int>(bits));
    const __m128i bit = _mm_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
    const __m128i s_lo = _mm_shuffle_epi8(v, _mm_set_epi64x(0x0101010101010101, 0x0000000000000000));
    const __m128i s_hi = _mm_shuffle_epi8(v, _mm_set_epi64x(0x0303030303030303, 0x0202020202020202));
    lo = _mm_cmpeq_epi8(_mm_and_si128(s_lo, bit), bit);
    hi = _mm_cmpeq_epi8(_mm_and_si128(s_hi, bit), bit);
}

struct q5_0_decoder {
    using block = q5_0::block;
    static QFORGE_ALWAYS_INLINE __m256i qs256(const block& b) noexcept {
        const __m256i high = _mm256_and_si256(bits_to_bytes256(b.qh), _mm256_set1_epi8(0x10));
        return _mm256_sub_epi8(_mm256_or_si256(nibbles256(b.qs), high), _mm256_set1_epi8(16));
    }
    static QFORGE_ALWAYS_INLINE void qs128(const block& b, __m128i& lo, __m128i& hi) noexcept {
        __m128i hlo, hhi;
        nibbles128(b.qs, lo, hi);
        bits_to_bytes128(b.qh, hlo, hhi);
        const __m128i m = _mm_set1_epi8(0x10), o = _mm_set1_epi8(16);
        lo = _mm_sub_epi8(_mm_or_si128(lo, _mm_and_si128(hlo, m)), o);
        hi = _mm_sub_epi8(_mm_or_si128(hi, _mm_and_si128(hhi, m)), o);
    }
    static QFORGE_ALWAYS_INLINE float scale(const block& b) noexcept { return f16_to_f32_fast(b.d); }
};

} // namespace cpu_detail

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemv, cpu<Arch>, q5_0> : cpu_detail::int8_gemv_kernel<Arch, q5_0, cpu_detail::q5_0_decoder> {};
template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemm, cpu<Arch>, q5_0> : cpu_detail::int8_gemm_kernel<Arch, q5_0, cpu_detail::q5_0_decoder> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
