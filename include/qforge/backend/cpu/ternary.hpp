// qforge/backend/cpu/ternary.hpp: tq1_0 and tq2_0 weights x q8_k activations. Lane sums of (t + 1) * a by
// pmaddubsw/pmaddwd, minus the activation sums (from q8_k's bsums), times d_w * d_a. tq2_0's 2-bit fields are
// unpacked in registers; tq1_0's base-3 digits are unpacked once per weight block (the format's own unpack)
// and reused by every activation row of the tile.
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

// tq1_0: a kernel whose prepared weight is the unpacked block (256 bytes of t + 1 and the scale).
struct tq1_0_kernel : kquant_kernel<tq2_0_decoder> {
    using wblock = tq1_0::block;
    struct wprep {
        __m256i t1[8];
        float d;
    };
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        wprep p;
        alignas(32) std::uint8_t t[256];
        tq1_0::unpack(w[i], t);
        for (int c = 0; c < 8; ++c) p.t1[c] = _mm256_load_si256(reinterpret_cast<const __m256i*>(t + 32 * c));
        p.d = f16_to_f32_fast(w[i].d);
        return p;
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        return prep_w(w, i);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, aprep a) noexcept {
        s.v = _mm256_fmadd_ps(_mm256_set1_ps(a->d * w.d), _mm256_cvtepi32_ps(ternary_lanes(w.t1, *a)), s.v);
    }
};

} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::kquant_avx2_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, tq2_0> : cpu_detail::kquant_gemv_kernel<Arch, tq2_0, cpu_detail::tq2_0_decoder> {};
template <class Arch>
    requires(cpu_detail::kquant_avx2_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, tq2_0> : cpu_detail::kquant_gemm_kernel<Arch, tq2_0, cpu_detail::tq2_0_decoder> {};

template <class Arch>
    requires(cpu_detail::kquant_avx2_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, tq1_0> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<tq1_0> w, const q8_k::block* xq, float* y, std::size_t r0,
                    std::size_t r1) {
        const std::size_t nb = w.blocks_per_row();
        cpu_detail::gemm_rows<cpu_detail::tq1_0_kernel, 4, 2>(w, [xq, nb](std::size_t j) { return xq + j * nb; }, 1,
                                                              y, r0, r1, 32);
    }
};
template <class Arch>
    requires(cpu_detail::kquant_avx2_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, tq1_0> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<tq1_0> w, const q8_k::block* xq, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        const std::size_t nb = w.blocks_per_row();
        cpu_detail::gemm_rows<cpu_detail::tq1_0_kernel, 4, 2>(w, [xq, nb](std::size_t j) { return xq + j * nb; }, n,
                                                              y, r0, r1, 32);
    }
};

} // namespace qforge
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
