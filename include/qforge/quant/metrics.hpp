// qforge/quant/metrics.hpp: how far a reconstruction y is from a reference x. Every sum accumulates in double,
// so results do not depend on the length of the data beyond double's own precision.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>

#include "qforge/core/error.hpp"

namespace qforge::quant {

struct error_stats {
    double mse = 0;            // mean of (x - y)^2
    double rmse = 0;           // sqrt(mse)
    double snr_db = 0;         // 10 log10(sum x^2 / sum (x - y)^2); +inf when y == x, -inf when x is all zero
    double max_abs_error = 0;  // max |x - y|
    double cosine = 0;         // x.y / (|x| |y|); 1 when both are all zero, 0 when exactly one is
    std::size_t count = 0;
};

inline error_stats compare(std::span<const float> x, std::span<const float> y) {
    if (x.size() != y.size())
        throw error(errc::shape, "metrics: reference has " + std::to_string(x.size()) + " values, reconstruction " +
                                     std::to_string(y.size()));
    double se = 0, sx = 0, sy = 0, sxy = 0, mx = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double a = x[i], b = y[i], d = a - b;
        se += d * d;
        sx += a * a;
        sy += b * b;
        sxy += a * b;
        mx = std::max(mx, std::fabs(d));
    }
    error_stats r;
    r.count = x.size();
    r.mse = x.empty() ? 0.0 : se / static_cast<double>(x.size());
    r.rmse = std::sqrt(r.mse);
    r.max_abs_error = mx;
    constexpr double inf = std::numeric_limits<double>::infinity();
    r.snr_db = se == 0 ? inf : (sx == 0 ? -inf : 10.0 * std::log10(sx / se));
    if (sx == 0 && sy == 0) r.cosine = 1.0;
    else if (sx == 0 || sy == 0) r.cosine = 0.0;
    else r.cosine = sxy / (std::sqrt(sx) * std::sqrt(sy));
    return r;
}

inline double mse(std::span<const float> x, std::span<const float> y) { return compare(x, y).mse; }
inline double rmse(std::span<const float> x, std::span<const float> y) { return compare(x, y).rmse; }
inline double snr_db(std::span<const float> x, std::span<const float> y) { return compare(x, y).snr_db; }
inline double max_abs_error(std::span<const float> x, std::span<const float> y) { return compare(x, y).max_abs_error; }
inline double cosine_similarity(std::span<const float> x, std::span<const float> y) { return compare(x, y).cosine; }

} // namespace qforge::quant
