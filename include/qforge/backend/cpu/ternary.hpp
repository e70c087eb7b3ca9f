// qforge/backend/cpu/ternary.hpp: tq1_0 and tq2_0 weights x q8_k activations. Lane sums of (t + 1) * a by
// pmaddubsw/pmaddwd, minus the activation sums (from q8_k's bsums), times d_w * d_a. tq2_0's 2-bit fields are
// unpacked in registers; tq1_0's base-3 digits are unpacked in registers too (pmullw/pmulhuw, in
// tq1_0::unpack's order), once per weight block, and reused by every activation row of the tile. 256-bit from
// AVX2 up, 128-bit at SSE4.2.
#pragma once

#include "qforge/backend/cpu/kquant_blocks.hpp"
#include "qforge/block/tq1_0.hpp"
#include "qforge/block/tq2_0.hpp"

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

// sum over 256 of t1 * a (t1 in 0..2) minus sum(a), into 8 exact int32 lanes.
QFORGE_ALWAYS_INLINE __m256i ternary_lanes(const __m256i* t1, const q8_k::block& y) noexcept {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i p16 = _mm256_setzero_si256();
    for (int c = 0; c < 8; ++c) p16 = _mm256_add_epi16(p16, _mm256_maddubs_epi16(t1[c], load256(y.qs + 32 * c)));
    // |p16| <= 8 * 2 * 2 * 127 = 4064: int16 is exact
    return _mm256_sub_epi32(_mm256_madd_epi16(p16, ones), _mm256_madd_epi16(load256(y.bsums), ones));
}

template <isa_level L>
struct tq2_0_decoder {
    using block = tq2_0::block;
    static QFORGE_ALWAYS_INLINE void accumulate(kquant_acc& acc, const block& x, const q8_k::block& y) noexcept {
        const __m256i m2 = _mm256_set1_epi8(3);
        __m256i t1[8];
        for (int h = 0; h < 2; ++h) {
            const __m256i q = load256(x.qs + 32 * h);
            for (int s = 0; s < 4; ++s) t1[4 * h + s] = _mm256_and_si256(_mm256_srli_epi16(q, 2 * s), m2);
        }
        acc.v = _mm256_fmadd_ps(_mm256_set1_ps(y.d * f16_to_f32_fast(x.d)), _mm256_cvtepi32_ps(ternary_lanes(t1, y)),
                                acc.v);
    }
};

// tq1_0::unpack's digit((b * p) mod 256 * 3) >> 8 of 16 bytes b at once, p = the int16 lanes of P (the
// multiplier of bytes 2k and 2k + 1). Even bytes: the low byte of b * p, times 3 * 256, high half; odd bytes:
// (b * 256) * p mod 2^16 = ((b * p) mod 256) * 256, times 3, high half, back into the high byte.
QFORGE_ALWAYS_INLINE __m128i tq1_0_digits(__m128i b, __m128i P) noexcept {
    const __m128i low = _mm_set1_epi16(0x00ff);
    const __m128i qe = _mm_and_si128(_mm_mullo_epi16(b, P), low);
    const __m128i qo = _mm_mullo_epi16(_mm_andnot_si128(low, b), P);
    return _mm_or_si128(_mm_mulhi_epu16(qe, _mm_set1_epi16(3 * 256)),
                        _mm_slli_epi16(_mm_mulhi_epu16(qo, _mm_set1_epi16(3)), 8));
}

// The same on 32 bytes (AVX2 and up).
QFORGE_ALWAYS_INLINE __m256i tq1_0_digits256(__m256i b, __m256i P) noexcept {
    const __m256i low = _mm256_set1_epi16(0x00ff);
    const __m256i qe = _mm256_and_si256(_mm256_mullo_epi16(b, P), low);
    const __m256i qo = _mm256_mullo_epi16(_mm256_andnot_si256(low, b), P);
    return _mm256_or_si256(_mm256_mulhi_epu16(qe, _mm256_set1_epi16(3 * 256)),
                           _mm256_slli_epi16(_mm256_mulhi_epu16(qo, _mm256_set1_epi16(3)), 8));
}

// tq1_0: a kernel whose prepared weight is the unpacked block (t + 1 of its 256 values, and the scale),
// unpacked in registers in tq1_0::unpack's order (t1[c] = values 32c .. 32c + 31).
template <isa_level L>
struct tq1_0_kernel : kquant_kernel<tq2_0_decoder<L>> {
    using base = kquant_kernel<tq2_0_decoder<L>>;
    using typename base::acc;
    using typename base::aprep;
    using wblock = tq1_0::block;
    struct wprep {
        __m256i t1[8];
        float d;
    };
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        wprep p;
        const wblock& b = w[i];
        const __m256i q01 = load256(b.qs);
        constexpr short pow3[5] = {1, 3, 9, 27, 81};
        for (int n = 0; n < 5; ++n) p.t1[n] = tq1_0_digits256(q01, _mm256_set1_epi16(pow3[n])); // trit n of qs[m]
        // values 160 + 16n + m: trit n of qs[32 + m]; values 240 + 4n + j: trit n of qh[j]
        const __m128i q2 = load128(b.qs + 32);
        std::int32_t qh;
        std::memcpy(&qh, b.qh, 4);
        const __m128i h = _mm_shuffle_epi32(_mm_cvtsi32_si128(qh), 0);
        const __m256i q22 = _mm256_broadcastsi128_si256(q2);
        p.t1[5] = tq1_0_digits256(q22, _mm256_setr_epi16(1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3));
        p.t1[6] = tq1_0_digits256(q22, _mm256_setr_epi16(9, 9, 9, 9, 9, 9, 9, 9, 27, 27, 27, 27, 27, 27, 27, 27));
        p.t1[7] = _mm256_set_m128i(tq1_0_digits(h, _mm_setr_epi16(1, 1, 3, 3, 9, 9, 27, 27)),
                                   tq1_0_digits(q2, _mm_set1_epi16(81)));
        p.d = f16_to_f32_fast(b.d);
        return p;
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        return prep_w(w, i);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, aprep a) noexcept {
        s.v = _mm256_fmadd_ps(_mm256_set1_ps(a->d * w.d), _mm256_cvtepi32_ps(ternary_lanes(w.t1, *a)), s.v);
    }
};

// SSE4.2: sum over 256 of t1 * a minus sum(a), into 4 exact int32 lanes. 16 pmaddubsw of t1 (<= 3: tq2_0's
// never-written field value) by activations (|a| <= 128) add up in int16 to at most 16 * 2 * 3 * 128 = 12288;
// the 16 bsums (each at most 16 * 128) are first added in pairs of registers (<= 4096), so the difference
// (<= 16384) is still exact in int16 before one pmaddwd by ones.
QFORGE_ALWAYS_INLINE __m128i ternary_lanes128(const __m128i* t1, const q8_k::block& y) noexcept {
    __m128i p0 = _mm_setzero_si128(), p1 = _mm_setzero_si128(); // two independent sums, added at the end
    for (int c = 0; c < 16; c += 2) {
        p0 = _mm_add_epi16(p0, _mm_maddubs_epi16(t1[c], load128(y.qs + 16 * c)));
        p1 = _mm_add_epi16(p1, _mm_maddubs_epi16(t1[c + 1], load128(y.qs + 16 * c + 16)));
    }
    const __m128i bs = _mm_add_epi16(load128(y.bsums), load128(y.bsums + 8));
    return _mm_madd_epi16(_mm_sub_epi16(_mm_add_epi16(p0, p1), bs), _mm_set1_epi16(1));
}

template <>
struct tq2_0_decoder<isa_level::sse4_2> {
    using block = tq2_0::block;
    static QFORGE_ALWAYS_INLINE void accumulate128(kquant_acc128& acc, const block& x, const q8_k::block& y) noexcept {
        const __m128i m2 = _mm_set1_epi8(3);
        // t1[c]: values 16c..16c+15 = bits 2s of bytes 32h + 16k.. (c = 8h + 2s + k).
        __m128i t1[16];
        for (int h = 0; h < 2; ++h) {
            const __m128i q0 = load128(x.qs + 32 * h), q1 = load128(x.qs + 32 * h + 16);
            for (int s = 0; s < 4; ++s) {
                t1[8 * h + 2 * s] = _mm_and_si128(_mm_srli_epi16(q0, 2 * s), m2);
                t1[8 * h + 2 * s + 1] = _mm_and_si128(_mm_srli_epi16(q1, 2 * s), m2);
            }
        }
        add_scaled(acc.v, ternary_lanes128(t1, y), y.d * f16_to_f32_fast(x.d));
    }
};

// tq1_0 at SSE4.2: the block unpacked in registers (t1[c] = values 16c..16c + 15), in tq1_0::unpack's order.
template <>
struct tq1_0_kernel<isa_level::sse4_2> : kquant_kernel128<tq2_0_decoder<isa_level::sse4_2>> {
    using wblock = tq1_0::block;
    struct wprep {
        __m128i t1[16];
        float d;
    };
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        wprep p;
        const wblock& b = w[i];
        const __m128i q0 = load128(b.qs), q1 = load128(b.qs + 16), q2 = load128(b.qs + 32);
        constexpr short pow3[5] = {1, 3, 9, 27, 81};
        for (int n = 0; n < 5; ++n) {
            const __m128i P = _mm_set1_epi16(pow3[n]);
            p.t1[2 * n] = tq1_0_digits(q0, P);     // values 32n + m, m < 16: trit n of qs[m]
            p.t1[2 * n + 1] = tq1_0_digits(q1, P); // values 32n + m, m >= 16
            p.t1[10 + n] = tq1_0_digits(q2, P);    // values 160 + 16n + m: trit n of qs[32 + m]
        }
        // values 240 + 4n + j: trit n of qh[j]
        std::int32_t qh;
        std::memcpy(&qh, b.qh, 4);
        const __m128i h = _mm_shuffle_epi32(_mm_cvtsi32_si128(qh), 0);
        p.t1[15] = tq1_0_digits(h, _mm_setr_epi16(1, 1, 3, 3, 9, 9, 27, 27));
        p.d = f16_to_f32_fast(b.d);
        return p;
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        return prep_w(w, i);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, aprep a) noexcept {
        add_scaled(s.v, ternary_lanes128(w.t1, *a), a->d * w.d);
    }
};

} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, tq2_0>
    : cpu_detail::kquant_gemv_kernel<Arch, tq2_0, cpu_detail::tq2_0_decoder<isa_traits<Arch>::level>> {};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, tq2_0>
    : cpu_detail::kquant_gemm_kernel<Arch, tq2_0, cpu_detail::tq2_0_decoder<isa_traits<Arch>::level>> {};

template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, tq1_0> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<tq1_0> w, const q8_k::block* xq, float* y, std::size_t r0,
                    std::size_t r1) {
        const std::size_t nb = w.blocks_per_row();
        using K = cpu_detail::tq1_0_kernel<isa_traits<Arch>::level>;
        cpu_detail::gemm_rows<K, 4, 2>(w, [xq, nb](std::size_t j) { return xq + j * nb; }, 1, y, r0, r1, 32);
    }
};
template <class Arch>
    requires(cpu_detail::kquant_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, tq1_0> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<tq1_0> w, const q8_k::block* xq, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        const std::size_t nb = w.blocks_per_row();
        using K = cpu_detail::tq1_0_kernel<isa_traits<Arch>::level>;
        cpu_detail::gemm_rows<K, 4, 2>(w, [xq, nb](std::size_t j) { return xq + j * nb; }, n, y, r0, r1, 32);
    }
};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
