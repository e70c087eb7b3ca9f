// qforge/quant/affine.hpp: quantize and dequantize values and whole tensors with any scheme_policy.
// One element follows ONNX QuantizeLinear exactly:  q = saturate(round(x / scale) + zero_point),
// with x / scale computed in float, and DequantizeLinear:  x = (q - zero_point) * scale.
// Tensors are row-major data plus a shape; parameters are one qparams per slot of the scheme's granularity.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/quant/granularity.hpp"
#include "qforge/quant/rounding.hpp"
#include "qforge/quant/scheme.hpp"

namespace qforge::quant {

// One value. `index` feeds stochastic rounding only. A NaN input is an error (its code is undefined);
// infinities saturate.
inline std::int32_t quantize_value(float x, qparams p, int_range grid, const rounding_policy& rounding = {},
                                   bool saturate = true, std::uint64_t index = 0) {
    if (std::isnan(x)) throw error(errc::invalid_argument, "quantize: NaN at element " + std::to_string(index));
    double q;
    if (p.scale == 0.0f) {
        q = p.zero_point;
    } else {
        const float v = x / p.scale; // float division, as ONNX's reference computes it
        q = std::isinf(v) ? static_cast<double>(v) : round_with(rounding, v, index) + p.zero_point;
    }
    if (q < grid.lo || q > grid.hi) {
        if (!saturate)
            throw error(errc::invalid_argument, "quantize: element " + std::to_string(index) + " (" +
                                                    std::to_string(x) + ") falls outside the integer grid [" +
                                                    std::to_string(grid.lo) + ", " + std::to_string(grid.hi) +
                                                    "] and saturation is off");
        q = std::clamp<double>(q, grid.lo, grid.hi);
    }
    return static_cast<std::int32_t>(q);
}

inline float dequantize_value(std::int32_t q, qparams p) noexcept {
    return static_cast<float>(q - p.zero_point) * p.scale;
}

// A quantized tensor: integer codes (any width up to 16 bits fits an int32) and its parameters.
struct quantized_tensor {
    std::vector<std::int32_t> values;
    std::vector<qparams> params; // one per parameter slot of scheme.granularity
    std::vector<std::size_t> shape;
    scheme_policy scheme;
};

namespace detail {
inline void check_data(std::size_t have, const param_layout& l, std::string_view what) {
    if (have != l.elements)
        throw error(errc::shape, std::string(what) + ": " + std::to_string(have) + " values for a shape of " +
                                     std::to_string(l.elements) + " elements");
}
} // namespace detail

// Parameters from the per-slot min/max of the data (what minmax_observer gives, slot by slot).
inline std::vector<qparams> params_from_minmax(std::span<const float> x, std::span<const std::size_t> shape,
                                               const scheme_policy& s) {
    const param_layout l = layout_for(s.granularity, shape);
    detail::check_data(x.size(), l, "quantize");
    std::vector<float> lo(l.count, std::numeric_limits<float>::infinity());
    std::vector<float> hi(l.count, -std::numeric_limits<float>::infinity());
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i]))
            throw error(errc::invalid_argument, "quantize: non-finite value at element " + std::to_string(i));
        const std::size_t k = l.slot(i);
        lo[k] = std::min(lo[k], x[i]);
        hi[k] = std::max(hi[k], x[i]);
    }
    std::vector<qparams> p(l.count);
    for (std::size_t k = 0; k < l.count; ++k)
        p[k] = lo[k] > hi[k] ? params_for_range(s, 0.0f, 0.0f) : params_for_range(s, lo[k], hi[k]);
    return p;
}

inline void quantize_into(std::span<const float> x, std::span<const std::size_t> shape, const scheme_policy& s,
                          std::span<const qparams> params, std::span<std::int32_t> out) {
    const param_layout l = layout_for(s.granularity, shape);
    detail::check_data(x.size(), l, "quantize");
    detail::check_data(out.size(), l, "quantize output");
    if (params.size() != l.count)
        throw error(errc::shape, "quantize: " + std::to_string(params.size()) + " parameter sets for " +
                                     std::to_string(l.count) + " slots");
    const int_range g = grid_of(s);
    for (std::size_t i = 0; i < x.size(); ++i)
        out[i] = quantize_value(x[i], params[l.slot(i)], g, s.rounding, s.saturate, i);
}

inline void dequantize_into(std::span<const std::int32_t> q, std::span<const std::size_t> shape,
                            const scheme_policy& s, std::span<const qparams> params, std::span<float> out) {
    const param_layout l = layout_for(s.granularity, shape);
    detail::check_data(q.size(), l, "dequantize");
    detail::check_data(out.size(), l, "dequantize output");
    if (params.size() != l.count)
        throw error(errc::shape, "dequantize: " + std::to_string(params.size()) + " parameter sets for " +
                                     std::to_string(l.count) + " slots");
    for (std::size_t i = 0; i < q.size(); ++i) out[i] = dequantize_value(q[i], params[l.slot(i)]);
}

// Quantizes with the given parameters.
inline quantized_tensor quantize(std::span<const float> x, std::span<const std::size_t> shape,
                                 const scheme_policy& s, std::span<const qparams> params) {
    quantized_tensor t;
    t.values.resize(x.size());
    quantize_into(x, shape, s, params, t.values);
    t.params.assign(params.begin(), params.end());
    t.shape.assign(shape.begin(), shape.end());
    t.scheme = s;
    return t;
}

// Quantizes with parameters from the data's own min/max per slot.
inline quantized_tensor quantize(std::span<const float> x, std::span<const std::size_t> shape,
                                 const scheme_policy& s) {
    const auto p = params_from_minmax(x, shape, s);
    return quantize(x, shape, s, p);
}

inline std::vector<float> dequantize(const quantized_tensor& t) {
    std::vector<float> y(t.values.size());
    dequantize_into(t.values, t.shape, t.scheme, t.params, y);
    return y;
}

} // namespace qforge::quant
