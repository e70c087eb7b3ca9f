// qforge/quant/scheme.hpp: a quantization scheme as plain settings, independent of how values are stored.
//   scheme_policy{.bits = 8, .symmetric = true, .granularity = quant::per_channel{0}}
// A scheme fixes the integer grid (bits, signedness, narrow range), how parameters are derived from a real
// range (affine: scale and zero point cover [min, max] and 0; symmetric: zero point fixed, scale covers
// max|x|), where parameters change (granularity), how values round, and what happens outside the grid.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "qforge/core/error.hpp"
#include "qforge/quant/granularity.hpp"
#include "qforge/quant/rounding.hpp"

namespace qforge::quant {

struct scheme_policy {
    int bits = 8;                              // 1..16 (symmetric needs at least 2)
    bool symmetric = false;                    // zero point pinned to the grid's middle (0 when signed)
    bool is_signed = true;                     // grid [-2^(b-1), 2^(b-1)-1] or unsigned [0, 2^b-1]
    bool narrow_range = false;                 // drop the lowest code: int8 in [-127, 127], uint8 in [1, 255]
    granularity_spec granularity = per_tensor{};
    rounding_policy rounding = {};
    bool saturate = true;                      // clamp to the grid; false: a value off the grid is an error
};

// The integer grid [lo, hi] of a scheme.
struct int_range {
    std::int32_t lo = 0;
    std::int32_t hi = 0;
    friend constexpr bool operator==(int_range, int_range) = default;
};

// The affine map of one parameter slot: real = (q - zero_point) * scale.
struct qparams {
    float scale = 1.0f;
    std::int32_t zero_point = 0;
    friend constexpr bool operator==(qparams, qparams) = default;
};

inline void validate(const scheme_policy& s) {
    if (s.bits < 1 || s.bits > 16)
        throw error(errc::invalid_argument, "scheme: bits must be in 1..16, got " + std::to_string(s.bits));
    if (s.symmetric && s.bits < 2)
        throw error(errc::invalid_argument, "scheme: a symmetric grid needs at least 2 bits");
    if (s.narrow_range && s.bits < 2)
        throw error(errc::invalid_argument, "scheme: narrow_range needs at least 2 bits");
}

inline int_range grid_of(const scheme_policy& s) {
    validate(s);
    int_range r;
    if (s.is_signed) {
        r.lo = -(std::int32_t{1} << (s.bits - 1));
        r.hi = (std::int32_t{1} << (s.bits - 1)) - 1;
    } else {
        r.lo = 0;
        r.hi = (std::int32_t{1} << s.bits) - 1;
    }
    if (s.narrow_range) ++r.lo;
    return r;
}

// Parameters that map the real range [lo, hi] onto the scheme's grid.
// Affine (as ONNX DynamicQuantizeLinear, in float): the range is widened to contain 0 so that 0 is exact,
// scale = (hi - lo) / (qmax - qmin), zero_point = saturate(round_half_even(qmin - lo / scale)).
// Symmetric: scale = max(|lo|, |hi|) / (2^(b-1) - 1); zero point 0 (signed) or 2^(b-1) (unsigned).
// An all-zero range gives scale 0, which quantizes everything to the zero point.
inline qparams params_for_range(const scheme_policy& s, float lo, float hi) {
    const int_range g = grid_of(s);
    if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
        throw error(errc::invalid_argument, "scheme: invalid real range [" + std::to_string(lo) + ", " +
                                                std::to_string(hi) + "]");
    qparams p;
    if (s.symmetric) {
        const float amax = std::max(std::fabs(lo), std::fabs(hi));
        const auto half = static_cast<float>((std::int32_t{1} << (s.bits - 1)) - 1);
        p.scale = amax / half;
        p.zero_point = s.is_signed ? 0 : (std::int32_t{1} << (s.bits - 1));
        return p;
    }
    const float rmin = std::min(lo, 0.0f);
    const float rmax = std::max(hi, 0.0f);
    p.scale = (rmax - rmin) / static_cast<float>(g.hi - g.lo);
    if (p.scale == 0.0f) {
        p.zero_point = std::clamp<std::int32_t>(0, g.lo, g.hi);
        return p;
    }
    const float zp = static_cast<float>(g.lo) - rmin / p.scale;
    const double clamped = std::clamp<double>(zp, g.lo, g.hi);
    p.zero_point = static_cast<std::int32_t>(round_half_even(clamped));
    return p;
}

} // namespace qforge::quant
