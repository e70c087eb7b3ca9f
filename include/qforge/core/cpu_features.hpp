// qforge/core/cpu_features.hpp: which x86 instruction set extensions this machine can run, detected once at
// run time. A feature counts only when the CPU reports it (cpuid) *and* the operating system saves the
// register state it needs (xgetbv): a CPU with AVX-512 under an OS that does not save ZMM registers must not
// run AVX-512 code. On other architectures every flag is false, so callers fall back to portable code.
#pragma once

#include <cstdint>
#include <string>

#include "qforge/core/config.hpp"

#if QFORGE_X86_INTRINSICS
#include <cpuid.h>
#endif

namespace qforge {

struct cpu_features {
    bool sse4_2 = false;
    bool avx = false;
    bool avx2 = false;
    bool fma = false;
    bool f16c = false;
    bool avx_vnni = false;   // VEX-encoded VNNI (Alder Lake, Zen 5); not implied by avx512vnni
    bool avx512f = false;
    bool avx512bw = false;
    bool avx512vl = false;
    bool avx512dq = false;
    bool avx512vnni = false;
    bool avx512bf16 = false;

    // The features of the running machine, detected on first use (thread-safe) and cached.
    static const cpu_features& current() noexcept {
        static const cpu_features features = detect();
        return features;
    }

    // Detects afresh; current() is what callers want.
    static cpu_features detect() noexcept;

    // "sse4.2 avx avx2 fma f16c avx512f ..." listing the features present, or "none".
    std::string to_string() const {
        std::string s;
        const auto add = [&s](bool on, const char* name) {
            if (!on) return;
            if (!s.empty()) s += ' ';
            s += name;
        };
        add(sse4_2, "sse4.2");
        add(avx, "avx");
        add(avx2, "avx2");
        add(fma, "fma");
        add(f16c, "f16c");
        add(avx_vnni, "avx_vnni");
        add(avx512f, "avx512f");
        add(avx512bw, "avx512bw");
        add(avx512vl, "avx512vl");
        add(avx512dq, "avx512dq");
        add(avx512vnni, "avx512vnni");
        add(avx512bf16, "avx512bf16");
        return s.empty() ? std::string("none") : s;
    }

    friend bool operator==(const cpu_features&, const cpu_features&) = default;
};

#if QFORGE_X86_INTRINSICS

namespace cpu_detail {

struct cpuid_regs {
    std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

inline cpuid_regs cpuid(std::uint32_t leaf, std::uint32_t subleaf) noexcept {
    cpuid_regs r;
    // __get_cpuid_count checks the maximum leaf first and leaves zeros for an unsupported one.
    __get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx);
    return r;
}

// XCR0: the register state components the OS saves on a context switch. Only valid when OSXSAVE is set.
inline std::uint64_t xgetbv0() noexcept {
    std::uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0u));
    return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

constexpr bool bit(std::uint32_t reg, unsigned n) noexcept { return ((reg >> n) & 1u) != 0; }

} // namespace cpu_detail

inline cpu_features cpu_features::detect() noexcept {
    using cpu_detail::bit;
    cpu_features f;
    const auto l1 = cpu_detail::cpuid(1, 0);
    const auto l7 = cpu_detail::cpuid(7, 0);
    const auto l7_1 = cpu_detail::cpuid(7, 1);

    const bool osxsave = bit(l1.ecx, 27);
    const std::uint64_t xcr0 = osxsave ? cpu_detail::xgetbv0() : 0;
    const bool os_ymm = (xcr0 & 0x6u) == 0x6u;    // XMM and YMM state
    const bool os_zmm = (xcr0 & 0xe6u) == 0xe6u;  // plus opmask, ZMM_Hi256, Hi16_ZMM

    f.sse4_2 = bit(l1.ecx, 20);
    f.avx = os_ymm && bit(l1.ecx, 28);
    f.fma = f.avx && bit(l1.ecx, 12);
    f.f16c = f.avx && bit(l1.ecx, 29);
    f.avx2 = f.avx && bit(l7.ebx, 5);
    f.avx_vnni = f.avx2 && bit(l7_1.eax, 4);
    f.avx512f = os_zmm && bit(l7.ebx, 16);
    f.avx512dq = f.avx512f && bit(l7.ebx, 17);
    f.avx512bw = f.avx512f && bit(l7.ebx, 30);
    f.avx512vl = f.avx512f && bit(l7.ebx, 31);
    f.avx512vnni = f.avx512f && bit(l7.ecx, 11);
    f.avx512bf16 = f.avx512f && bit(l7_1.eax, 5);
    return f;
}

#else

inline cpu_features cpu_features::detect() noexcept { return {}; }

#endif

} // namespace qforge
