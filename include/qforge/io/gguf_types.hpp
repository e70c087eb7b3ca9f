// qforge/io/gguf_types.hpp: GGUF's metadata vocabulary: the value type ids as files store them, and the
// owning `value` / `array` that hold parsed metadata. Shared by the reader (gguf.hpp) and the writer
// (gguf_writer.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace qforge::gguf {

inline constexpr std::uint32_t magic = 0x46554747u; // "GGUF" read as a little-endian uint32
inline constexpr std::uint32_t default_alignment = 32;
inline constexpr std::uint32_t max_dims = 4; // GGML_MAX_DIMS

// Metadata value type ids, exactly as GGUF stores them (a uint32 before each value).
enum class value_type : std::uint32_t {
    uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, boolean = 7,
    string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12
};

inline constexpr std::uint32_t value_type_count = 13;

// gguf-py's spelling (UINT8 … FLOAT64), used in error messages and by qforge-inspect.
constexpr std::string_view to_string(value_type t) noexcept {
    switch (t) {
    case value_type::uint8: return "UINT8";
    case value_type::int8: return "INT8";
    case value_type::uint16: return "UINT16";
    case value_type::int16: return "INT16";
    case value_type::uint32: return "UINT32";
    case value_type::int32: return "INT32";
    case value_type::float32: return "FLOAT32";
    case value_type::boolean: return "BOOL";
    case value_type::string: return "STRING";
    case value_type::array: return "ARRAY";
    case value_type::uint64: return "UINT64";
    case value_type::int64: return "INT64";
    case value_type::float64: return "FLOAT64";
    }
    return "?";
}

// Bytes of one scalar in the file; 0 for string and array (variable size).
constexpr std::size_t scalar_size(value_type t) noexcept {
    switch (t) {
    case value_type::uint8: case value_type::int8: case value_type::boolean: return 1;
    case value_type::uint16: case value_type::int16: return 2;
    case value_type::uint32: case value_type::int32: case value_type::float32: return 4;
    case value_type::uint64: case value_type::int64: case value_type::float64: return 8;
    case value_type::string: case value_type::array: return 0;
    }
    return 0;
}

// The C++ type that holds one value of each scalar type. Index i of the variants below is value_type i.
template <value_type T> struct cpp_type;
template <> struct cpp_type<value_type::uint8> { using type = std::uint8_t; };
template <> struct cpp_type<value_type::int8> { using type = std::int8_t; };
template <> struct cpp_type<value_type::uint16> { using type = std::uint16_t; };
template <> struct cpp_type<value_type::int16> { using type = std::int16_t; };
template <> struct cpp_type<value_type::uint32> { using type = std::uint32_t; };
template <> struct cpp_type<value_type::int32> { using type = std::int32_t; };
template <> struct cpp_type<value_type::float32> { using type = float; };
template <> struct cpp_type<value_type::boolean> { using type = bool; };
template <> struct cpp_type<value_type::string> { using type = std::string; };
template <> struct cpp_type<value_type::uint64> { using type = std::uint64_t; };
template <> struct cpp_type<value_type::int64> { using type = std::int64_t; };
template <> struct cpp_type<value_type::float64> { using type = double; };

class array;

namespace detail {
template <class T> struct type_of_cpp;
template <> struct type_of_cpp<std::uint8_t> { static constexpr value_type value = value_type::uint8; };
template <> struct type_of_cpp<std::int8_t> { static constexpr value_type value = value_type::int8; };
template <> struct type_of_cpp<std::uint16_t> { static constexpr value_type value = value_type::uint16; };
template <> struct type_of_cpp<std::int16_t> { static constexpr value_type value = value_type::int16; };
template <> struct type_of_cpp<std::uint32_t> { static constexpr value_type value = value_type::uint32; };
template <> struct type_of_cpp<std::int32_t> { static constexpr value_type value = value_type::int32; };
template <> struct type_of_cpp<float> { static constexpr value_type value = value_type::float32; };
template <> struct type_of_cpp<bool> { static constexpr value_type value = value_type::boolean; };
template <> struct type_of_cpp<std::string> { static constexpr value_type value = value_type::string; };
template <> struct type_of_cpp<array> { static constexpr value_type value = value_type::array; };
template <> struct type_of_cpp<std::uint64_t> { static constexpr value_type value = value_type::uint64; };
template <> struct type_of_cpp<std::int64_t> { static constexpr value_type value = value_type::int64; };
template <> struct type_of_cpp<double> { static constexpr value_type value = value_type::float64; };
} // namespace detail

// The C++ types that are GGUF element types: the twelve scalars, std::string and gguf::array.
template <class T>
concept Element = requires { detail::type_of_cpp<T>::value; };

template <Element T> inline constexpr value_type value_type_of = detail::type_of_cpp<T>::value;

// A metadata array: one element type, then the elements. Elements of type ARRAY are arrays themselves and
// may each have their own element type (GGUF allows nested, ragged arrays).
class array {
public:
    // Index i is value_type i. (std::vector of the incomplete `array` is allowed since C++17.)
    using storage = std::variant<std::vector<std::uint8_t>, std::vector<std::int8_t>, std::vector<std::uint16_t>,
                                 std::vector<std::int16_t>, std::vector<std::uint32_t>, std::vector<std::int32_t>,
                                 std::vector<float>, std::vector<bool>, std::vector<std::string>,
                                 std::vector<array>, std::vector<std::uint64_t>, std::vector<std::int64_t>,
                                 std::vector<double>>;

    array() = default; // an empty array of UINT8
    template <Element T>
    explicit array(std::vector<T> items) : items_(std::in_place_index<index_of<T>()>, std::move(items)) {}
    // An empty array of element type t.
    explicit array(value_type t) { emplace_empty(t); }

    value_type element_type() const noexcept { return static_cast<value_type>(items_.index()); }
    std::size_t size() const noexcept {
        return std::visit([](const auto& v) { return v.size(); }, items_);
    }
    bool empty() const noexcept { return size() == 0; }

    template <Element T> bool holds() const noexcept { return items_.index() == index_of<T>(); }
    // The elements as a vector of T; the caller must have checked holds<T>() (std::bad_variant_access else).
    template <Element T> const std::vector<T>& items() const { return std::get<index_of<T>()>(items_); }
    template <Element T> std::vector<T>& items() { return std::get<index_of<T>()>(items_); }

    const storage& data() const noexcept { return items_; }

    friend bool operator==(const array&, const array&) = default;

private:
    template <Element T> static constexpr std::size_t index_of() {
        return static_cast<std::size_t>(value_type_of<T>);
    }
    void emplace_empty(value_type t);

    storage items_;
};

// One metadata value of any GGUF type.
class value {
public:
    using storage = std::variant<std::uint8_t, std::int8_t, std::uint16_t, std::int16_t, std::uint32_t, std::int32_t,
                                 float, bool, std::string, array, std::uint64_t, std::int64_t, double>;

    value() = default;
    template <Element T>
    value(T v) : v_(std::in_place_index<static_cast<std::size_t>(value_type_of<T>)>, std::move(v)) {}
    value(const char* s) : value(std::string(s)) {}
    value(std::string_view s) : value(std::string(s)) {}
    template <Element T> value(std::vector<T> items) : value(array(std::move(items))) {}

    value_type type() const noexcept { return static_cast<value_type>(v_.index()); }
    template <Element T> bool holds() const noexcept {
        return v_.index() == static_cast<std::size_t>(value_type_of<T>);
    }
    // The value as T; the caller must have checked holds<T>() (std::bad_variant_access else).
    template <Element T> const T& as() const { return std::get<static_cast<std::size_t>(value_type_of<T>)>(v_); }

    const storage& data() const noexcept { return v_; }

    friend bool operator==(const value&, const value&) = default;

private:
    storage v_;
};

inline void array::emplace_empty(value_type t) {
    switch (t) {
    case value_type::uint8: items_.emplace<0>(); break;
    case value_type::int8: items_.emplace<1>(); break;
    case value_type::uint16: items_.emplace<2>(); break;
    case value_type::int16: items_.emplace<3>(); break;
    case value_type::uint32: items_.emplace<4>(); break;
    case value_type::int32: items_.emplace<5>(); break;
    case value_type::float32: items_.emplace<6>(); break;
    case value_type::boolean: items_.emplace<7>(); break;
    case value_type::string: items_.emplace<8>(); break;
    case value_type::array: items_.emplace<9>(); break;
    case value_type::uint64: items_.emplace<10>(); break;
    case value_type::int64: items_.emplace<11>(); break;
    case value_type::float64: items_.emplace<12>(); break;
    }
}

// A short description of a value's type for messages: "UINT32", "ARRAY[FLOAT32]", "ARRAY[ARRAY]".
inline std::string type_name(const value& v) {
    if (v.type() != value_type::array) return std::string(to_string(v.type()));
    return "ARRAY[" + std::string(to_string(v.as<array>().element_type())) + "]";
}

} // namespace qforge::gguf
