// qforge/io/json.hpp: a small streaming JSON emitter (RFC 8259) for tools' machine-readable output.
// Strings are escaped so that the output is always valid JSON, whatever bytes a file contained: valid UTF-8
// passes through, control characters become \uXXXX, and bytes that are not valid UTF-8 become U+FFFD.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "qforge/core/error.hpp"

namespace qforge::json {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if none starts there (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned c = b(i);
    if (c < 0x80) return 1;
    std::size_t n;
    unsigned lo = 0x80, hi = 0xbf; // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else
        return 0;
    if (i + n > s.size()) return 0;
    if (b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (b(i + k) < 0x80 || b(i + k) > 0xbf) return 0;
    return n;
}

// `s` as a JSON string literal, quotes included.
inline std::string quote(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        switch (c) {
        case '"': out += "\\\""; ++i; continue;
        case '\\': out += "\\\\"; ++i; continue;
        case '\b': out += "\\b"; ++i; continue;
        case '\f': out += "\\f"; ++i; continue;
        case '\n': out += "\\n"; ++i; continue;
        case '\r': out += "\\r"; ++i; continue;
        case '\t': out += "\\t"; ++i; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    out += '"';
    return out;
}

// Shortest text that reads back as the same float/double; NaN and infinities (not JSON numbers) as null.
template <class F>
    requires std::is_floating_point_v<F>
std::string number(F v) {
    if (!std::isfinite(v)) return "null";
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

// Streaming writer: begin_object/key/value/end_object, begin_array/value/end_array. Commas, indentation and
// nesting are handled here; misuse (a key outside an object, unbalanced ends) is a qforge::error.
class writer {
public:
    explicit writer(std::ostream& os, int indent = 2) : os_(os), indent_(indent) {}

    writer& begin_object() { return open('{', true); }
    writer& end_object() { return close('}', true); }
    writer& begin_array() { return open('[', false); }
    writer& end_array() { return close(']', false); }

    writer& key(std::string_view k) {
        require(!stack_.empty() && stack_.back().object && !key_pending_, errc::invalid_argument,
                "json: key outside an object");
        separate();
        os_ << quote(k) << (indent_ ? ": " : ":");
        key_pending_ = true;
        return *this;
    }

    writer& value(std::string_view s) { return raw(quote(s)); }
    writer& value(const char* s) { return value(std::string_view(s)); }
    writer& value(const std::string& s) { return value(std::string_view(s)); }
    writer& value(bool b) { return raw(b ? "true" : "false"); }
    writer& null() { return raw("null"); }
    template <class T>
        requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>)
    writer& value(T v) {
        return raw(std::to_string(v));
    }
    template <class T>
        requires std::is_floating_point_v<T>
    writer& value(T v) {
        return raw(number(v));
    }

    // Writes already-formatted JSON text as one value.
    writer& raw(std::string_view text) {
        before_value();
        os_ << text;
        return *this;
    }

    bool done() const noexcept { return stack_.empty() && wrote_root_; }

private:
    struct level {
        bool object;
        bool empty = true;
    };

    void newline(std::size_t depth) {
        if (!indent_) return;
        os_ << '\n';
        for (std::size_t i = 0; i < depth * static_cast<std::size_t>(indent_); ++i) os_ << ' ';
    }
    // A comma and line break before an element (not before a value that follows its key).
    void separate() {
        level& l = stack_.back();
        if (!l.empty) os_ << ',';
        l.empty = false;
        newline(stack_.size());
    }
    void before_value() {
        if (stack_.empty()) {
            require(!wrote_root_, errc::invalid_argument, "json: more than one root value");
            wrote_root_ = true;
            return;
        }
        if (stack_.back().object) {
            require(key_pending_, errc::invalid_argument, "json: value in an object without a key");
            key_pending_ = false;
        } else {
            separate();
        }
    }
    writer& open(char c, bool object) {
        before_value();
        os_ << c;
        stack_.push_back({object});
        return *this;
    }
    writer& close(char c, bool object) {
        require(!stack_.empty() && stack_.back().object == object && !key_pending_, errc::invalid_argument,
                "json: unbalanced end");
        const bool empty = stack_.back().empty;
        stack_.pop_back();
        if (!empty) newline(stack_.size());
        os_ << c;
        if (stack_.empty()) os_ << (indent_ ? "\n" : "");
        return *this;
    }

    std::ostream& os_;
    int indent_;
    std::vector<level> stack_;
    bool key_pending_ = false;
    bool wrote_root_ = false;
};

} // namespace qforge::json
