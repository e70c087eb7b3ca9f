// qforge/backend/fallback.hpp: compile-time kernel selection along a chain of backends.
//
// fallback<A, B, ...> is a backend that runs each (op, format) on the first of A, B, ... that provides a
// kernel for it, then on `reference`. Any backend used directly behaves like fallback<It>: what it lacks runs
// on `reference`. When nothing in the chain provides a kernel, the build fails with a static_assert inside
// no_kernel<Op, Format, BackendsTried...>, whose template arguments name the op, the format and the chain.
#pragma once

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "qforge/backend/kernel.hpp"
#include "qforge/backend/tags.hpp"

namespace qforge {

template <Backend... Bs>
    requires(sizeof...(Bs) > 0)
struct fallback {
    static constexpr bool is_backend = true;
    static constexpr std::string_view backend_name = "fallback";
    std::tuple<Bs...> members{}; // backends may hold state (a thread pool): each keeps its own
};

namespace backend_detail {

template <class B>
struct is_fallback : std::false_type {};
template <class... Bs>
struct is_fallback<fallback<Bs...>> : std::true_type {};

template <class Op, class B, class F>
struct provides : std::bool_constant<kernel<Op, B, F>::available> {};
template <class Op, class... Bs, class F>
struct provides<Op, fallback<Bs...>, F> : std::bool_constant<(provides<Op, Bs, F>::value || ...)> {};

template <class Op, class F>
struct provides_q {
    template <class B>
    using fn = provides<Op, B, F>;
};

} // namespace backend_detail

// True when B (or, for a fallback, one of its members) has its own kernel for (Op, F); `reference` aside.
template <class Op, class B, class F>
inline constexpr bool provides_kernel = backend_detail::provides<Op, B, F>::value;

// True when a call of (Op, F) on B compiles: B's chain or `reference` provides it.
template <class Op, class B, class F>
inline constexpr bool has_kernel = provides_kernel<Op, B, F> || kernel<Op, reference, F>::available;

// Instantiated only when no backend of the chain provides the kernel: the compiler prints Op, Format and
// BackendsTried in the line that leads here.
template <class Op, class Format, class... BackendsTried>
struct no_kernel {
    static_assert(sizeof...(BackendsTried) == 0,
                  "qforge: no backend provides a kernel for this (operation, format): see Op, Format and "
                  "BackendsTried in no_kernel<Op, Format, BackendsTried...> above; add a kernel<Op, Backend, "
                  "Format> specialization with available = true (docs/backends.md)");
    static void run(...) {}
};

// Runs operation Op for format F on backend `be` (with its fallback chain), forwarding args to the kernel.
template <class Op, class F, class B, class... Args>
void invoke(const B& be, Args&&... args) {
    using namespace backend_detail;
    if constexpr (is_fallback<B>::value) {
        using members = boost::mp11::mp_rename<B, boost::mp11::mp_list>;
        constexpr std::size_t i = boost::mp11::mp_find_if_q<members, provides_q<Op, F>>::value;
        if constexpr (i < boost::mp11::mp_size<members>::value)
            invoke<Op, F>(std::get<i>(be.members), std::forward<Args>(args)...);
        else if constexpr (kernel<Op, reference, F>::available)
            kernel<Op, reference, F>::run(reference{}, std::forward<Args>(args)...);
        else
            no_kernel<Op, F, B, reference>::run(args...);
    } else if constexpr (kernel<Op, B, F>::available) {
        kernel<Op, B, F>::run(be, std::forward<Args>(args)...);
    } else if constexpr (kernel<Op, reference, F>::available) {
        kernel<Op, reference, F>::run(reference{}, std::forward<Args>(args)...);
    } else {
        no_kernel<Op, F, B, reference>::run(args...);
    }
}

} // namespace qforge
