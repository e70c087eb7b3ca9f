// qforge/io/gguf_print.hpp: human-readable (gguf-dump style) and JSON descriptions of a GGUF file, as
// printed by qforge-inspect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>

#include "qforge/io/gguf.hpp"
#include "qforge/io/json.hpp"

namespace qforge::gguf {

struct print_options {
    std::size_t array_items = 6;   // text: array elements shown before "..."
    std::size_t string_chars = 60; // text: bytes of a string shown before "..." (gguf-dump shows 60)
};

namespace detail {

// A string for a terminal: single-quoted, control bytes and invalid UTF-8 as \xNN, cut after `limit` bytes.
inline std::string printable(std::string_view s, std::size_t limit) {
    static const char hex[] = "0123456789abcdef";
    std::string out = "'";
    const bool cut = s.size() > limit;
    if (cut) s = s.substr(0, limit);
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = json::utf8_sequence_length(s, i);
        if (c == '\\' || c == '\'') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f || n == 0) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        ++i;
    }
    out += cut ? "'..." : "'";
    return out;
}

inline std::string array_text(const array& a, const print_options& o);

template <class T> std::string scalar_text(const T& v, const print_options& o) {
    if constexpr (std::is_same_v<T, std::string>) return printable(v, o.string_chars);
    else if constexpr (std::is_same_v<T, bool>) return v ? "True" : "False";
    else if constexpr (std::is_floating_point_v<T>) return json::number(v);
    else if constexpr (std::is_same_v<T, array>) return array_text(v, o);
    else return std::to_string(v);
}

inline std::string array_text(const array& a, const print_options& o) {
    std::string s = "[";
    std::visit(
        [&](const auto& items) {
            using item_type = typename std::decay_t<decltype(items)>::value_type;
            for (std::size_t i = 0; i < items.size() && i < o.array_items; ++i) {
                if (i) s += ", ";
                s += scalar_text<item_type>(items[i], o);
            }
            if (items.size() > o.array_items) s += ", ...";
        },
        a.data());
    return s + "]";
}

inline std::string value_text(const value& v, const print_options& o) {
    return std::visit([&](const auto& x) { return scalar_text(x, o); }, v.data());
}

inline std::string pad(std::string s, std::size_t width, bool right = false) {
    if (s.size() >= width) return s;
    return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

inline std::string shape_text(const tensor_info& t) {
    std::string s;
    for (const auto d : t.dims()) {
        if (!s.empty()) s += " x ";
        s += std::to_string(d);
    }
    return s;
}

template <class T> void json_item(json::writer& w, const T& v);

inline void json_array(json::writer& w, const array& a) {
    w.begin_array();
    std::visit(
        [&](const auto& items) {
            using item_type = typename std::decay_t<decltype(items)>::value_type;
            for (const auto& x : items) json_item<item_type>(w, x);
        },
        a.data());
    w.end_array();
}

template <class T> void json_item(json::writer& w, const T& v) {
    if constexpr (std::is_same_v<T, array>) json_array(w, v);
    else w.value(v);
}

} // namespace detail

// gguf-dump's layout: a numbered key/value list (arrays abbreviated, with their element count), then a
// tensor table.
inline void print_text(const file& f, std::ostream& os, const print_options& o = {}) {
    using detail::pad;
    os << "* File: " << f.name() << "\n";
    os << "* GGUF v" << f.version() << ", " << f.bytes().size() << " bytes, alignment " << f.alignment()
       << ", tensor data at byte " << f.data_offset() << "\n";
    os << "* " << f.metadata().size() << " key/value pair(s)\n";
    std::size_t i = 0;
    for (const auto& [key, v] : f.metadata()) {
        std::string type(to_string(v.type()));
        std::size_t count = 1;
        if (v.type() == value_type::array) {
            type = "[" + std::string(to_string(v.as<array>().element_type())) + "]";
            count = v.as<array>().size();
        }
        os << pad(std::to_string(++i), 7, true) << ": " << pad(type, 10) << " | " << pad(std::to_string(count), 8, true)
           << " | " << key << " = " << detail::value_text(v, o) << "\n";
    }
    os << "* " << f.tensors().size() << " tensor(s)\n";
    std::size_t name_w = 4;
    for (const auto& t : f.tensors()) name_w = std::max(name_w, t.name.size());
    os << pad("#", 7, true) << "  " << pad("name", name_w) << "  " << pad("type", 7) << "  " << pad("shape", 22) << "  "
       << pad("elements", 12, true) << "  " << pad("bytes", 12, true) << "  " << pad("offset", 12, true) << "\n";
    i = 0;
    for (const auto& t : f.tensors())
        os << pad(std::to_string(++i), 7, true) << "  " << pad(t.name, name_w) << "  " << pad(std::string(t.type_name()), 7)
           << "  " << pad(detail::shape_text(t), 22) << "  " << pad(std::to_string(t.n_elements), 12, true) << "  "
           << pad(std::to_string(t.n_bytes), 12, true) << "  " << pad(std::to_string(t.file_offset), 12, true) << "\n";
}

// The whole file as one JSON document: header facts, every metadata entry with its full value, every tensor
// (offsets absolute in the file, shape ne[0] first).
inline void print_json(const file& f, std::ostream& os, int indent = 2) {
    json::writer w(os, indent);
    w.begin_object();
    w.key("file").value(f.name());
    w.key("version").value(f.version());
    w.key("size").value(static_cast<std::uint64_t>(f.bytes().size()));
    w.key("alignment").value(f.alignment());
    w.key("data_offset").value(f.data_offset());
    w.key("metadata").begin_array();
    for (const auto& [key, v] : f.metadata()) {
        w.begin_object();
        w.key("key").value(key);
        w.key("type").value(to_string(v.type()));
        if (v.type() == value_type::array) {
            w.key("element_type").value(to_string(v.as<array>().element_type()));
            w.key("count").value(static_cast<std::uint64_t>(v.as<array>().size()));
        }
        w.key("value");
        std::visit([&](const auto& x) { detail::json_item(w, x); }, v.data());
        w.end_object();
    }
    w.end_array();
    w.key("tensors").begin_array();
    for (const auto& t : f.tensors()) {
        w.begin_object();
        w.key("name").value(t.name);
        w.key("type").value(t.type_name());
        w.key("type_id").value(t.type_id);
        w.key("shape").begin_array();
        for (const auto d : t.dims()) w.value(d);
        w.end_array();
        w.key("elements").value(t.n_elements);
        w.key("bytes").value(t.n_bytes);
        w.key("offset").value(t.file_offset);
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

} // namespace qforge::gguf
