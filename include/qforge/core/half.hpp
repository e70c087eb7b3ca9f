// qforge/core/half.hpp: IEEE binary16 (f16) and bfloat16 (bf16) value types.
// The portable conversions are exact (round to nearest even; NaN stays NaN and is quieted, keeping the top
// payload bits; infinities and subnormals are exact) and constexpr. They are the definition: the bulk
// conversions of core/half_convert.hpp (F16C, AVX-512, AVX-512 BF16 fast paths) agree with them bit for bit.
// bf16 -> f32 is a pure bit extension (NaN payloads, signalling or not, pass through unchanged).
#pragma once

#include <bit>
#include <cstdint>

namespace qforge {

namespace detail {

constexpr std::uint16_t f32_to_f16_bits(float f) noexcept {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const std::uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) // NaN: quiet it and keep the top 9 payload bits
        return static_cast<std::uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
    if (ax >= 0x477ff000u) // >= 65520 rounds to infinity (and infinity stays)
        return static_cast<std::uint16_t>(sign | 0x7c00u);
    const std::uint32_t e = ax >> 23;
    if (e < 113) { // below 2^-14: an f16 subnormal (or zero) in units of 2^-24
        if (e < 102) return static_cast<std::uint16_t>(sign); // below 2^-25: rounds to zero
        const std::uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        const std::uint32_t shift = 126 - e;
        std::uint32_t q = m >> shift;
        const std::uint32_t rem = m & ((1u << shift) - 1u);
        const std::uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1u))) ++q; // may carry into the smallest normal: correct
        return static_cast<std::uint16_t>(sign | q);
    }
    std::uint32_t h = ((e - 112) << 10) | ((ax & 0x7fffffu) >> 13);
    const std::uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h; // a carry into the exponent is correct
    return static_cast<std::uint16_t>(sign | h);
}

constexpr float f16_bits_to_f32(std::uint16_t h) noexcept {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t e = (h >> 10) & 0x1fu;
    const std::uint32_t m = h & 0x3ffu;
    if (e == 0) {
        const float v = static_cast<float>(m) * 0x1p-24f; // exact
        return sign ? -v : v;
    }
    // NaN is quieted (quiet bit set, payload kept), as IEEE 754 convertFormat and F16C's vcvtph2ps do;
    // infinities keep m == 0.
    if (e == 31) return std::bit_cast<float>(sign | 0x7f800000u | ((m != 0 ? (m | 0x200u) : 0u) << 13));
    return std::bit_cast<float>(sign | ((e + 112) << 23) | (m << 13));
}

constexpr std::uint16_t f32_to_bf16_bits(float f) noexcept {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u); // quiet NaN
    return static_cast<std::uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

constexpr float bf16_bits_to_f32(std::uint16_t b) noexcept {
    return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

} // namespace detail

// A 16-bit IEEE half. Trivially copyable, 2 bytes: it is the storage type inside GGUF blocks.
struct f16 {
    std::uint16_t bits = 0;

    static constexpr f16 from_bits(std::uint16_t b) noexcept { return f16{b}; }
    static constexpr f16 from_float(float f) noexcept { return f16{detail::f32_to_f16_bits(f)}; }
    constexpr float to_float() const noexcept { return detail::f16_bits_to_f32(bits); }
    constexpr explicit operator float() const noexcept { return to_float(); }
    friend constexpr bool operator==(f16, f16) = default;
};

// bfloat16: the top half of an f32.
struct bf16 {
    std::uint16_t bits = 0;

    static constexpr bf16 from_bits(std::uint16_t b) noexcept { return bf16{b}; }
    static constexpr bf16 from_float(float f) noexcept { return bf16{detail::f32_to_bf16_bits(f)}; }
    constexpr float to_float() const noexcept { return detail::bf16_bits_to_f32(bits); }
    constexpr explicit operator float() const noexcept { return to_float(); }
    friend constexpr bool operator==(bf16, bf16) = default;
};

static_assert(sizeof(f16) == 2 && alignof(f16) == 2);
static_assert(sizeof(bf16) == 2 && alignof(bf16) == 2);

constexpr float to_f32(f16 h) noexcept { return h.to_float(); }
constexpr float to_f32(bf16 h) noexcept { return h.to_float(); }

} // namespace qforge
