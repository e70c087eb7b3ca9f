// qforge/core/json.hpp: a small, strict JSON value, parser and serializer (RFC 8259).
// Why our own: the Boost we target (1.74) has no Boost.JSON, and encodings files (QNN overrides) are small.
// Strict means: no comments, no trailing commas, no NaN/Infinity, no duplicate object keys, no control
// characters in strings, no bytes after the value. Every parse error names line:column (1-based).
// Nesting is bounded (parse_options::max_depth), so hostile input cannot exhaust the stack.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "qforge/core/error.hpp"

namespace qforge::json {

enum class kind { null, boolean, number, string, array, object };

constexpr std::string_view kind_name(kind k) noexcept {
    switch (k) {
    case kind::null: return "null";
    case kind::boolean: return "boolean";
    case kind::number: return "number";
    case kind::string: return "string";
    case kind::array: return "array";
    case kind::object: return "object";
    }
    return "?";
}

struct member;
class value;
using array = std::vector<value>;
using object = std::vector<member>; // insertion order is kept: files we write read the way we wrote them

// Constructors and special members are defined after `member`: `object` holds members, which must be
// complete before any of them is instantiated (clang checks this eagerly).
class value {
public:
    value() noexcept;
    value(std::nullptr_t) noexcept;
    value(bool b) noexcept;
    value(double d) noexcept;
    value(float f) noexcept;
    value(int i) noexcept;
    value(std::int64_t i) noexcept;
    value(std::string s) noexcept;
    value(std::string_view s);
    value(const char* s);
    value(array a) noexcept;
    value(object o) noexcept;
    value(const value&);
    value(value&&) noexcept;
    value& operator=(const value&);
    value& operator=(value&&) noexcept;
    ~value();

    kind type() const noexcept { return static_cast<kind>(v_.index()); }
    bool is_null() const noexcept { return type() == kind::null; }
    bool is_bool() const noexcept { return type() == kind::boolean; }
    bool is_number() const noexcept { return type() == kind::number; }
    bool is_string() const noexcept { return type() == kind::string; }
    bool is_array() const noexcept { return type() == kind::array; }
    bool is_object() const noexcept { return type() == kind::object; }
    // A number written without fraction or exponent that fits an int64 (so 8 is, 8.0 and 1e3 are not).
    bool is_integer() const noexcept { return is_number() && is_int_; }

    bool as_bool() const { return get<bool>(kind::boolean); }
    double as_number() const { return get<double>(kind::number); }
    std::int64_t as_int64() const {
        if (!is_integer())
            throw error(errc::type, std::string("JSON: expected an integer, got ") +
                                        (is_number() ? "a non-integer number" : std::string(kind_name(type()))));
        return int_;
    }
    const std::string& as_string() const { return get<std::string>(kind::string); }
    const array& as_array() const { return get<array>(kind::array); }
    array& as_array() { return get<array>(kind::array); }
    const object& as_object() const { return get<object>(kind::object); }
    object& as_object() { return get<object>(kind::object); }

    // The member named key of an object, or nullptr when absent. Throws if this is not an object.
    inline const value* find(std::string_view key) const;

    friend bool operator==(const value& a, const value& b);

private:
    template <class T>
    const T& get(kind want) const {
        if (type() != want)
            throw error(errc::type, "JSON: expected " + std::string(kind_name(want)) + ", got " +
                                        std::string(kind_name(type())));
        return std::get<T>(v_);
    }
    template <class T>
    T& get(kind want) {
        return const_cast<T&>(std::as_const(*this).get<T>(want));
    }

    std::variant<std::nullptr_t, bool, double, std::string, array, object> v_;
    std::int64_t int_ = 0;
    bool is_int_ = false;
};

struct member {
    std::string key;
    value val;
    friend bool operator==(const member&, const member&) = default;
};

inline value::value() noexcept : v_(nullptr) {}
inline value::value(std::nullptr_t) noexcept : v_(nullptr) {}
inline value::value(bool b) noexcept : v_(b) {}
inline value::value(double d) noexcept : v_(d) {}
inline value::value(float f) noexcept : v_(static_cast<double>(f)) {}
inline value::value(int i) noexcept : v_(static_cast<double>(i)), int_(i), is_int_(true) {}
inline value::value(std::int64_t i) noexcept : v_(static_cast<double>(i)), int_(i), is_int_(true) {}
inline value::value(std::string s) noexcept : v_(std::move(s)) {}
inline value::value(std::string_view s) : v_(std::string(s)) {}
inline value::value(const char* s) : v_(std::string(s)) {}
inline value::value(array a) noexcept : v_(std::move(a)) {}
inline value::value(object o) noexcept : v_(std::move(o)) {}
inline value::value(const value&) = default;
inline value::value(value&&) noexcept = default;
inline value& value::operator=(const value&) = default;
inline value& value::operator=(value&&) noexcept = default;
inline value::~value() = default;

inline bool operator==(const value& a, const value& b) {
    return a.v_ == b.v_ && a.is_int_ == b.is_int_ && a.int_ == b.int_;
}

inline const value* value::find(std::string_view key) const {
    for (const member& m : as_object())
        if (m.key == key) return &m.val;
    return nullptr;
}

struct parse_options {
    std::size_t max_depth = 128; // arrays and objects nested deeper than this are rejected
};

struct serialize_options {
    int indent = 2;             // spaces per level; 0 writes everything on one line
    std::size_t max_depth = 1024; // deeper values (only buildable in code) are refused, not a stack overflow
};

namespace detail {

class parser {
public:
    parser(std::string_view text, parse_options opt) : s_(text), opt_(opt) {}

    value run() {
        skip_ws();
        value v = parse_value(0);
        skip_ws();
        if (pos_ != s_.size()) fail("unexpected characters after the JSON value");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }
    [[noreturn]] void fail_at(std::size_t at, const std::string& what) const {
        std::size_t line = 1, col = 1;
        for (std::size_t i = 0; i < at && i < s_.size(); ++i) {
            if (s_[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        throw error(errc::format, "JSON " + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
    }

    bool eof() const noexcept { return pos_ >= s_.size(); }
    char peek() const noexcept { return eof() ? '\0' : s_[pos_]; }

    void skip_ws() noexcept {
        while (!eof() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
    }

    static std::string describe(char c) {
        if (c == '\0') return "end of input";
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
            const char* hex = "0123456789abcdef";
            const auto u = static_cast<unsigned char>(c);
            return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
        }
        return std::string("'") + c + "'";
    }

    void expect_literal(std::string_view lit) {
        if (s_.substr(pos_, lit.size()) != lit) fail("invalid literal (expected '" + std::string(lit) + "')");
        pos_ += lit.size();
    }

    value parse_value(std::size_t depth) {
        switch (peek()) {
        case '{': return parse_object(depth + 1);
        case '[': return parse_array(depth + 1);
        case '"': return value(parse_string());
        case 't': expect_literal("true"); return value(true);
        case 'f': expect_literal("false"); return value(false);
        case 'n': expect_literal("null"); return value(nullptr);
        default:
            if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
            fail("expected a value, found " + describe(peek()));
        }
    }

    void check_depth(std::size_t depth) const {
        if (depth > opt_.max_depth)
            fail("nesting deeper than " + std::to_string(opt_.max_depth) + " levels");
    }

    value parse_array(std::size_t depth) {
        check_depth(depth);
        ++pos_; // '['
        array a;
        skip_ws();
        if (peek() == ']') {
            ++pos_;
            return value(std::move(a));
        }
        for (;;) {
            skip_ws();
            a.push_back(parse_value(depth));
            skip_ws();
            if (peek() == ',') {
                ++pos_;
                skip_ws();
                if (peek() == ']') fail("trailing comma in array");
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return value(std::move(a));
            }
            fail("expected ',' or ']' in array, found " + describe(peek()));
        }
    }

    value parse_object(std::size_t depth) {
        check_depth(depth);
        ++pos_; // '{'
        object o;
        skip_ws();
        if (peek() == '}') {
            ++pos_;
            return value(std::move(o));
        }
        for (;;) {
            skip_ws();
            if (peek() != '"') fail("expected a string key in object, found " + describe(peek()));
            const std::size_t key_at = pos_;
            std::string key = parse_string();
            for (const member& m : o)
                if (m.key == key) fail_at(key_at, "duplicate key \"" + key + "\"");
            skip_ws();
            if (peek() != ':') fail("expected ':' after object key, found " + describe(peek()));
            ++pos_;
            skip_ws();
            value v = parse_value(depth);
            o.push_back(member{std::move(key), std::move(v)});
            skip_ws();
            if (peek() == ',') {
                ++pos_;
                skip_ws();
                if (peek() == '}') fail("trailing comma in object");
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                return value(std::move(o));
            }
            fail("expected ',' or '}' in object, found " + describe(peek()));
        }
    }

    unsigned hex4() {
        if (s_.size() - pos_ < 4) fail("truncated \\u escape");
        unsigned u = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[pos_++];
            u <<= 4;
            if (c >= '0' && c <= '9') u |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') u |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') u |= static_cast<unsigned>(c - 'A' + 10);
            else fail_at(pos_ - 1, "invalid hex digit in \\u escape");
        }
        return u;
    }

    static void append_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }

    std::string parse_string() {
        const std::size_t start = pos_;
        ++pos_; // '"'
        std::string out;
        for (;;) {
            if (eof()) fail_at(start, "unterminated string");
            const char c = s_[pos_];
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) fail("control character " + describe(c) + " in string");
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            ++pos_;
            if (eof()) fail_at(start, "unterminated string");
            const char e = s_[pos_++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned cp = hex4();
                if (cp >= 0xd800 && cp <= 0xdbff) { // a high surrogate must be followed by a low one
                    if (s_.substr(pos_, 2) != "\\u") fail("unpaired UTF-16 surrogate in \\u escape");
                    pos_ += 2;
                    const unsigned lo = hex4();
                    if (lo < 0xdc00 || lo > 0xdfff) fail("unpaired UTF-16 surrogate in \\u escape");
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    fail("unpaired UTF-16 surrogate in \\u escape");
                }
                append_utf8(out, cp);
                break;
            }
            default: fail_at(pos_ - 1, "invalid escape " + describe(e) + " in string");
            }
        }
    }

    value parse_number() {
        const std::size_t start = pos_;
        bool integral = true;
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
            if (peek() >= '0' && peek() <= '9') fail("leading zero in number");
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') ++pos_;
        } else {
            fail("expected a digit in number, found " + describe(peek()));
        }
        if (peek() == '.') {
            integral = false;
            ++pos_;
            if (!(peek() >= '0' && peek() <= '9')) fail("expected a digit after '.' in number");
            while (peek() >= '0' && peek() <= '9') ++pos_;
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!(peek() >= '0' && peek() <= '9')) fail("expected a digit in exponent");
            while (peek() >= '0' && peek() <= '9') ++pos_;
        }
        const char* first = s_.data() + start;
        const char* last = s_.data() + pos_;
        if (integral) {
            std::int64_t i = 0;
            const auto r = std::from_chars(first, last, i);
            if (r.ec == std::errc() && r.ptr == last) return value(i);
            // Integers beyond int64 stay numbers (as doubles), like every JSON reader treats them.
        }
        double d = 0;
        const auto r = std::from_chars(first, last, d);
        if (r.ec == std::errc::result_out_of_range) fail_at(start, "number out of range");
        if (r.ec != std::errc() || r.ptr != last) fail_at(start, "malformed number");
        return value(d);
    }

    std::string_view s_;
    parse_options opt_;
    std::size_t pos_ = 0;
};

inline void write_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                const char* hex = "0123456789abcdef";
                out += "\\u00";
                out += hex[(c >> 4) & 15];
                out += hex[c & 15];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

inline void write_number(std::string& out, const value& v) {
    char buf[32];
    if (v.is_integer()) {
        const auto r = std::to_chars(buf, buf + sizeof buf, v.as_int64());
        out.append(buf, r.ptr);
        return;
    }
    const double d = v.as_number();
    if (!std::isfinite(d)) throw error(errc::invalid_argument, "JSON: cannot write a non-finite number");
    const auto r = std::to_chars(buf, buf + sizeof buf, d); // shortest text that reads back the same double
    out.append(buf, r.ptr);
    // Keep a written non-integer recognisably a number with a fraction when it reads back ("2" would not).
    if (std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)).find_first_of(".eE") == std::string_view::npos)
        out += ".0";
}

inline void newline(std::string& out, const serialize_options& opt, int level) {
    if (opt.indent <= 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(opt.indent * level), ' ');
}

// Recursion here is bounded by serialize_options::max_depth.
inline void write_value(std::string& out, const value& v, const serialize_options& opt, int level) {
    if (static_cast<std::size_t>(level) > opt.max_depth)
        throw error(errc::invalid_argument, "JSON: value nested deeper than " + std::to_string(opt.max_depth) + " levels");
    switch (v.type()) {
    case kind::null: out += "null"; return;
    case kind::boolean: out += v.as_bool() ? "true" : "false"; return;
    case kind::number: write_number(out, v); return;
    case kind::string: write_string(out, v.as_string()); return;
    case kind::array: {
        const array& a = v.as_array();
        if (a.empty()) {
            out += "[]";
            return;
        }
        out += '[';
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (i) out += ',';
            newline(out, opt, level + 1);
            write_value(out, a[i], opt, level + 1);
        }
        newline(out, opt, level);
        out += ']';
        return;
    }
    case kind::object: {
        const object& o = v.as_object();
        if (o.empty()) {
            out += "{}";
            return;
        }
        out += '{';
        for (std::size_t i = 0; i < o.size(); ++i) {
            if (i) out += ',';
            newline(out, opt, level + 1);
            write_string(out, o[i].key);
            out += opt.indent > 0 ? ": " : ":";
            write_value(out, o[i].val, opt, level + 1);
        }
        newline(out, opt, level);
        out += '}';
        return;
    }
    }
}

} // namespace detail

// Parses one JSON text. Throws qforge::error(errc::format) naming line:column on malformed input.
inline value parse(std::string_view text, parse_options opt = {}) { return detail::parser(text, opt).run(); }

// Writes v as JSON text; numbers use the shortest form that reads back to the same double.
inline std::string serialize(const value& v, serialize_options opt = {}) {
    std::string out;
    detail::write_value(out, v, opt, 0);
    return out;
}

} // namespace qforge::json
