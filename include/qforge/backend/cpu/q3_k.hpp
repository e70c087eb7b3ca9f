// qforge/backend/cpu/q3_k.hpp: q3_k weights x q8_k activations. Quants are taken unsigned, 2 low bits + 4 *
// hmask bit (0..7, the value plus 4); the -4 offset is 4 * sum(scale * bsum) over the 16 groups. Scales are
// 6-bit minus 32 (signed 16-bit multipliers in pmaddwd). 256-bit from AVX2 up, 128-bit at SSE4.2.
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
// The 16 six-bit scales of a q3_k block (as q3_k::unpack_scales gives them) minus 32, as 16 int16, unpacked
// four at a time with 32-bit masks: scales 0..3 / 4..7 are the low nibbles of bytes 0..3 / 4..7, scales
// 8..11 / 12..15 their high nibbles; the top 2 bits of scale j are bits 2 (j / 4) .. 2 (j / 4) + 1 of byte 8 + j % 4.
QFORGE_ALWAYS_INLINE __m128i q3_k_scale_bytes(const std::uint8_t* packed) noexcept {
    std::uint32_t u[3];
    std::memcpy(u, packed, 12);
    constexpr std::uint32_t low4 = 0x0f0f0f0fu, low2 = 0x03030303u;
    const std::uint32_t w0 = (u[0] & low4) | ((u[2] & low2) << 4);
    const std::uint32_t w1 = (u[1] & low4) | (((u[2] >> 2) & low2) << 4);
    const std::uint32_t w2 = ((u[0] >> 4) & low4) | (((u[2] >> 4) & low2) << 4);
    const std::uint32_t w3 = ((u[1] >> 4) & low4) | (((u[2] >> 6) & low2) << 4);
    return _mm_set_epi64x(static_cast<long long>(w2 | (std::uint64_t{w3} << 32)),
                          static_cast<long long>(w0 | (std::uint64_t{w1} << 32)));
}
QFORGE_ALWAYS_INLINE __m256i q3_k_scales16(const std::uint8_t* packed) noexcept {
    return _mm256_sub_epi16(_mm256_cvtepu8_epi16(q3_k_scale_bytes(packed)), _mm256_set1_epi16(32));
}

// Bit c of every hmask byte moved to bit 2 (value 4); the mask drops what 16-bit shifts bring in.
template <int c>
QFORGE_ALWAYS_INLINE __m256i q3_k_high(__m256i hm) noexcept {
    const __m256i m = _mm256_set1_epi8(4);
    if constexpr (c < 2)
        return _mm256_and_si256(_mm256_slli_epi16(hm, 2 - c), m);
    else if constexpr (c == 2)
        return _mm256_and_si256(hm, m);
    else
        return _mm256_and_si256(_mm256_srli_epi16(hm, c - 2), m);
}

template <isa_level L>
struct q3_k_decoder {
    using block = q3_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate(kquant_acc& acc, const block& x, const q8_k::block& y) noexcept {
        const __m256i sc16 = q3_k_scales16(x.scales);
        const __m256i m2 = _mm256_set1_epi8(3);
        const __m256i hm = load256(x.hmask);
        // Four independent int32 sums (one per 2-bit plane), added at the end.
        __m256i s[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
        const auto half = [&]<int h>(__m256i S) {
            const __m256i q = load256(x.qs + 32 * h);
            const auto plane = [&]<int p>() {
                constexpr int c = 4 * h + p; // hmask bit, 32-value stretch
                const __m256i low = _mm256_and_si256(p == 0 ? q : _mm256_srli_epi16(q, 2 * p), m2);
                const __m256i prod = _mm256_maddubs_epi16(_mm256_or_si256(low, q3_k_high<c>(hm)), load256(y.qs + 32 * c));
                s[p] = madd_acc<L>(s[p], prod, pair_scales<p>(S));
            };
            plane.template operator()<0>();
            plane.template operator()<1>();
            plane.template operator()<2>();
            plane.template operator()<3>();
        };
        half.template operator()<0>(low_lanes(sc16));
        half.template operator()<1>(high_lanes(sc16));
        __m256i isum = _mm256_add_epi32(_mm256_add_epi32(s[0], s[1]), _mm256_add_epi32(s[2], s[3]));
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(sc16, load256(y.bsums)), 2);
        isum = _mm256_sub_epi32(isum, offset);
        acc.v = _mm256_fmadd_ps(_mm256_set1_ps(y.d * f16_to_f32_fast(x.d)), _mm256_cvtepi32_ps(isum), acc.v);
    }
};

// SSE4.2: the same integer sums on 128-bit registers, 16 values per step: 3-bit quants (<= 7) by activations
// (|a| <= 128) in pmaddubsw give int16 pair sums of at most 2 * 7 * 128.
template <int c>
QFORGE_ALWAYS_INLINE __m128i q3_k_high128(__m128i hm) noexcept {
    const __m128i m = _mm_set1_epi8(4);
    if constexpr (c < 2)
        return _mm_and_si128(_mm_slli_epi16(hm, 2 - c), m);
    else if constexpr (c == 2)
        return _mm_and_si128(hm, m);
    else
        return _mm_and_si128(_mm_srli_epi16(hm, c - 2), m);
}

template <>
struct q3_k_decoder<isa_level::sse4_2> {
    using block = q3_k::block;
    static QFORGE_ALWAYS_INLINE void accumulate128(kquant_acc128& acc, const block& x, const q8_k::block& y) noexcept {
        const __m128i b = q3_k_scale_bytes(x.scales), k32 = _mm_set1_epi16(32);
        const __m128i sc_lo = _mm_sub_epi16(_mm_cvtepu8_epi16(b), k32);                    // scales 0..7
        const __m128i sc_hi = _mm_sub_epi16(_mm_cvtepu8_epi16(_mm_srli_si128(b, 8)), k32); // scales 8..15
        const __m128i m2 = _mm_set1_epi8(3);
        const __m128i hm[2] = {load128(x.hmask), load128(x.hmask + 16)};
        __m128i s0 = _mm_setzero_si128(), s1 = _mm_setzero_si128();
        // Half h (128 values) holds 2-bit planes p = 0..3 of 32 values each (hmask bit 4h + p), each plane two
        // 16-value groups (columns k) with scales 8h + 2p + k.
        const auto half = [&]<int h>(__m128i S) {
            const auto plane = [&]<int p>() {
                constexpr int c = 4 * h + p;
                const auto column = [&]<int k>(__m128i& s) {
                    const __m128i q = load128(x.qs + 32 * h + 16 * k);
                    const __m128i low = _mm_and_si128(p == 0 ? q : _mm_srli_epi16(q, 2 * p), m2);
                    const __m128i u = _mm_or_si128(low, q3_k_high128<c>(hm[k]));
                    s = _mm_add_epi32(s, _mm_madd_epi16(_mm_maddubs_epi16(u, load128(y.qs + 32 * c + 16 * k)),
                                                        bcast16<2 * p + k>(S)));
                };
                column.template operator()<0>(s0);
                column.template operator()<1>(s1);
            };
            plane.template operator()<0>();
            plane.template operator()<1>();
            plane.template operator()<2>();
            plane.template operator()<3>();
        };
        half.template operator()<0>(sc_lo);
        half.template operator()<1>(sc_hi);
        const __m128i offset = _mm_add_epi32(_mm_madd_epi16(sc_lo, load128(y.bsums)),
                                             _mm_madd_epi16(sc_hi, load128(y.bsums + 8)));
        add_scaled(acc.v, _mm_sub_epi32(_mm_add_epi32(s0, s1), _mm_slli_epi32(offset, 2)), y.d * f16_to_f32_fast(x.d));
    }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, q3_k> : cpu_detail::kquant_gemv_kernel<Arch, q3_k, cpu_detail::q3_k_decoder<isa_traits<Arch>::level>> {};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, q3_k> : cpu_detail::kquant_gemm_kernel<Arch, q3_k, cpu_detail::q3_k_decoder<isa_traits<Arch>::level>> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
