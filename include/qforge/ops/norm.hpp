// qforge/ops/norm.hpp: RMSNorm, y = x / sqrt(mean(x^2) + eps) * w.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>

#include "qforge/core/error.hpp"

namespace qforge {

// The sum of squares is accumulated in double, as ggml's rms_norm does, so that the result does not depend
// on the summation order; the scale is then applied in float in ggml's order (x * scale, then * w).
inline void rms_norm(std::span<const float> x, std::span<const float> w, float eps, std::span<float> y) {
    if (x.size() != w.size() || y.size() != x.size() || x.empty())
        throw error(errc::shape, "rms_norm: x, weight and y must have the same non-zero size (" +
                                     std::to_string(x.size()) + ", " + std::to_string(w.size()) + ", " +
                                     std::to_string(y.size()) + ")");
    double sum = 0.0;
    for (const float v : x) sum += static_cast<double>(v * v);
    const float mean = static_cast<float>(sum / static_cast<double>(x.size()));
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = (x[i] * scale) * w[i];
}

} // namespace qforge
