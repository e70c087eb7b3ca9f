// qforge/core/meta.hpp: the few Boost.Mp11 pieces the library uses, under names that say what they do.
// Type lists are closed lists (formats, arches); code visits them with folds and mp_with_index, never with
// hand-written recursion.
#pragma once

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "qforge/core/error.hpp"

namespace qforge::meta {

using boost::mp11::mp_at_c;
using boost::mp11::mp_contains;
using boost::mp11::mp_for_each;
using boost::mp11::mp_list;
using boost::mp11::mp_size;
using boost::mp11::mp_with_index;

template <class List>
inline constexpr std::size_t size = mp_size<List>::value;

template <class List, class T>
inline constexpr bool contains = mp_contains<List, T>::value;

// The position of T in List; a compile-time error naming the problem when T is not there.
template <class List, class T>
constexpr std::size_t index_of_impl() {
    static_assert(mp_contains<List, T>::value, "qforge::meta::index_of: the type is not in the list");
    return boost::mp11::mp_find<List, T>::value;
}
template <class List, class T>
inline constexpr std::size_t index_of = index_of_impl<List, T>();

// The I-th type of List.
template <class List, std::size_t I>
using at = mp_at_c<List, I>;

// Calls f(std::type_identity<T>{}) for each T in List, in order. Unlike mp_for_each it never constructs a T,
// so it works for types without a default constructor.
template <class List, class F>
constexpr void for_each_type(F&& f) {
    mp_for_each<boost::mp11::mp_transform<std::type_identity, List>>(f);
}

// Calls f(std::type_identity<T>{}) with T the i-th type of List, i known only at run time; returns what f
// returns (the same type for every T). An index out of range is a qforge::error, not UB.
template <class List, class F>
decltype(auto) with_index(std::size_t i, F&& f) {
    static_assert(size<List> > 0, "qforge::meta::with_index: the list is empty");
    if (i >= size<List>)
        throw error(errc::invalid_argument, "type index " + std::to_string(i) + " is out of range for a list of " +
                                                std::to_string(size<List>));
    return mp_with_index<size<List>>(
        i, [&f](auto I) -> decltype(auto) { return f(std::type_identity<mp_at_c<List, decltype(I)::value>>{}); });
}

} // namespace qforge::meta
