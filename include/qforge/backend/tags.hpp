// qforge/backend/tags.hpp: the backend policies as small value types, and the Backend concept.
// A backend says *where and how* kernels run; it supplies kernels by specializing kernel<Op, Backend, Format>
// (backend/kernel.hpp). Policies are default-constructible values: `qforge::cpu_auto{}` is a complete backend.
#pragma once

#include <concepts>
#include <string_view>

namespace qforge {

// A backend policy: a default-constructible value with a name, marked as a backend on purpose.
template <class B>
concept Backend = std::default_initializable<B>                          // usable as `B{}`
               && std::copy_constructible<B>                            // passed and stored by value
               && requires {
                      { B::backend_name } -> std::convertible_to<std::string_view>; // for messages and benchmarks
                      requires B::is_backend;                            // an explicit opt-in, not duck typing
                  };

// Portable scalar kernels for every (operation, format) pair: they call the format's reference dot. The
// oracle of every test, and the last link of every fallback chain.
struct reference {
    static constexpr bool is_backend = true;
    static constexpr std::string_view backend_name = "reference";
};

// SIMD kernels for one instruction set, named by an xsimd arch tag (xsimd::sse4_2, xsimd::avx2,
// xsimd::avx512bw) or by qforge::avx512_vnni (backend/cpu/arch.hpp). What an arch can do is read from
// qforge::isa_traits<Arch>, never from the xsimd tag hierarchy (avx512 tags do not derive from avx2).
template <class Arch>
struct cpu {
    using arch = Arch;
    static constexpr bool is_backend = true;
    static constexpr std::string_view backend_name = "cpu";
};

// One binary, several arch variants: picks the best cpu<Arch> compiled into this binary that the running CPU
// supports (cpuid, once), per call and per tensor, never per block.
struct cpu_auto {
    static constexpr bool is_backend = true;
    static constexpr std::string_view backend_name = "cpu_auto";
};

} // namespace qforge
