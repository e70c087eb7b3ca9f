// qforge/backend/cpu/arch.hpp: what each CPU arch tag can do (our own capability traits: xsimd's tags do
// not form an "at least AVX2" hierarchy), which arch variants this translation unit was compiled with, and
// what the running CPU supports (cpuid + xgetbv, read once).
#pragma once

#include <xsimd/xsimd.hpp>

#include <string_view>

#include "qforge/core/config.hpp"

#if QFORGE_ARCH_X86_64
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace qforge {

// AVX-512 with VNNI (vpdpbusd): xsimd 8.1 has no tag for it, so qforge names it. It is an avx512bw.
struct avx512_vnni : xsimd::avx512bw {
    static constexpr char const* name() noexcept { return "avx512_vnni"; }
};

// Instruction-set levels, in increasing order of what the SIMD kernels may use.
enum class isa_level : int { none = 0, sse4_2 = 1, avx2 = 2, avx512 = 3, avx512_vnni = 4 };

inline constexpr std::string_view to_string(isa_level l) noexcept {
    switch (l) {
    case isa_level::none: return "none";
    case isa_level::sse4_2: return "sse4_2";
    case isa_level::avx2: return "avx2";
    case isa_level::avx512: return "avx512bw";
    case isa_level::avx512_vnni: return "avx512_vnni";
    }
    return "none";
}

// The compiler flags of this translation unit decide which arch variants can be compiled in.
#if defined(__SSE4_2__)
inline constexpr bool compiled_sse4_2 = true;
#else
inline constexpr bool compiled_sse4_2 = false;
#endif
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
inline constexpr bool compiled_avx2 = true;
#else
inline constexpr bool compiled_avx2 = false;
#endif
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__) && \
    defined(__FMA__) && defined(__F16C__)
inline constexpr bool compiled_avx512 = true;
#else
inline constexpr bool compiled_avx512 = false;
#endif
#if defined(__AVX512VNNI__)
inline constexpr bool compiled_avx512_vnni = compiled_avx512;
#else
inline constexpr bool compiled_avx512_vnni = false;
#endif

// isa_traits<Arch>: known (a tag the CPU kernels understand), level, and compiled (usable in this TU).
template <class Arch>
struct isa_traits {
    static constexpr bool known = false;
    static constexpr isa_level level = isa_level::none;
    static constexpr bool compiled = false;
};
template <>
struct isa_traits<xsimd::sse4_2> {
    static constexpr bool known = true;
    static constexpr isa_level level = isa_level::sse4_2;
    static constexpr bool compiled = compiled_sse4_2;
};
template <>
struct isa_traits<xsimd::avx2> {
    static constexpr bool known = true;
    static constexpr isa_level level = isa_level::avx2;
    static constexpr bool compiled = compiled_avx2;
};
template <>
struct isa_traits<xsimd::fma3<xsimd::avx2>> : isa_traits<xsimd::avx2> {};
template <>
struct isa_traits<xsimd::avx512bw> {
    static constexpr bool known = true;
    static constexpr isa_level level = isa_level::avx512;
    static constexpr bool compiled = compiled_avx512;
};
template <>
struct isa_traits<avx512_vnni> {
    static constexpr bool known = true;
    static constexpr isa_level level = isa_level::avx512_vnni;
    static constexpr bool compiled = compiled_avx512_vnni;
};

// A cpu<Arch> kernel exists in this TU when the arch is known and compiled in.
template <class Arch>
inline constexpr bool isa_usable = isa_traits<Arch>::known && isa_traits<Arch>::compiled;

namespace cpu_detail {

#if QFORGE_ARCH_X86_64
inline isa_level detect_isa() noexcept {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return isa_level::none;
    const bool sse42 = (c >> 20) & 1u;
    const bool fma = (c >> 12) & 1u;
    const bool osxsave = (c >> 27) & 1u;
    const bool avx = (c >> 28) & 1u;
    const bool f16c = (c >> 29) & 1u;
    if (!sse42) return isa_level::none;
    if (!(osxsave && avx)) return isa_level::sse4_2;
    // The OS must save the YMM (bits 1-2) and, for AVX-512, the opmask/ZMM state (bits 5-7).
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    const bool os_ymm = (lo & 0x6u) == 0x6u;
    const bool os_zmm = (lo & 0xe6u) == 0xe6u;
    if (!os_ymm) return isa_level::sse4_2;
    unsigned a7 = 0, b7 = 0, c7 = 0, d7 = 0;
    __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7);
    const bool avx2 = (b7 >> 5) & 1u;
    const bool avx512f = (b7 >> 16) & 1u, avx512dq = (b7 >> 17) & 1u, avx512bw = (b7 >> 30) & 1u,
               avx512vl = (b7 >> 31) & 1u;
    const bool vnni = (c7 >> 11) & 1u;
    if (!(avx2 && fma && f16c)) return isa_level::sse4_2;
    if (!(os_zmm && avx512f && avx512dq && avx512bw && avx512vl)) return isa_level::avx2;
    return vnni ? isa_level::avx512_vnni : isa_level::avx512;
}
#else
inline isa_level detect_isa() noexcept { return isa_level::none; }
#endif

} // namespace cpu_detail

// The best level the running CPU supports (read once; the first call is thread-safe).
inline isa_level cpu_isa() noexcept {
    static const isa_level level = cpu_detail::detect_isa();
    return level;
}

// Whether this process can run cpu<Arch>: compiled in and supported by the running CPU.
template <class Arch>
bool isa_runnable() noexcept {
    return isa_usable<Arch> && static_cast<int>(cpu_isa()) >= static_cast<int>(isa_traits<Arch>::level);
}

} // namespace qforge
