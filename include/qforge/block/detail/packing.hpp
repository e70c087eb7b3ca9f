// qforge/block/detail/packing.hpp: helpers shared by the generic block families (group_affine, block_int,
// binary, per_channel): a little-endian bit stream of small codes, scale storage types, and compile-time
// format names such as "group_affine_b4_g64_f16".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "qforge/core/half.hpp"

namespace qforge::block_detail {

// Code i of a stream of Bits-wide codes occupies bits [i*Bits, (i+1)*Bits), bit k of the stream being bit
// k % 8 of byte k / 8 (least significant first). For Bits in {1, 2, 4, 8} this is "element 0 in the low
// bits of byte 0"; for 3, 5, 6 codes straddle bytes. `bytes` must be zeroed before the first put.
template <int Bits>
constexpr void put_code(std::uint8_t* bytes, std::size_t i, unsigned code) noexcept {
    static_assert(Bits >= 1 && Bits <= 8);
    const std::size_t bit = i * Bits;
    const unsigned shift = bit % 8;
    const unsigned v = code & ((1u << Bits) - 1u);
    bytes[bit / 8] = static_cast<std::uint8_t>(bytes[bit / 8] | (v << shift));
    if (shift + Bits > 8) bytes[bit / 8 + 1] = static_cast<std::uint8_t>(bytes[bit / 8 + 1] | (v >> (8 - shift)));
}

template <int Bits>
constexpr unsigned get_code(const std::uint8_t* bytes, std::size_t i) noexcept {
    static_assert(Bits >= 1 && Bits <= 8);
    const std::size_t bit = i * Bits;
    const unsigned shift = bit % 8;
    unsigned v = static_cast<unsigned>(bytes[bit / 8]) >> shift;
    if (shift + Bits > 8) v |= static_cast<unsigned>(bytes[bit / 8 + 1]) << (8 - shift);
    return v & ((1u << Bits) - 1u);
}

// A rounded code clamped to [0, hi]; NaN (from NaN input) becomes 0 rather than undefined behaviour.
inline unsigned clamp_code(float v, unsigned hi) noexcept {
    if (!(v > 0.0f)) return 0;
    if (v >= static_cast<float>(hi)) return hi;
    return static_cast<unsigned>(v);
}

// Scale storage: f16, bf16 or float.
template <class S>
inline constexpr bool is_scale_type_v = std::is_same_v<S, f16> || std::is_same_v<S, bf16> || std::is_same_v<S, float>;

template <class S>
constexpr S store_scale(float v) noexcept {
    if constexpr (std::is_same_v<S, float>) return v;
    else return S::from_float(v);
}

template <class S>
constexpr float load_scale(S s) noexcept {
    if constexpr (std::is_same_v<S, float>) return s;
    else return s.to_float();
}

// Scale kept as raw little-endian bytes, so that a block needs no alignment and has no padding.
template <class S>
inline void put_scale_bytes(std::uint8_t (&out)[sizeof(S)], float v) noexcept {
    const S s = store_scale<S>(v);
    std::memcpy(out, &s, sizeof(S));
}

template <class S>
inline float get_scale_bytes(const std::uint8_t (&in)[sizeof(S)]) noexcept {
    S s;
    std::memcpy(&s, in, sizeof(S));
    return load_scale<S>(s);
}

template <class S>
constexpr std::string_view scale_suffix() noexcept {
    if constexpr (std::is_same_v<S, f16>) return "f16";
    else if constexpr (std::is_same_v<S, bf16>) return "bf16";
    else return "f32";
}

// A format name built at compile time.
struct format_name {
    std::array<char, 48> text{};
    std::size_t size = 0;

    constexpr format_name& add(std::string_view s) noexcept {
        for (const char c : s)
            if (size < text.size()) text[size++] = c;
        return *this;
    }
    constexpr format_name& add(std::size_t n) noexcept {
        char digits[20]{};
        std::size_t k = 0;
        do {
            digits[k++] = static_cast<char>('0' + n % 10);
            n /= 10;
        } while (n != 0);
        while (k > 0)
            if (size < text.size()) text[size++] = digits[--k];
            else --k;
        return *this;
    }
    constexpr std::string_view view() const noexcept { return {text.data(), size}; }
};

} // namespace qforge::block_detail
