// qforge/backend/cpu/half.hpp: f16 and bf16 weights x activations of the same type: both widened exactly to
// f32 (F16C / AVX-512 conversions; bf16 is a shift), then f32 FMA lanes through the tile driver. 512-bit on
// AVX-512, 256-bit on AVX2; 128-bit on SSE4.2, which has neither F16C nor FMA: f16 widens with integer ops
// (f16_to_f32_sse, exact for every bit pattern; the activations once per call), then a multiply and an add.
// The exception: bf16 GEMM with many activation rows on a CPU with AVX-512 BF16 runs vdpbf16ps panels
// (f32_panel.hpp), which flush subnormals; the GEMV keeps the exact widening.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

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

// f16 -> f32 of the 4 halves in the low 16 bits of the 32-bit lanes (the high 16 bits are ignored), exact for
// every bit pattern, as f16::to_float: integer ops (no F16C below AVX2), and no float arithmetic on f32
// subnormals (MXCSR's DAZ would flush them). With a = the magnitude bits: the exponent is rebased by 112
// (127 - 15) in place; infinities and NaNs (a >= 0x7c00) get 112 more (exponent 255) and NaNs (a > 0x7c00)
// the quiet bit; zeros and subnormals (a < 0x400) are a * 2^-24, which cvtdq2ps and the multiply give
// exactly (a < 1024: f32 normals). The sign goes back last.
QFORGE_ALWAYS_INLINE __m128 f16_to_f32_sse(__m128i h) noexcept {
    const __m128i a = _mm_and_si128(h, _mm_set1_epi32(0x7fff));
    const __m128i sign = _mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x8000)), 16);
    const __m128i rebias = _mm_set1_epi32(112 << 23);
    __m128i o = _mm_add_epi32(_mm_slli_epi32(a, 13), rebias);
    o = _mm_add_epi32(o, _mm_and_si128(_mm_cmpgt_epi32(a, _mm_set1_epi32(0x7bff)), rebias));
    o = _mm_or_si128(o, _mm_and_si128(_mm_cmpgt_epi32(a, _mm_set1_epi32(0x7c00)), _mm_set1_epi32(0x00400000)));
    const __m128 tiny = _mm_castsi128_ps(_mm_cmplt_epi32(a, _mm_set1_epi32(0x400)));
    const __m128 sub = _mm_mul_ps(_mm_cvtepi32_ps(a), _mm_set1_ps(0x1p-24f));
    const __m128 r = _mm_blendv_ps(_mm_castsi128_ps(o), sub, tiny);
    return _mm_or_ps(r, _mm_castsi128_ps(sign));
}

// 8 halves (f16 or bf16) at p -> two 4-lane f32 vectors, exactly; bf16 is the top half of an f32.
template <class H>
QFORGE_ALWAYS_INLINE void widen_sse(const H* p, __m128& lo, __m128& hi) noexcept {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i z = _mm_setzero_si128();
    if constexpr (std::is_same_v<H, f16>) {
        lo = f16_to_f32_sse(_mm_unpacklo_epi16(h, z));
        hi = f16_to_f32_sse(_mm_unpackhi_epi16(h, z));
    } else {
        lo = _mm_castsi128_ps(_mm_unpacklo_epi16(z, h));
        hi = _mm_castsi128_ps(_mm_unpackhi_epi16(z, h));
    }
}

// The activations of one call widened to f32 once (per thread, buffer grown rarely, never shrunk): without
// F16C the f16 widening costs more than the multiply-add, and every weight row would redo it.
class half_act_pack {
public:
    template <class H>
    static const float* pack(const H* x, std::size_t count) {
        thread_local std::vector<float> buf;
        if (buf.size() < count) buf.resize(count);
        std::size_t i = 0;
        for (; i + 8 <= count; i += 8) {
            __m128 lo, hi;
            widen_sse(x + i, lo, hi);
            _mm_storeu_ps(buf.data() + i, lo);
            _mm_storeu_ps(buf.data() + i + 4, hi);
        }
        for (; i < count; ++i) buf[i] = x[i].to_float();
        return buf.data();
    }
};

// SSE4.2: 8 values per step in two 4-lane accumulators (two independent add chains), mul then add (no FMA).
// The weights widen in the step, the activations come widened (half_act_pack).
template <class H>
struct half_sse_kernel {
    struct acc {
        __m128 lo, hi;
    };
    struct vec {
        __m128 lo, hi;
    };
    using wprep = vec;
    using aprep = vec;
    using arow = const float*;
    static constexpr std::size_t step = 8;
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return {_mm_setzero_ps(), _mm_setzero_ps()}; }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const H* w, std::size_t i) noexcept {
        vec v;
        widen_sse(w + i, v.lo, v.hi);
        return v;
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a(arow a, std::size_t i) noexcept {
        return {_mm_loadu_ps(a + i), _mm_loadu_ps(a + i + 4)};
    }
    // The last step zero-padded (0 * 0 adds +0: the sums are unchanged).
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const H* w, std::size_t i, std::size_t n) noexcept {
        H t[step] = {};
        std::memcpy(static_cast<void*>(t), w + i, n * sizeof(H));
        return prep_w(t, 0);
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(arow a, std::size_t i, std::size_t n) noexcept {
        float t[step] = {};
        std::memcpy(t, a + i, n * sizeof(float));
        return prep_a(t, 0);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, const aprep& a) noexcept {
        s.lo = _mm_add_ps(s.lo, _mm_mul_ps(w.lo, a.lo));
        s.hi = _mm_add_ps(s.hi, _mm_mul_ps(w.hi, a.hi));
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return hsum128(_mm_add_ps(s.lo, s.hi)); }
};

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
    // No software prefetch, as for f32 (f32.hpp): 110M model tg64 on one thread, f16 96-109 tok/s without,
    // 86-89 with 2 KiB ahead; bf16 95-100 against 86-97.
    static constexpr std::size_t prefetch_distance = 0;
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
    isa_usable<Arch> && static_cast<int>(isa_traits<Arch>::level) >= static_cast<int>(isa_level::sse4_2);

template <class Arch, class F>
void half_gemm(qmatrix_view<F> w, const typename F::block* x, std::size_t n, float* y, std::size_t r0, std::size_t r1) {
    constexpr bool wide = static_cast<int>(isa_traits<Arch>::level) >= static_cast<int>(isa_level::avx512);
    using H = typename F::block;
    const std::size_t cols = w.cols;
    // SSE4.2: 128-bit lanes (the 256/512-bit kernels are not instantiated: a build for that level lacks AVX).
    if constexpr (isa_traits<Arch>::level == isa_level::sse4_2) {
        const float* xf = half_act_pack::pack(x, n * cols);
        const auto frows = [xf, cols](std::size_t j) { return xf + j * cols; };
        if (n == 1) gemm_rows<half_sse_kernel<H>, 1, 1>(w, frows, n, y, r0, r1, 32);
        else gemm_rows<half_sse_kernel<H>, 2, 2>(w, frows, n, y, r0, r1, 32);
    } else {
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

template <>
inline constexpr bool guided_gemv_rows<f16_format> = true; // plain row streams (kernel.hpp)
template <>
inline constexpr bool guided_gemv_rows<bf16_format> = true;

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
