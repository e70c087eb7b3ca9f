// qforge/quant/rounding.hpp: how a real number becomes an integer before saturation.
// nearest-even is ONNX QuantizeLinear's rule (and numpy's rint); half-away-from-zero is C's round() (ggml's
// choice); stochastic rounding rounds up with probability equal to the fraction, for research on unbiased
// quantization. The stochastic draw is a pure function of (seed, element index), so a result never depends on
// thread count or on the order elements are visited.
#pragma once

#include <cmath>
#include <cstdint>

namespace qforge::quant {

enum class round_mode {
    nearest_even,        // ties to even: 0.5 -> 0, 1.5 -> 2, -2.5 -> -2 (ONNX QuantizeLinear)
    half_away_from_zero, // ties away: 0.5 -> 1, -2.5 -> -3 (std::round)
    stochastic           // floor(v) + 1 with probability v - floor(v)
};

struct rounding_policy {
    round_mode mode = round_mode::nearest_even;
    std::uint64_t seed = 0; // stochastic only
};

// Exact for every finite double: v - floor(v) is computed without error.
inline double round_half_even(double v) noexcept {
    const double f = std::floor(v);
    const double frac = v - f;
    if (frac > 0.5) return f + 1.0;
    if (frac < 0.5) return f;
    return std::fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

inline double round_half_away(double v) noexcept { return std::round(v); }

// splitmix64: a well-mixed 64-bit hash; counter-based, so the stream needs no state.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// A uniform draw in [0, 1) for element `index` under `seed` (53 random bits).
constexpr double uniform01(std::uint64_t seed, std::uint64_t index) noexcept {
    return static_cast<double>(mix64(seed ^ mix64(index)) >> 11) * 0x1p-53;
}

inline double round_stochastic(double v, std::uint64_t seed, std::uint64_t index) noexcept {
    const double f = std::floor(v);
    return uniform01(seed, index) < v - f ? f + 1.0 : f;
}

// Rounds v under policy p; `index` identifies the element (used by stochastic rounding only).
inline double round_with(const rounding_policy& p, double v, std::uint64_t index = 0) noexcept {
    switch (p.mode) {
    case round_mode::nearest_even: return round_half_even(v);
    case round_mode::half_away_from_zero: return round_half_away(v);
    case round_mode::stochastic: return round_stochastic(v, p.seed, index);
    }
    return round_half_even(v);
}

} // namespace qforge::quant
