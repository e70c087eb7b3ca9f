// cpu_features: prints what was detected, checks the implications between features, and compares every flag
// with the kernel's view in /proc/cpuinfo (which also accounts for OS support of the register state).
#include <qforge/core/cpu_features.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

using namespace qforge;

namespace {

// The flags of the first processor in /proc/cpuinfo; empty when there is no such file (not Linux).
std::set<std::string> proc_cpuinfo_flags() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("flags", 0) != 0) continue;
        std::istringstream words(line.substr(line.find(':') + 1));
        std::set<std::string> flags;
        for (std::string w; words >> w;) flags.insert(w);
        return flags;
    }
    return {};
}

} // namespace

TEST(cpu_features, print) {
    const auto& f = cpu_features::current();
    std::cout << "cpu features: " << f.to_string() << "\n";
    EXPECT_FALSE(f.to_string().empty());
    EXPECT_EQ(&f, &cpu_features::current()); // cached
    EXPECT_EQ(f, cpu_features::detect());
}

TEST(cpu_features, implications_hold) {
    const auto& f = cpu_features::current();
    const auto implies = [](bool a, bool b) { return !a || b; };
    EXPECT_TRUE(implies(f.avx2 || f.fma || f.f16c, f.avx));
    EXPECT_TRUE(implies(f.avx_vnni, f.avx2));
    EXPECT_TRUE(implies(f.avx512bw || f.avx512vl || f.avx512dq || f.avx512vnni || f.avx512bf16, f.avx512f));
    // Every AVX-512 CPU made so far also has AVX2, FMA and F16C.
    EXPECT_TRUE(implies(f.avx512f, f.avx2 && f.fma && f.f16c));
}

TEST(cpu_features, agrees_with_proc_cpuinfo) {
#if QFORGE_ARCH_X86_64
    const auto flags = proc_cpuinfo_flags();
    if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo";
    const auto& f = cpu_features::current();
    const auto listed = [&flags](const char* name) { return flags.count(name) != 0; };
    EXPECT_EQ(f.sse4_2, listed("sse4_2"));
    EXPECT_EQ(f.avx, listed("avx"));
    EXPECT_EQ(f.avx2, listed("avx2"));
    EXPECT_EQ(f.fma, listed("fma"));
    EXPECT_EQ(f.f16c, listed("f16c"));
    EXPECT_EQ(f.avx_vnni, listed("avx_vnni"));
    EXPECT_EQ(f.avx512f, listed("avx512f"));
    EXPECT_EQ(f.avx512bw, listed("avx512bw"));
    EXPECT_EQ(f.avx512vl, listed("avx512vl"));
    EXPECT_EQ(f.avx512dq, listed("avx512dq"));
    EXPECT_EQ(f.avx512vnni, listed("avx512_vnni"));
    EXPECT_EQ(f.avx512bf16, listed("avx512_bf16"));
#else
    EXPECT_EQ(cpu_features::current(), cpu_features{}); // nothing detected off x86
#endif
}

#if QFORGE_ARCH_X86_64 && (defined(__GNUC__) || defined(__clang__))
// The compiler's own detection (libgcc / compiler-rt) as a second opinion on the common flags.
TEST(cpu_features, agrees_with_builtin_cpu_supports) {
    const auto& f = cpu_features::current();
    __builtin_cpu_init();
    EXPECT_EQ(f.sse4_2, __builtin_cpu_supports("sse4.2") != 0);
    EXPECT_EQ(f.avx, __builtin_cpu_supports("avx") != 0);
    EXPECT_EQ(f.avx2, __builtin_cpu_supports("avx2") != 0);
    EXPECT_EQ(f.fma, __builtin_cpu_supports("fma") != 0);
    EXPECT_EQ(f.avx512f, __builtin_cpu_supports("avx512f") != 0);
    EXPECT_EQ(f.avx512bw, __builtin_cpu_supports("avx512bw") != 0);
    EXPECT_EQ(f.avx512vl, __builtin_cpu_supports("avx512vl") != 0);
    EXPECT_EQ(f.avx512dq, __builtin_cpu_supports("avx512dq") != 0);
}
#endif

// On the Zen 4 development machine all of AVX-512 F/BW/VL/DQ/VNNI/BF16 must be found when the kernel
// reports them: a detection bug there would silently disable the fast paths.
TEST(cpu_features, zen4_has_everything_the_kernel_reports) {
    const auto flags = proc_cpuinfo_flags();
    if (!flags.count("avx512_bf16") || !flags.count("avx512_vnni")) GTEST_SKIP() << "not an AVX-512 BF16 machine";
    const auto& f = cpu_features::current();
    EXPECT_TRUE(f.sse4_2 && f.avx && f.avx2 && f.fma && f.f16c);
    EXPECT_TRUE(f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni && f.avx512bf16);
    EXPECT_EQ(f.to_string().find("avx512bf16") != std::string::npos, true);
}
