// qforge/block/detail/ggml_math.hpp: the scalar arithmetic idioms of ggml's reference quantizers, written
// so that they reproduce ggml's x86-64 results bit for bit, have no undefined behaviour for any input, and
// vectorize when called in a loop over a block.
//
// Bit-exactness needs every a*b+c to be two roundings: the qforge CMake target compiles with
// -ffp-contract=off (see docs/formats-legacy.md). Everything here is element-wise and branch-free on purpose.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace qforge::block_detail {

// ggml converts floats to small integers with a plain C cast, which x86-64 compiles to cvttss2si: truncation
// toward zero, and the "integer indefinite" INT32_MIN for NaN and anything out of range. C++ calls that case
// undefined, so we select the out-of-range value first and convert only what is in range. Checked against
// cvttss2si for all 2^32 floats.
inline std::int32_t trunc_to_i32(float v) noexcept {
    const float in_range = std::fabs(v) < 2147483648.0f ? v : -2147483648.0f; // NaN compares false
    return static_cast<std::int32_t>(in_range);
}

// ggml's `(int8_t)f` and `(uint8_t)f`: cvttss2si, then the low byte (C++20 defines the narrowing as modular).
inline std::int8_t trunc_to_i8(float v) noexcept { return static_cast<std::int8_t>(trunc_to_i32(v)); }
inline std::uint8_t trunc_to_u8(float v) noexcept { return static_cast<std::uint8_t>(trunc_to_i32(v)); }

// ggml's `(int8_t)roundf(v)`: round to nearest, ties away from zero, then cvttss2si's low byte. In integers,
// which vectorizes (truncf and float compares of a fraction do not, under GCC's default -ftrapping-math):
// i2 = trunc(2v) is exact, and round(|v|) = (trunc(2|v|) + 1) / 2. From 2^30 on, floats are integers and
// round(v) = v, so cvttss2si of v itself gives the answer (INT32_MIN, low byte 0, for NaN and |v| >= 2^31).
// Checked against roundf + cvttss2si for all 2^32 floats.
inline std::int8_t round_away_to_i8(float v) noexcept {
    const bool small = std::fabs(v) < 1073741824.0f;
    const std::int32_t i2 = static_cast<std::int32_t>(small ? v * 2.0f : 0.0f);
    const std::int32_t half = ((i2 < 0 ? -i2 : i2) + 1) >> 1;
    const std::int32_t r = small ? (i2 < 0 ? -half : half) : trunc_to_i32(v);
    return static_cast<std::int8_t>(r);
}

// ggml's nearest_int: adds 1.5 * 2^23 so that the FPU's round-to-nearest-even does the rounding, then reads
// the integer from the mantissa. Equals nearbyint for |v| <= 4194303 (checked for all such floats); beyond
// that ggml only asserts (in debug builds), and this reproduces its release-build bits.
inline int nearest_int(float v) noexcept {
    const float biased = v + 12582912.0f;
    return static_cast<int>(std::bit_cast<std::uint32_t>(biased) & 0x007fffffu) - 0x00400000;
}

// Bits of |v| as an unsigned integer, with NaN mapped to 0. For non-NaN floats the integer order of these
// bits is the order of |v|, which lets an absolute-maximum search run as a (vectorizable) integer max.
inline std::uint32_t abs_bits_or_zero(float v) noexcept {
    const std::uint32_t a = std::bit_cast<std::uint32_t>(v) & 0x7fffffffu;
    // A mask rather than a select: GCC turns a select feeding a max into a conditional reduction that it
    // does not vectorize.
    return a & (0u - static_cast<std::uint32_t>(a <= 0x7f800000u));
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
        amax = std::max(amax, abs_bits_or_zero(x[j]));
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
    for (int j = 0; j < N; ++j) amax = std::max(amax, abs_bits_or_zero(x[j]));
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
// bracketing pair [mu-1, mu] by binary search (val[mu-1] <= v < val[mu] for v inside the table's range);
// scanning the sorted table with selects finds the same pair without branches or table lookups, so a loop
// over a block vectorizes. NaN gives 15, as the binary search does. Also returns the chosen value.
struct level_choice {
    int index;
    float value;
};

inline level_choice nearest_level_16(const std::int8_t* values, float v) noexcept {
    int lo_index = 0;
    float lo = static_cast<float>(values[0]), hi = static_cast<float>(values[1]);
    for (int k = 1; k < 15; ++k) {
        const bool at_or_above = !(v < static_cast<float>(values[k]));
        lo_index = at_or_above ? k : lo_index;
        lo = at_or_above ? static_cast<float>(values[k]) : lo;
        hi = at_or_above ? static_cast<float>(values[k + 1]) : hi;
    }
    const bool lower = v - lo < hi - v;
    level_choice c{lower ? lo_index : lo_index + 1, lower ? lo : hi};
    if (v <= static_cast<float>(values[0])) c = {0, static_cast<float>(values[0])};
    if (v >= static_cast<float>(values[15])) c = {15, static_cast<float>(values[15])};
    return c;
}

// Order-preserving integer key of a float (-0 sorts just below +0), and back.
inline std::int32_t order_key(float v) noexcept {
    const std::int32_t k = std::bit_cast<std::int32_t>(v);
    return k ^ ((k >> 31) & 0x7fffffff);
}
inline float from_order_key(std::int32_t k) noexcept { return std::bit_cast<float>(k ^ ((k >> 31) & 0x7fffffff)); }

// ggml's affine range search over n values:
//     min = FLT_MAX; max = -FLT_MAX; for v in x: { if (v < min) min = v; if (v > max) max = v; }
// NaN never wins, and of equal values the first stays (which only shows for zeros: +0 before -0 keeps +0).
// As integer min/max reductions over order keys (which vectorize), with a fix-up for a zero result: then the
// first zero of the block is the answer.
template <int N>
inline void first_min_max(const float* x, float& min_out, float& max_out) noexcept {
    std::int32_t kmin = order_key(3.40282347e+38f), kmax = order_key(-3.40282347e+38f);
    for (int j = 0; j < N; ++j) {
        const std::int32_t k = order_key(x[j]);
        const std::uint32_t a = std::bit_cast<std::uint32_t>(x[j]) & 0x7fffffffu;
        const std::int32_t nan = -static_cast<std::int32_t>(a > 0x7f800000u); // all ones for NaN
        kmin = std::min(kmin, (k & ~nan) | (nan & 0x7fffffff));
        kmax = std::max(kmax, (k & ~nan) | (nan & static_cast<std::int32_t>(0x80000000u)));
    }
    min_out = from_order_key(kmin);
    max_out = from_order_key(kmax);
    if (min_out == 0.0f || max_out == 0.0f) {
        std::uint32_t zeros = 0;
        for (int j = 0; j < N; ++j)
            zeros |= static_cast<std::uint32_t>((std::bit_cast<std::uint32_t>(x[j]) & 0x7fffffffu) == 0) << j;
        const float first_zero = x[std::countr_zero(zeros)]; // a zero result came from some element
        if (min_out == 0.0f) min_out = first_zero;
        if (max_out == 0.0f) max_out = first_zero;
    }
}

} // namespace qforge::block_detail
