// qforge/block/detail/ggml_math.hpp: the scalar arithmetic idioms of ggml's reference quantizers, written
// so that they reproduce ggml's x86-64 results bit for bit, have no undefined behaviour for any input, and
// vectorize when called in a loop over a block.
//
// Bit-exactness needs every a*b+c to be two roundings: the qforge CMake target compiles with
// -ffp-contract=off (see docs/formats-legacy.md). Everything here is element-wise and branch-free on purpose.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace qforge::block_detail {

// ggml converts floats to small integers with a plain C cast, which x86-64 compiles to cvttss2si: truncation
// toward zero, and the "integer indefinite" INT32_MIN for NaN and anything out of range. C++ calls that case
// undefined, so we select the out-of-range value first and convert only what is in range.
inline std::int32_t trunc_to_i32(float v) noexcept {
    const float in_range = std::fabs(v) < 2147483648.0f ? v : -2147483648.0f; // NaN compares false
    return static_cast<std::int32_t>(in_range);
}

// ggml's `(int8_t)f` and `(uint8_t)f`: cvttss2si, then the low byte (C++20 defines the narrowing as modular).
inline std::int8_t trunc_to_i8(float v) noexcept { return static_cast<std::int8_t>(trunc_to_i32(v)); }
inline std::uint8_t trunc_to_u8(float v) noexcept { return static_cast<std::uint8_t>(trunc_to_i32(v)); }

// roundf: to nearest, ties away from zero. v - trunc(v) is exact for every float, so the test is exact; NaN
// and infinities pass through unchanged, as with roundf.
inline float round_away(float v) noexcept {
    const float t = std::trunc(v);
    return std::fabs(v - t) >= 0.5f ? t + std::copysign(1.0f, v) : t;
}

// ggml's nearest_int: adds 1.5 * 2^23 so that the FPU's round-to-nearest-even does the rounding, then reads
// the integer from the mantissa. Exact for |v| <= 4194303; beyond that ggml only asserts (in debug builds),
// and this reproduces its release-build bits.
inline int nearest_int(float v) noexcept {
    const float biased = v + 12582912.0f;
    return static_cast<int>(std::bit_cast<std::uint32_t>(biased) & 0x007fffffu) - 0x00400000;
}

// Bits of |v| as an unsigned integer, with NaN mapped to 0. For non-NaN floats the integer order of these
// bits is the order of |v|, which lets an absolute-maximum search run as a (vectorizable) integer max.
inline std::uint32_t abs_bits_or_zero(float v) noexcept {
    const std::uint32_t a = std::bit_cast<std::uint32_t>(v) & 0x7fffffffu;
    return a > 0x7f800000u ? 0u : a;
}

// The value of ggml's absmax-with-sign search over n values:
//     amax = 0; max = 0; for v in x: if (amax < |v|) { amax = |v|; max = v; }
// i.e. the first value of largest magnitude (NaN never wins; +0 when all are zero). Two vectorizable passes:
// an integer max of |v| bits, then a bit mask of the positions that reach it.
template <int N>
inline float signed_absmax(const float* x) noexcept {
    static_assert(N <= 32);
    std::uint32_t amax = 0;
    for (int j = 0; j < N; ++j) {
        const std::uint32_t a = abs_bits_or_zero(x[j]);
        amax = a > amax ? a : amax;
    }
    if (amax == 0) return 0.0f;
    std::uint32_t hit = 0;
    for (int j = 0; j < N; ++j) hit |= static_cast<std::uint32_t>(abs_bits_or_zero(x[j]) == amax) << j;
    return x[std::countr_zero(hit)];
}

// max(|v|) as ggml's `amax = MAX(amax, fabsf(v))` from 0 computes it for inputs without NaN.
template <int N>
inline float absmax(const float* x) noexcept {
    std::uint32_t amax = 0;
    for (int j = 0; j < N; ++j) {
        const std::uint32_t a = abs_bits_or_zero(x[j]);
        amax = a > amax ? a : amax;
    }
    return std::bit_cast<float>(amax);
}

// ggml's E8M0 scale halved (GGML_E8M0_TO_FP32_HALF): 2^(e-128), as an exact float (subnormal for e < 2).
constexpr float e8m0_to_f32_half(std::uint8_t e) noexcept {
    const std::uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<std::uint32_t>(e - 1) << 23);
    return std::bit_cast<float>(bits);
}

// ggml's E8M0 scale (GGML_E8M0_TO_FP32): 2^(e-127).
constexpr float e8m0_to_f32(std::uint8_t e) noexcept {
    const std::uint32_t bits = e == 0 ? 0x00400000u : (static_cast<std::uint32_t>(e) << 23);
    return std::bit_cast<float>(bits);
}

// ggml's best_index_int8 for a sorted table of 16 values: the index of the nearest value, ties to the upper
// one, with ggml's own float arithmetic (the two differences are rounded floats, as in ggml). ggml finds the
// bracketing pair [mu-1, mu] by binary search; counting the values above v finds the same pair without
// branches (and maps NaN to 15, as the binary search does).
inline int best_index_16(const std::int8_t* values, float v) noexcept {
    int above = 0; // values[1..14] greater than v
    for (int k = 1; k < 15; ++k) above += v < static_cast<float>(values[k]) ? 1 : 0;
    const int mu = 15 - above;
    const float lo = static_cast<float>(values[mu - 1]);
    const float hi = static_cast<float>(values[mu]);
    const int inner = v - lo < hi - v ? mu - 1 : mu;
    return v <= static_cast<float>(values[0]) ? 0 : v >= static_cast<float>(values[15]) ? 15 : inner;
}

} // namespace qforge::block_detail
