// qforge/ops/softmax.hpp: numerically stable softmax in place.
#pragma once

#include <algorithm>
#include <cmath>
#include <span>

#include "qforge/core/error.hpp"

namespace qforge {

// Subtracts the maximum before exp (no overflow); the normalizing sum is accumulated in double, as ggml does.
inline void softmax(std::span<float> x) {
    require(!x.empty(), errc::shape, "softmax: empty input");
    const float mx = *std::max_element(x.begin(), x.end());
    double sum = 0.0;
    for (float& v : x) {
        v = std::exp(v - mx);
        sum += v;
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (float& v : x) v *= inv;
}

} // namespace qforge
