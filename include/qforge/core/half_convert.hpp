// qforge/core/half_convert.hpp: bulk conversions between f32 and the 16-bit float types.
// The portable loops of core/half.hpp are the definition; the fast paths (F16C, AVX-512F, AVX-512 BF16) are
// compiled per function with target attributes, so this header works in a build without -march, and the best
// one the running CPU supports is picked at run time. Every path gives the same bits as the portable one
// (tests/core/half.cpp checks all 16-bit patterns and every f32 rounding boundary). This lives apart from
// half.hpp so that block headers, which need only the value types, do not pay for <immintrin.h>.
#pragma once

#include <bit>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "qforge/core/config.hpp"
#include "qforge/core/cpu_features.hpp"
#include "qforge/core/error.hpp"
#include "qforge/core/half.hpp"

#if QFORGE_X86_INTRINSICS
#include <immintrin.h>
#endif

namespace qforge {

// The instruction sets a conversion can run on. Not every conversion has every path: see supports().
enum class half_isa {
    portable,  // the constexpr scalar definition (the compiler may auto-vectorize it)
    f16c,      // f16 <-> f32, 8 lanes (vcvtps2ph / vcvtph2ps)
    avx512f,   // f16 <-> f32 with 16 lanes; bf16 <-> f32 with exact integer rounding
    avx512bf16 // f32 -> bf16 with vcvtneps2bf16 (subnormal inputs, which it flushes, are fixed up)
};

enum class half_conversion { f32_to_f16, f16_to_f32, f32_to_bf16, bf16_to_f32 };

constexpr std::string_view to_string(half_isa isa) noexcept {
    switch (isa) {
    case half_isa::portable: return "portable";
    case half_isa::f16c: return "f16c";
    case half_isa::avx512f: return "avx512f";
    case half_isa::avx512bf16: return "avx512bf16";
    }
    return "?";
}

// Whether conversion c has a path for isa and the CPU described by cpu can run it.
constexpr bool supports(half_conversion c, half_isa isa, const cpu_features& cpu) noexcept {
    if (isa == half_isa::portable) return true;
    if (!QFORGE_X86_INTRINSICS) return false;
    const bool f16 = c == half_conversion::f32_to_f16 || c == half_conversion::f16_to_f32;
    switch (isa) {
    case half_isa::portable: return true;
    case half_isa::f16c: return f16 && cpu.f16c;
    case half_isa::avx512f: return cpu.avx512f;
    case half_isa::avx512bf16: return c == half_conversion::f32_to_bf16 && cpu.avx512f && cpu.avx512bf16;
    }
    return false;
}

// The widest path cpu supports for conversion c.
constexpr half_isa best_half_isa(half_conversion c, const cpu_features& cpu) noexcept {
    for (const half_isa isa : {half_isa::avx512bf16, half_isa::avx512f, half_isa::f16c})
        if (supports(c, isa, cpu)) return isa;
    return half_isa::portable;
}

namespace half_detail {

inline void check_sizes(std::string_view what, std::size_t in, std::size_t out) {
    if (in != out)
        throw error(errc::shape, std::string(what) + ": source has " + std::to_string(in) +
                                     " elements but destination has " + std::to_string(out));
}

inline void require_isa(half_conversion c, std::string_view what, half_isa isa) {
    if (!supports(c, isa, cpu_features::current()))
        throw error(errc::unsupported, std::string(what) + ": no " + std::string(to_string(isa)) +
                                           " path on this machine (" + cpu_features::current().to_string() + ")");
}

inline void f32_to_f16_portable(const float* s, f16* d, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) d[i] = f16::from_float(s[i]);
}
inline void f16_to_f32_portable(const f16* s, float* d, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) d[i] = s[i].to_float();
}
inline void f32_to_bf16_portable(const float* s, bf16* d, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) d[i] = bf16::from_float(s[i]);
}
inline void bf16_to_f32_portable(const bf16* s, float* d, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) d[i] = s[i].to_float();
}

#if QFORGE_X86_INTRINSICS

// The AVX-512 code uses the zero-masking forms with every lane selected: the plain forms expand to GCC 12's
// self-initialized _mm512_undefined_*(), which -Wmaybe-uninitialized reports once they are inlined.
inline constexpr __mmask16 all = 0xffff;

// vcvtps2ph with an explicit round-to-nearest-even immediate (not MXCSR.RC) and exceptions suppressed.
// It quiets NaNs keeping the top payload bits and produces f16 subnormals, exactly as the portable code.
QFORGE_TARGET("avx,f16c") inline void f32_to_f16_f16c(const float* s, f16* d, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i), h);
    }
    f32_to_f16_portable(s + i, d + i, n - i);
}

QFORGE_TARGET("avx,f16c") inline void f16_to_f32_f16c(const f16* s, float* d, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
    f16_to_f32_portable(s + i, d + i, n - i);
}

QFORGE_TARGET("avx512f") inline void f32_to_f16_avx512f(const float* s, f16* d, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i h = _mm512_maskz_cvtps_ph(all, _mm512_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i), h);
    }
    f32_to_f16_portable(s + i, d + i, n - i);
}

QFORGE_TARGET("avx512f") inline void f16_to_f32_avx512f(const f16* s, float* d, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(d + i, _mm512_maskz_cvtph_ps(all, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i))));
    f16_to_f32_portable(s + i, d + i, n - i);
}

// The portable rounding in integer lanes: (x + 0x7fff + lsb) >> 16, and NaN -> top half | quiet bit.
// Integer arithmetic is immune to MXCSR (DAZ) and needs no BF16 instructions.
QFORGE_TARGET("avx512f") inline void f32_to_bf16_avx512f(const float* s, bf16* d, std::size_t n) noexcept {
    const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff);
    const __m512i inf = _mm512_set1_epi32(0x7f800000);
    const __m512i bias = _mm512_set1_epi32(0x7fff);
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i quiet = _mm512_set1_epi32(0x40);
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i x = _mm512_loadu_si512(s + i);
        const __m512i hi = _mm512_maskz_srli_epi32(all, x, 16);
        const __m512i rounded =
            _mm512_maskz_srli_epi32(all, _mm512_add_epi32(_mm512_add_epi32(x, bias), _mm512_and_si512(hi, one)), 16);
        const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, abs_mask), inf);
        const __m512i r = _mm512_mask_blend_epi32(nan, rounded, _mm512_or_si512(hi, quiet));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i), _mm512_maskz_cvtepi32_epi16(all, r));
    }
    f32_to_bf16_portable(s + i, d + i, n - i);
}

QFORGE_TARGET("avx512f") inline void bf16_to_f32_avx512f(const bf16* s, float* d, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i w = _mm512_maskz_cvtepu16_epi32(all, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i)));
        _mm512_storeu_si512(d + i, _mm512_maskz_slli_epi32(all, w, 16));
    }
    bf16_to_f32_portable(s + i, d + i, n - i);
}

// vcvtneps2bf16 rounds to nearest even and quiets NaNs like the portable code, but treats subnormal inputs
// as zero regardless of MXCSR. Those lanes (exponent 0, mantissa != 0) are redone with the portable code;
// normal inputs never round to a bf16 subnormal, so no other lane can differ.
QFORGE_TARGET("avx512bf16,avx512f") inline void f32_to_bf16_avx512bf16(const float* s, bf16* d,
                                                                        std::size_t n) noexcept {
    const __m512i exp_mask = _mm512_set1_epi32(0x7f800000);
    const __m512i man_mask = _mm512_set1_epi32(0x007fffff);
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(s + i);
        const __m256bh r = _mm512_cvtneps_pbh(v);
        std::memcpy(static_cast<void*>(d + i), &r, sizeof(r));
        const __m512i x = _mm512_castps_si512(v);
        unsigned sub = _mm512_mask_test_epi32_mask(_mm512_testn_epi32_mask(x, exp_mask), x, man_mask);
        for (; sub != 0; sub &= sub - 1) {
            const std::size_t k = i + static_cast<std::size_t>(std::countr_zero(sub));
            d[k] = bf16::from_float(s[k]);
        }
    }
    f32_to_bf16_portable(s + i, d + i, n - i);
}

#endif

} // namespace half_detail

// Converts src[i] to dst[i] on the given path; throws errc::unsupported when the running CPU lacks it and
// errc::shape when the sizes differ. The overloads without isa use best_half_isa for the running CPU.
inline void convert_f32_to_f16(std::span<const float> src, std::span<f16> dst, half_isa isa) {
    constexpr std::string_view what = "convert_f32_to_f16";
    half_detail::check_sizes(what, src.size(), dst.size());
    half_detail::require_isa(half_conversion::f32_to_f16, what, isa);
    switch (isa) {
#if QFORGE_X86_INTRINSICS
    case half_isa::f16c: return half_detail::f32_to_f16_f16c(src.data(), dst.data(), src.size());
    case half_isa::avx512f: return half_detail::f32_to_f16_avx512f(src.data(), dst.data(), src.size());
#endif
    default: return half_detail::f32_to_f16_portable(src.data(), dst.data(), src.size());
    }
}

inline void convert_f16_to_f32(std::span<const f16> src, std::span<float> dst, half_isa isa) {
    constexpr std::string_view what = "convert_f16_to_f32";
    half_detail::check_sizes(what, src.size(), dst.size());
    half_detail::require_isa(half_conversion::f16_to_f32, what, isa);
    switch (isa) {
#if QFORGE_X86_INTRINSICS
    case half_isa::f16c: return half_detail::f16_to_f32_f16c(src.data(), dst.data(), src.size());
    case half_isa::avx512f: return half_detail::f16_to_f32_avx512f(src.data(), dst.data(), src.size());
#endif
    default: return half_detail::f16_to_f32_portable(src.data(), dst.data(), src.size());
    }
}

inline void convert_f32_to_bf16(std::span<const float> src, std::span<bf16> dst, half_isa isa) {
    constexpr std::string_view what = "convert_f32_to_bf16";
    half_detail::check_sizes(what, src.size(), dst.size());
    half_detail::require_isa(half_conversion::f32_to_bf16, what, isa);
    switch (isa) {
#if QFORGE_X86_INTRINSICS
    case half_isa::avx512f: return half_detail::f32_to_bf16_avx512f(src.data(), dst.data(), src.size());
    case half_isa::avx512bf16: return half_detail::f32_to_bf16_avx512bf16(src.data(), dst.data(), src.size());
#endif
    default: return half_detail::f32_to_bf16_portable(src.data(), dst.data(), src.size());
    }
}

inline void convert_bf16_to_f32(std::span<const bf16> src, std::span<float> dst, half_isa isa) {
    constexpr std::string_view what = "convert_bf16_to_f32";
    half_detail::check_sizes(what, src.size(), dst.size());
    half_detail::require_isa(half_conversion::bf16_to_f32, what, isa);
    switch (isa) {
#if QFORGE_X86_INTRINSICS
    case half_isa::avx512f: return half_detail::bf16_to_f32_avx512f(src.data(), dst.data(), src.size());
#endif
    default: return half_detail::bf16_to_f32_portable(src.data(), dst.data(), src.size());
    }
}

inline void convert_f32_to_f16(std::span<const float> src, std::span<f16> dst) {
    static const half_isa isa = best_half_isa(half_conversion::f32_to_f16, cpu_features::current());
    convert_f32_to_f16(src, dst, isa);
}
inline void convert_f16_to_f32(std::span<const f16> src, std::span<float> dst) {
    static const half_isa isa = best_half_isa(half_conversion::f16_to_f32, cpu_features::current());
    convert_f16_to_f32(src, dst, isa);
}
inline void convert_f32_to_bf16(std::span<const float> src, std::span<bf16> dst) {
    static const half_isa isa = best_half_isa(half_conversion::f32_to_bf16, cpu_features::current());
    convert_f32_to_bf16(src, dst, isa);
}
inline void convert_bf16_to_f32(std::span<const bf16> src, std::span<float> dst) {
    static const half_isa isa = best_half_isa(half_conversion::bf16_to_f32, cpu_features::current());
    convert_bf16_to_f32(src, dst, isa);
}

} // namespace qforge
