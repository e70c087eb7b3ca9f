// qforge/core/extents.hpp: the shape of a tensor, each dimension known at compile time or at run time
// (mdspan's idea: extents<4096, dynamic> is a 4096 x n matrix shape that stores only n). Static dimensions
// cost nothing and let mismatches fail at compile time; dynamic ones are checked at run time with an error
// that prints both shapes.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "qforge/core/error.hpp"

namespace qforge {

// The extent that is known only at run time.
inline constexpr std::size_t dynamic = std::dynamic_extent;

template <std::size_t... E>
class extents;

template <class T>
inline constexpr bool is_extents_v = false;
template <std::size_t... E>
inline constexpr bool is_extents_v<extents<E...>> = true;

// A qforge::extents<...> type.
template <class T>
concept Extents = is_extents_v<std::remove_cvref_t<T>>;

namespace extents_detail {

// Converts one user-given extent, refusing negative values (a signed index type is allowed for convenience).
template <std::integral I>
constexpr std::size_t to_extent(I v) {
    if constexpr (std::is_signed_v<I>) {
        if (v < 0) throw error(errc::shape, "negative extent " + std::to_string(v));
    }
    return static_cast<std::size_t>(v);
}

inline std::string extent_string(std::size_t e) { return e == dynamic ? std::string("dynamic") : std::to_string(e); }

} // namespace extents_detail

template <std::size_t... E>
class extents {
    // Usable in member declarations (member functions are not, until the class is complete).
    static constexpr std::size_t rank_ = sizeof...(E);
    static constexpr std::size_t rank_dynamic_ = ((E == dynamic ? 1u : 0u) + ... + 0u);

    static constexpr std::array<std::size_t, sizeof...(E)> statics_{E...};

    // dyn_index_[i]: the position of dimension i among the dynamic ones (meaningful for dynamic i only).
    static constexpr std::array<std::size_t, sizeof...(E)> dyn_index_ = [] {
        std::array<std::size_t, sizeof...(E)> r{};
        std::size_t k = 0;
        for (std::size_t i = 0; i < sizeof...(E); ++i) r[i] = statics_[i] == dynamic ? k++ : 0;
        return r;
    }();

    template <std::size_t... F>
    static constexpr bool static_extents_agree() noexcept {
        if constexpr (sizeof...(F) != rank_) {
            return false;
        } else {
            return ((E == dynamic || F == dynamic || E == F) && ...);
        }
    }
    template <std::size_t... F>
    static constexpr bool conversion_cannot_fail() noexcept {
        if constexpr (sizeof...(F) != rank_) {
            return true; // never reached: the static_assert in the constructor fires first
        } else {
            return ((E == dynamic || E == F) && ...);
        }
    }

public:
    using index_type = std::size_t;

    static constexpr std::size_t rank() noexcept { return rank_; }
    static constexpr std::size_t rank_dynamic() noexcept { return rank_dynamic_; }
    static constexpr std::size_t static_extent(std::size_t i) noexcept { return statics_[i]; }
    static constexpr bool is_static() noexcept { return rank_dynamic() == 0; }

    // Every dynamic extent 0 (as std::mdspan does); a fully static shape is complete.
    constexpr extents() noexcept = default;

    // The dynamic extents only, in order: extents<4096, dynamic>(n).
    template <std::integral... I>
        requires(sizeof...(I) == rank_dynamic() && rank_dynamic() > 0)
    constexpr explicit extents(I... dyn) : dyn_{extents_detail::to_extent(dyn)...} {
        check_size_fits();
    }

    // Every extent: extents<4096, dynamic>(4096, n). A value that contradicts a static extent is an error.
    template <std::integral... I>
        requires(sizeof...(I) == rank() && rank_dynamic() != rank())
    constexpr explicit extents(I... all) {
        assign(std::array<std::size_t, rank_>{extents_detail::to_extent(all)...});
    }

    // From a run-time list of dimensions (e.g. read from a file): the rank and static extents are checked.
    static constexpr extents from(std::span<const std::size_t> dims) {
        extents r;
        if (dims.size() != rank())
            throw error(errc::shape, "expected a rank-" + std::to_string(rank()) + " shape " + type_string() +
                                         ", got rank " + std::to_string(dims.size()));
        std::array<std::size_t, rank_> a{};
        for (std::size_t i = 0; i < rank(); ++i) a[i] = dims[i];
        r.assign(a);
        return r;
    }

    // Conversion between compatible extents (same rank, no two different static values). Implicit when it
    // cannot fail (every static extent of the target is static in the source), explicit and checked otherwise.
    // A conversion that can never succeed stays implicit so that it reaches the static_assert below instead
    // of failing with "no viable conversion".
    template <std::size_t... F>
    constexpr explicit(!conversion_cannot_fail<F...>() && static_extents_agree<F...>())
        extents(const extents<F...>& other) {
        static_assert(sizeof...(F) == rank_, "qforge::extents: cannot convert between shapes of different rank");
        static_assert(static_extents_agree<F...>(), "qforge::extents: shape mismatch: the static extents differ");
        if constexpr (static_extents_agree<F...>()) {
            std::array<std::size_t, rank_> a{};
            for (std::size_t i = 0; i < rank(); ++i) a[i] = other.extent(i);
            assign(a);
        }
    }

    constexpr std::size_t extent(std::size_t i) const noexcept {
        return statics_[i] != dynamic ? statics_[i] : dyn_[dyn_index_[i]];
    }

    // The number of elements (1 for rank 0).
    constexpr std::size_t size() const noexcept {
        std::size_t n = 1;
        for (std::size_t i = 0; i < rank(); ++i) n *= extent(i);
        return n;
    }

    // Row-major linear index of a multi-index (no bounds check; see contains()).
    template <std::integral... I>
        requires(sizeof...(I) == rank())
    constexpr std::size_t linear_index(I... idx) const noexcept {
        std::size_t off = 0, k = 0;
        ((off = off * extent(k++) + static_cast<std::size_t>(idx)), ...);
        return off;
    }

    template <std::integral... I>
        requires(sizeof...(I) == rank())
    constexpr bool contains(I... idx) const noexcept {
        std::size_t k = 0;
        const auto inside = [this](auto v, std::size_t dim) {
            if constexpr (std::is_signed_v<decltype(v)>) {
                if (v < 0) return false;
            }
            return static_cast<std::size_t>(v) < extent(dim);
        };
        return (inside(idx, k++) && ...);
    }

    constexpr std::array<std::size_t, rank_> to_array() const noexcept {
        std::array<std::size_t, rank_> a{};
        for (std::size_t i = 0; i < rank(); ++i) a[i] = extent(i);
        return a;
    }

    // "[4096, 7]"
    std::string to_string() const {
        std::string s = "[";
        for (std::size_t i = 0; i < rank(); ++i) s += (i ? ", " : "") + std::to_string(extent(i));
        return s + "]";
    }

    // "extents<4096, dynamic>"
    static std::string type_string() {
        std::string s = "extents<";
        for (std::size_t i = 0; i < rank(); ++i) s += (i ? ", " : "") + extents_detail::extent_string(statics_[i]);
        return s + ">";
    }

    template <std::size_t... F>
    friend constexpr bool operator==(const extents& a, const extents<F...>& b) noexcept {
        if constexpr (sizeof...(F) != sizeof...(E)) {
            return false;
        } else {
            for (std::size_t i = 0; i < rank(); ++i)
                if (a.extent(i) != b.extent(i)) return false;
            return true;
        }
    }

private:
    template <std::size_t...>
    friend class extents;

    constexpr void assign(const std::array<std::size_t, rank_>& a) {
        for (std::size_t i = 0; i < rank(); ++i) {
            if (statics_[i] == dynamic) {
                dyn_[dyn_index_[i]] = a[i];
            } else if (a[i] != statics_[i]) {
                std::string got = "[";
                for (std::size_t j = 0; j < rank(); ++j) got += (j ? ", " : "") + std::to_string(a[j]);
                throw error(errc::shape, "shape mismatch: " + got + "] does not fit " + type_string() +
                                             " (dimension " + std::to_string(i) + " must be " +
                                             std::to_string(statics_[i]) + ")");
            }
        }
        check_size_fits();
    }

    // A hostile shape (say, from a file) must not overflow size() silently.
    constexpr void check_size_fits() const {
        std::size_t n = 1;
        for (std::size_t i = 0; i < rank(); ++i) {
            const std::size_t e = extent(i);
            if (e != 0 && n > static_cast<std::size_t>(-1) / e)
                throw error(errc::shape, "shape " + to_string() + " has more elements than size_t can count");
            n *= e;
        }
    }

    [[no_unique_address]] std::array<std::size_t, rank_dynamic_> dyn_{};
};

namespace extents_detail {
template <class Seq>
struct all_dynamic;
template <std::size_t... I>
struct all_dynamic<std::index_sequence<I...>> {
    using type = extents<((void)I, dynamic)...>;
};
} // namespace extents_detail

// Every extent dynamic: dextents<2> is a matrix shape known only at run time.
template <std::size_t Rank>
using dextents = typename extents_detail::all_dynamic<std::make_index_sequence<Rank>>::type;

// Whether two extents types can describe the same shape: same rank, and no dimension static in both with
// different values. Incompatible types can never match, so code that needs equal shapes rejects them at
// compile time.
namespace extents_detail {
template <class A, class B>
constexpr bool statics_agree() noexcept {
    for (std::size_t i = 0; i < A::rank(); ++i) {
        const std::size_t a = A::static_extent(i), b = B::static_extent(i);
        if (a != dynamic && b != dynamic && a != b) return false;
    }
    return true;
}
} // namespace extents_detail

template <class A, class B>
concept CompatibleExtents = Extents<A> && Extents<B> && (A::rank() == B::rank()) &&
                            extents_detail::statics_agree<A, B>();

// Requires a == b: a compile-time error when the static extents already differ, else a run-time
// qforge::error(errc::shape) naming `what` and both shapes.
template <Extents A, Extents B>
constexpr void check_same_shape(const A& a, const B& b, std::string_view what) {
    static_assert(A::rank() == B::rank(), "qforge: shape mismatch: the tensors have different ranks");
    static_assert(CompatibleExtents<A, B>, "qforge: shape mismatch: the static extents differ");
    if (!(a == b))
        throw error(errc::shape, std::string(what) + ": shape mismatch: " + a.to_string() + " vs " + b.to_string());
}

} // namespace qforge
