// qforge/block/dispatch.hpp: from a runtime format (a GGUF type id or a name) to the compile-time format
// type. This is the one place where runtime-dispatched code (tools, the dynamic engine) turns into static
// code: the visitor is instantiated once per format in the closed list, and everything below it is the
// same statically specialized code a fixed engine uses.
#pragma once

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "qforge/block/all.hpp"
#include "qforge/core/error.hpp"

namespace qforge {

// Index of the format with GGUF id `id` in List, if any.
template <class List = ggml_formats>
constexpr std::optional<std::size_t> format_index(ggml_type id) noexcept {
    std::optional<std::size_t> found;
    std::size_t i = 0;
    boost::mp11::mp_for_each<List>([&](auto f) {
        if (decltype(f)::type_id == id && !found) found = i;
        ++i;
    });
    return found;
}

// Index of the format named `name` (GGUF spelling, case-insensitive) in List, if any.
template <class List = ggml_formats>
constexpr std::optional<std::size_t> format_index(std::string_view name) noexcept {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    std::optional<std::size_t> found;
    std::size_t i = 0;
    boost::mp11::mp_for_each<List>([&](auto f) {
        const std::string_view n = decltype(f)::name;
        bool eq = n.size() == name.size();
        for (std::size_t k = 0; eq && k < n.size(); ++k) eq = lower(name[k]) == n[k];
        if (eq && !found) found = i;
        ++i;
    });
    return found;
}

// Calls visitor(F{}) with the format type whose GGUF id is `id`; throws errc::unsupported otherwise.
template <class List = ggml_formats, class Visitor>
decltype(auto) visit_format(ggml_type id, Visitor&& visitor) {
    const auto i = format_index<List>(id);
    if (!i)
        throw error(errc::unsupported, "tensor type " + std::string(ggml_type_info(static_cast<std::uint32_t>(id)).name) +
                                           " (id " + std::to_string(static_cast<std::uint32_t>(id)) +
                                           ") is not supported by this build");
    return boost::mp11::mp_with_index<boost::mp11::mp_size<List>::value>(
        *i, [&](auto I) -> decltype(auto) { return visitor(boost::mp11::mp_at_c<List, decltype(I)::value>{}); });
}

// Calls visitor(F{}) with the format named `name`; throws errc::unsupported naming the known formats otherwise.
template <class List = ggml_formats, class Visitor>
decltype(auto) visit_format(std::string_view name, Visitor&& visitor) {
    const auto i = format_index<List>(name);
    if (!i) {
        std::string known;
        boost::mp11::mp_for_each<List>([&](auto f) {
            known += known.empty() ? "" : ", ";
            known += decltype(f)::name;
        });
        throw error(errc::unsupported, "unknown format '" + std::string(name) + "' (known: " + known + ")");
    }
    return boost::mp11::mp_with_index<boost::mp11::mp_size<List>::value>(
        *i, [&](auto I) -> decltype(auto) { return visitor(boost::mp11::mp_at_c<List, decltype(I)::value>{}); });
}

} // namespace qforge
