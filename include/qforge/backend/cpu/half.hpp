// qforge/backend/cpu/half.hpp: f16 and bf16 weights x activations of the same type: both widened exactly to
// f32 (F16C / AVX-512 conversions; bf16 is a shift), then f32 FMA lanes through the tile driver. 512-bit on
// AVX-512, 256-bit on AVX2; SSE4.2 (no F16C) falls back to the reference backend. The exception: bf16 GEMM
// with many activation rows on a CPU with AVX-512 BF16 runs vdpbf16ps panels (f32_panel.hpp), which flush
// subnormals; the GEMV keeps the exact widening.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/backend/cpu/f32_panel.hpp"
#include "qforge/backend/cpu/int8_blocks.hpp" // hsum256
#include "qforge/backend/cpu/tile.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/block/bf16.hpp"
#include "qforge/block/f16.hpp"

#if QFORGE_ARCH_X86_64
#include <immintrin.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wpsabi" // GCC PR 105593, see int8_blocks.hpp
#endif

namespace qforge {

namespace cpu_detail {

template <bool Wide>
struct half_vec {
    using type = __m256;
};
template <>
struct half_vec<true> {
    using type = __m512;
};

template <bool Wide, class H>
struct half_kernel {
    using vec = typename half_vec<Wide>::type;
    using acc = vec;
    using wprep = vec;
    using aprep = vec;
    using arow = const H*;
    static constexpr std::size_t step = Wide ? 16 : 8;
    static QFORGE_ALWAYS_INLINE vec widen(const H* p) noexcept {
        if constexpr (Wide) {
            const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
            if constexpr (std::is_same_v<H, f16>) return _mm512_cvtph_ps(h);
            else return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
        } else {
            const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            if constexpr (std::is_same_v<H, f16>) return _mm256_cvtph_ps(h);
            else return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
        }
    }
    static QFORGE_ALWAYS_INLINE vec widen_tail(const H* p, std::size_t n) noexcept {
        H t[step] = {};
        std::memcpy(static_cast<void*>(t), p, n * sizeof(H));
        return widen(t);
    }
    static QFORGE_ALWAYS_INLINE acc zero() noexcept {
        if constexpr (Wide) return _mm512_setzero_ps();
        else return _mm256_setzero_ps();
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const H* w, std::size_t i) noexcept { return widen(w + i); }
    static QFORGE_ALWAYS_INLINE aprep prep_a(arow a, std::size_t i) noexcept { return widen(a + i); }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const H* w, std::size_t i, std::size_t n) noexcept {
        return widen_tail(w + i, n);
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(arow a, std::size_t i, std::size_t n) noexcept {
        return widen_tail(a + i, n);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, wprep w, aprep a) noexcept {
        if constexpr (Wide) s = _mm512_fmadd_ps(w, a, s);
        else s = _mm256_fmadd_ps(w, a, s);
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept {
        if constexpr (Wide)
            return hsum256(_mm256_add_ps(_mm512_castps512_ps256(s),
                                         _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1))));
        else return hsum256(s);
    }
};

template <class Arch>
inline constexpr bool half_level_ok =
    isa_usable<Arch> && static_cast<int>(isa_traits<Arch>::level) >= static_cast<int>(isa_level::avx2);

template <class Arch, class F>
void half_gemm(qmatrix_view<F> w, const typename F::block* x, std::size_t n, float* y, std::size_t r0, std::size_t r1) {
    constexpr bool wide = static_cast<int>(isa_traits<Arch>::level) >= static_cast<int>(isa_level::avx512);
    using H = typename F::block;
    const std::size_t cols = w.cols;
    const auto rows = [x, cols](std::size_t j) { return x + j * cols; };
#if defined(__AVX512BF16__)
    // bf16 with many activation rows, where the CPU has AVX-512 BF16: vdpbf16ps panels (f32_panel.hpp).
    if constexpr (wide && std::is_same_v<H, bf16>) {
        if (n >= bf16_panel::min_rows && cols > 0 && bf16_panel::supported()) {
            bf16_panel::gemm(reinterpret_cast<const std::uint16_t*>(w.data), w.rows, cols,
                             reinterpret_cast<const std::uint16_t*>(x), n, y, r0, r1);
            return;
        }
    }
#endif
    if (n == 1) gemm_rows<half_kernel<wide, H>, 1, 1>(w, rows, n, y, r0, r1, 32); // sequential weight stream
    else if constexpr (wide) gemm_rows<half_kernel<true, H>, 4, 4>(w, rows, n, y, r0, r1, 32);
    else gemm_rows<half_kernel<false, H>, 4, 2>(w, rows, n, y, r0, r1, 32);
}

template <class Arch, class F>
struct half_gemv_kernel {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<F> w, const typename F::block* x, float* y, std::size_t r0,
                    std::size_t r1) {
        half_gemm<Arch>(w, x, 1, y, r0, r1);
    }
};
template <class Arch, class F>
struct half_gemm_kernel {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<F> w, const typename F::block* x, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        half_gemm<Arch>(w, x, n, y, r0, r1);
    }
};

} // namespace cpu_detail

template <class Arch>
    requires(cpu_detail::half_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, f16_format> : cpu_detail::half_gemv_kernel<Arch, f16_format> {};
template <class Arch>
    requires(cpu_detail::half_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, f16_format> : cpu_detail::half_gemm_kernel<Arch, f16_format> {};
template <class Arch>
    requires(cpu_detail::half_level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, bf16_format> : cpu_detail::half_gemv_kernel<Arch, bf16_format> {};
template <class Arch>
    requires(cpu_detail::half_level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, bf16_format> : cpu_detail::half_gemm_kernel<Arch, bf16_format> {};

} // namespace qforge

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif // QFORGE_ARCH_X86_64
