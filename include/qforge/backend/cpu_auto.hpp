// qforge/backend/cpu_auto.hpp: run-time choice among the cpu<Arch> variants compiled into this binary.
// The choice is made per call (one predictable switch on a value read once from cpuid), then the whole GEMV,
// GEMM or quantization runs in that variant: dispatch is per tensor, never per block.
#pragma once

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "qforge/backend/cpu/all.hpp"
#include "qforge/backend/fallback.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/backend/reference/kernels.hpp"
#include "qforge/backend/tags.hpp"

namespace qforge {

// The variants cpu_auto considers, best first.
using cpu_auto_archs = boost::mp11::mp_list<xsimd::neon64, avx512_vnni, xsimd::avx512bw, xsimd::avx2, xsimd::sse4_2>;

// The variant cpu_auto runs on this machine (for messages and benchmarks).
inline isa_level cpu_auto_level() noexcept {
    isa_level chosen = isa_level::none;
    boost::mp11::mp_for_each<boost::mp11::mp_reverse<cpu_auto_archs>>([&](auto arch) {
        using A = decltype(arch);
        if (isa_runnable<A>()) chosen = isa_traits<A>::level;
    });
    return chosen;
}

namespace backend_detail {

template <class Op, class F, class... Args>
void run_auto(Args&&... args) {
    static const isa_level level = cpu_auto_level();
    bool done = false;
    boost::mp11::mp_for_each<cpu_auto_archs>([&](auto arch) {
        using A = decltype(arch);
        if constexpr (isa_usable<A>) {
            if (!done && level == isa_traits<A>::level) {
                invoke<Op, F>(cpu<A>{}, args...);
                done = true;
            }
        }
    });
    if (!done) invoke<Op, F>(reference{}, args...);
}

} // namespace backend_detail

template <class Op, class F>
    requires(std::same_as<Op, op::quantize> || std::same_as<Op, op::gemv> || std::same_as<Op, op::gemm>)
struct kernel<Op, cpu_auto, F> {
    static constexpr bool available = kernel<Op, reference, F>::available;
    template <class... Args>
    static void run(const cpu_auto&, Args&&... args) {
        backend_detail::run_auto<Op, F>(std::forward<Args>(args)...);
    }
};

} // namespace qforge
