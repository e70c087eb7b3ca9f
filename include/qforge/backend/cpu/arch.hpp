// qforge/backend/cpu/arch.hpp: what each CPU arch tag can do (our own capability traits: xsimd's tags do
// not form an "at least AVX2" hierarchy), which arch variants this translation unit was compiled with, and
// what the running CPU supports (core/cpu_features.hpp, read once).
#pragma once

#include <xsimd/xsimd.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "qforge/core/config.hpp"
#include "qforge/core/cpu_features.hpp"

namespace qforge {

// AVX-512 with VNNI (vpdpbusd): xsimd 8.1 has no tag for it, so qforge names it. It is an avx512bw.
struct avx512_vnni : xsimd::avx512bw {
    static constexpr char const* name() noexcept { return "avx512_vnni"; }
};

// Instruction-set levels, in increasing order of what the SIMD kernels may use.
// neon64 stands apart (no x86 kernel compares with it): an AArch64 build holds it alone.
enum class isa_level : int { none = 0, sse4_2 = 1, avx2 = 2, avx512 = 3, avx512_vnni = 4, neon64 = 16 };

inline constexpr std::string_view to_string(isa_level l) noexcept {
    switch (l) {
    case isa_level::none: return "none";
    case isa_level::sse4_2: return "sse4_2";
    case isa_level::avx2: return "avx2";
    case isa_level::avx512: return "avx512bw";
    case isa_level::avx512_vnni: return "avx512_vnni";
    case isa_level::neon64: return "neon64";
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

#if defined(__aarch64__) && defined(__ARM_NEON)
inline constexpr bool compiled_neon64 = true;
#else
inline constexpr bool compiled_neon64 = false;
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

// AArch64 NEON: the xsimd-generic kernels (f32 GEMV/GEMM, activation quantization); the other formats run
// the reference kernels through the fallback.
template <>
struct isa_traits<xsimd::neon64> {
    static constexpr bool known = true;
    static constexpr isa_level level = isa_level::neon64;
    static constexpr bool compiled = compiled_neon64;
};

// A cpu<Arch> kernel exists in this TU when the arch is known and compiled in.
template <class Arch>
inline constexpr bool isa_usable = isa_traits<Arch>::known && isa_traits<Arch>::compiled;

namespace cpu_detail {

inline isa_level isa_of([[maybe_unused]] const cpu_features& f) noexcept {
#if defined(__aarch64__) && defined(__ARM_NEON)
    return isa_level::neon64; // NEON (Advanced SIMD) is mandatory on AArch64
#endif
    if (!f.sse4_2) return isa_level::none;
    if (!(f.avx2 && f.fma && f.f16c)) return isa_level::sse4_2;
    if (!(f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq)) return isa_level::avx2;
    return f.avx512vnni ? isa_level::avx512_vnni : isa_level::avx512;
}

} // namespace cpu_detail

namespace cpu_detail {

// QFORGE_ISA (none, sse4_2, avx2, avx512bw, avx512_vnni) caps the level: to run or test a lower variant on
// a better CPU. It never raises the level. An unknown value is reported on stderr and ignored.
inline isa_level cap_from_env(isa_level detected) noexcept {
    const char* v = std::getenv("QFORGE_ISA");
    if (v == nullptr || *v == '\0') return detected;
    const std::string_view s(v);
    for (isa_level l : {isa_level::none, isa_level::sse4_2, isa_level::avx2, isa_level::avx512,
                        isa_level::avx512_vnni, isa_level::neon64}) {
        if (s == to_string(l)) {
            if (l == isa_level::none) return l;
            if (detected == isa_level::neon64 || l == isa_level::neon64) return l == detected ? l : detected;
            return static_cast<int>(l) < static_cast<int>(detected) ? l : detected;
        }
    }
    std::fprintf(stderr,
                 "qforge: ignoring QFORGE_ISA=%s (expected none, sse4_2, avx2, avx512bw, avx512_vnni or neon64)\n",
                 v);
    return detected;
}

} // namespace cpu_detail

// The best level the running CPU supports, capped by QFORGE_ISA (read once; the first call is thread-safe).
inline isa_level cpu_isa() noexcept {
    static const isa_level level = cpu_detail::cap_from_env(cpu_detail::isa_of(cpu_features::current()));
    return level;
}

// Whether this process can run cpu<Arch>: compiled in and supported by the running CPU.
template <class Arch>
bool isa_runnable() noexcept {
    return isa_usable<Arch> && static_cast<int>(cpu_isa()) >= static_cast<int>(isa_traits<Arch>::level);
}

} // namespace qforge
