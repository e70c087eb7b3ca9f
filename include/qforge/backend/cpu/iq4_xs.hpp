// qforge/backend/cpu/iq4_xs.hpp: iq4_xs weights x q8_k activations: per 32-value group, nibbles through the
// 16-level int8 table (pshufb), signed x signed by the |w| / sign(a, w) pmaddubsw pairing, then the 6-bit
// group scale minus 32 by pmaddwd. 256-bit from AVX2 up, 128-bit at SSE4.2.
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
template <isa_level L>
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

// SSE4.2: the same integer sums on 128-bit registers, 16 values per pmaddubsw with the sign moved onto the
// weights: |a| (<= 128, unsigned, exact for a = -128 too) times sign(a) * w (|w| <= 127) gives int16 pairs of
// at most 2 * 128 * 127 = 32512; two of them could overflow, so each goes through pmaddwd with the group scale
// minus 32 on its own. The 8 scales are unpacked in one register: low nibbles of scales_l and 2-bit fields of
// scales_h moved into place by multiplying by powers of two.
template <>
struct iq4_xs_decoder<isa_level::sse4_2> {
    using block = iq4_xs::block;
    static QFORGE_ALWAYS_INLINE void accumulate128(kquant_acc128& acc, const block& x, const q8_k::block& y) noexcept {
        static_assert(offsetof(block, scales_h) == 2 && offsetof(block, scales_l) == 4);
        const __m128i head = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(&x)); // d, scales_h, scales_l
        constexpr char z = static_cast<char>(0x80);                                 // pshufb: zero
        // int16 lane g: scales_l[g / 2]; times 16 for even g, then >> 4: its low nibble for even g, high for odd.
        const __m128i l = _mm_shuffle_epi8(head, _mm_setr_epi8(4, z, 4, z, 5, z, 5, z, 6, z, 6, z, 7, z, 7, z));
        const __m128i l16 = _mm_mullo_epi16(l, _mm_setr_epi16(16, 1, 16, 1, 16, 1, 16, 1));
        const __m128i lo = _mm_and_si128(_mm_srli_epi16(l16, 4), _mm_set1_epi16(0x0f));
        // int16 lane g: scales_h << (14 - 2g) (mod 2^16) has bits 2g, 2g + 1 on top; >> 14, << 4.
        const __m128i h = _mm_shuffle_epi8(head, _mm_setr_epi8(2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3));
        const __m128i top =
            _mm_mullo_epi16(h, _mm_setr_epi16(1 << 14, 1 << 12, 1 << 10, 1 << 8, 1 << 6, 1 << 4, 1 << 2, 1));
        const __m128i hi = _mm_slli_epi16(_mm_srli_epi16(top, 14), 4);
        const __m128i S = _mm_sub_epi16(_mm_or_si128(lo, hi), _mm_set1_epi16(32)); // 8 scales - 32, int16
        const __m128i table = load128(block_detail::iq4_levels);
        const __m128i m4 = _mm_set1_epi8(0x0f);
        __m128i s0 = _mm_setzero_si128(), s1 = _mm_setzero_si128();
        const auto group = [&]<int g>() {
            const __m128i q = load128(x.qs + 16 * g);
            const __m128i wlo = _mm_shuffle_epi8(table, _mm_and_si128(q, m4));
            const __m128i whi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(q, 4), m4));
            const __m128i alo = load128(y.qs + 32 * g), ahi = load128(y.qs + 32 * g + 16);
            const __m128i sc = bcast16<g>(S);
            s0 = _mm_add_epi32(s0, _mm_madd_epi16(_mm_maddubs_epi16(_mm_abs_epi8(alo), _mm_sign_epi8(wlo, alo)), sc));
            s1 = _mm_add_epi32(s1, _mm_madd_epi16(_mm_maddubs_epi16(_mm_abs_epi8(ahi), _mm_sign_epi8(whi, ahi)), sc));
        };
        group.template operator()<0>();
        group.template operator()<1>();
        group.template operator()<2>();
        group.template operator()<3>();
        group.template operator()<4>();
        group.template operator()<5>();
        group.template operator()<6>();
        group.template operator()<7>();
        add_scaled(acc.v, _mm_add_epi32(s0, s1), f16_to_f32_fast(x.d) * y.d);
    }
};
} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, iq4_xs>
    : cpu_detail::kquant_gemv_kernel<Arch, iq4_xs, cpu_detail::iq4_xs_decoder<isa_traits<Arch>::level>> {};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, iq4_xs>
    : cpu_detail::kquant_gemm_kernel<Arch, iq4_xs, cpu_detail::iq4_xs_decoder<isa_traits<Arch>::level>> {};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
