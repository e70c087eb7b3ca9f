// qforge/core/config.hpp: the only file that defines macros. Everything configurable at build time is here.
#pragma once

#define QFORGE_VERSION_MAJOR 0
#define QFORGE_VERSION_MINOR 1
#define QFORGE_VERSION_PATCH 0

#if defined(__GNUC__) || defined(__clang__)
#define QFORGE_ALWAYS_INLINE inline __attribute__((always_inline))
#define QFORGE_NOINLINE __attribute__((noinline))
#define QFORGE_RESTRICT __restrict__
#define QFORGE_LIKELY(x) __builtin_expect(!!(x), 1)
#define QFORGE_UNLIKELY(x) __builtin_expect(!!(x), 0)
// Compile one function for a target ISA without compiling the whole translation unit for it.
#define QFORGE_TARGET(isa) __attribute__((target(isa)))
#else
#define QFORGE_ALWAYS_INLINE inline
#define QFORGE_NOINLINE
#define QFORGE_RESTRICT
#define QFORGE_LIKELY(x) (x)
#define QFORGE_UNLIKELY(x) (x)
#define QFORGE_TARGET(isa)
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define QFORGE_ARCH_X86_64 1
#else
#define QFORGE_ARCH_X86_64 0
#endif

// x86 intrinsics usable per function through QFORGE_TARGET (GCC and clang), whatever -march says.
#if QFORGE_ARCH_X86_64 && (defined(__GNUC__) || defined(__clang__))
#define QFORGE_X86_INTRINSICS 1
#else
#define QFORGE_X86_INTRINSICS 0
#endif

#if defined(__aarch64__)
#define QFORGE_ARCH_AARCH64 1
#else
#define QFORGE_ARCH_AARCH64 0
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QFORGE_ASAN 1
#endif
#endif
#if !defined(QFORGE_ASAN) && defined(__SANITIZE_ADDRESS__)
#define QFORGE_ASAN 1
#endif
#ifndef QFORGE_ASAN
#define QFORGE_ASAN 0
#endif

// Bit-exact float code (reference quantizers that must reproduce ggml's bytes): between these two lines the
// compiler may not contract a*b+c into an FMA. GCC and clang both contract by default in C++ (also with
// -std=c++20), which changes roundings whenever the target has FMA (-march=native). Use at namespace scope,
// BEGIN and END in the same header.
#if defined(__clang__)
#define QFORGE_FP_EXACT_BEGIN _Pragma("float_control(push)") _Pragma("clang fp contract(off)")
#define QFORGE_FP_EXACT_END _Pragma("float_control(pop)")
#elif defined(__GNUC__)
// -Wpsabi: the K-quant searches use 32-byte vector-extension helpers; without -mavx GCC notes that their
// (never-emitted, always inlined) out-of-line ABI would differ. Silenced so that users' -Werror builds pass.
#define QFORGE_FP_EXACT_BEGIN                                                                                 \
    _Pragma("GCC push_options") _Pragma("GCC optimize(\"fp-contract=off\")") _Pragma("GCC diagnostic push") \
        _Pragma("GCC diagnostic ignored \"-Wpsabi\"")
#define QFORGE_FP_EXACT_END _Pragma("GCC diagnostic pop") _Pragma("GCC pop_options")
#else
#define QFORGE_FP_EXACT_BEGIN
#define QFORGE_FP_EXACT_END
#endif
