// qforge/quant/observers.hpp: calibration observers. Each sees data batch by batch and proposes the real range
// [min, max] that a scheme should cover; params_for_range (scheme.hpp) or encoding_from_range (encodings.hpp)
// turn the range into parameters. Non-finite input is an error: a NaN would silently poison every statistic.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/quant/affine.hpp"
#include "qforge/quant/scheme.hpp"

namespace qforge::quant {

struct real_range {
    float min = 0.0f;
    float max = 0.0f;
    friend constexpr bool operator==(real_range, real_range) = default;
};

inline qparams params_for_range(const scheme_policy& s, real_range r) { return params_for_range(s, r.min, r.max); }

namespace detail {
inline void check_finite(std::span<const float> x, std::string_view who) {
    for (std::size_t i = 0; i < x.size(); ++i)
        if (!std::isfinite(x[i]))
            throw error(errc::invalid_argument, std::string(who) + ": non-finite value at element " + std::to_string(i));
}
inline void check_seen(bool seen, std::string_view who) {
    if (!seen) throw error(errc::invalid_argument, std::string(who) + ": no data observed");
}
inline real_range batch_minmax(std::span<const float> x) {
    real_range r{std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
    for (const float v : x) {
        r.min = std::min(r.min, v);
        r.max = std::max(r.max, v);
    }
    return r;
}
} // namespace detail

// The running minimum and maximum of everything seen.
class minmax_observer {
public:
    void observe(std::span<const float> x) {
        detail::check_finite(x, "minmax_observer");
        if (x.empty()) return;
        const real_range b = detail::batch_minmax(x);
        r_ = seen_ ? real_range{std::min(r_.min, b.min), std::max(r_.max, b.max)} : b;
        seen_ = true;
    }
    real_range range() const {
        detail::check_seen(seen_, "minmax_observer");
        return r_;
    }

private:
    real_range r_;
    bool seen_ = false;
};

struct moving_average_policy {
    float averaging_constant = 0.01f; // weight of each new batch's min/max (PyTorch's default)
};

// An exponential moving average of per-batch min and max: the first batch sets them, later batches move them
// by averaging_constant * (batch value - current value). Robust to a rare extreme batch.
class moving_average_minmax_observer {
public:
    explicit moving_average_minmax_observer(moving_average_policy p = {}) : p_(p) {
        if (!(p.averaging_constant > 0.0f && p.averaging_constant <= 1.0f))
            throw error(errc::invalid_argument, "moving_average_minmax_observer: averaging_constant must be in (0, 1]");
    }
    void observe(std::span<const float> x) {
        detail::check_finite(x, "moving_average_minmax_observer");
        if (x.empty()) return;
        const real_range b = detail::batch_minmax(x);
        if (!seen_) {
            r_ = b;
            seen_ = true;
            return;
        }
        r_.min += p_.averaging_constant * (b.min - r_.min);
        r_.max += p_.averaging_constant * (b.max - r_.max);
    }
    real_range range() const {
        detail::check_seen(seen_, "moving_average_minmax_observer");
        return r_;
    }

private:
    moving_average_policy p_;
    real_range r_;
    bool seen_ = false;
};

// The q-th percentile (0..100) of a data set with linear interpolation between order statistics
// (numpy's default): rank = q/100 * (n - 1).
inline double percentile_of(std::vector<float> v, double q) {
    if (v.empty()) throw error(errc::invalid_argument, "percentile: no data");
    if (!(q >= 0.0 && q <= 100.0)) throw error(errc::invalid_argument, "percentile must be in [0, 100]");
    const double rank = q / 100.0 * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(rank));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
    const double a = v[lo];
    double b = a;
    if (hi != lo) b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
    return a + (b - a) * (rank - static_cast<double>(lo));
}

struct percentile_policy {
    double percentile = 99.99; // upper percentile; the lower bound uses 100 - percentile
    bool symmetric = false;    // true: clip |x| at the percentile, range [-t, t]
};

// Clips the tails: keeps every value seen and returns percentiles of them.
class percentile_observer {
public:
    explicit percentile_observer(percentile_policy p = {}) : p_(p) {
        if (!(p.percentile >= 50.0 && p.percentile <= 100.0))
            throw error(errc::invalid_argument, "percentile_observer: percentile must be in [50, 100]");
    }
    void observe(std::span<const float> x) {
        detail::check_finite(x, "percentile_observer");
        values_.insert(values_.end(), x.begin(), x.end());
    }
    real_range range() const {
        detail::check_seen(!values_.empty(), "percentile_observer");
        if (p_.symmetric) {
            std::vector<float> a(values_.size());
            std::transform(values_.begin(), values_.end(), a.begin(), [](float v) { return std::fabs(v); });
            const auto t = static_cast<float>(percentile_of(std::move(a), p_.percentile));
            return {-t, t};
        }
        return {static_cast<float>(percentile_of(values_, 100.0 - p_.percentile)),
                static_cast<float>(percentile_of(values_, p_.percentile))};
    }

private:
    percentile_policy p_;
    std::vector<float> values_;
};

struct mse_policy {
    scheme_policy scheme = {};    // the scheme whose quantization error is minimised
    std::size_t candidates = 100; // clip candidates: max * k / candidates, k = 1..candidates
};

// Searches the clipping range that minimises the mean squared quantize-dequantize error of the data under
// the scheme. Symmetric schemes clip max|x|; affine schemes shrink min and max by the same factor.
class mse_observer {
public:
    explicit mse_observer(mse_policy p = {}) : p_(p) {
        validate(p.scheme);
        if (p.candidates == 0) throw error(errc::invalid_argument, "mse_observer: candidates must be positive");
    }
    void observe(std::span<const float> x) {
        detail::check_finite(x, "mse_observer");
        values_.insert(values_.end(), x.begin(), x.end());
    }

    // The mean squared error of quantizing the observed data with the range r.
    double error_for(real_range r) const {
        const qparams q = params_for_range(p_.scheme, r);
        const int_range g = grid_of(p_.scheme);
        double se = 0;
        for (const float v : values_) {
            const double d = static_cast<double>(v) - dequantize_value(quantize_value(v, q, g), q);
            se += d * d;
        }
        return values_.empty() ? 0.0 : se / static_cast<double>(values_.size());
    }

    real_range range() const {
        detail::check_seen(!values_.empty(), "mse_observer");
        const real_range full = detail::batch_minmax(values_);
        const float amax = std::max(std::fabs(full.min), std::fabs(full.max));
        real_range best = candidate(full, amax, p_.candidates);
        double best_err = error_for(best);
        for (std::size_t k = p_.candidates; k-- > 1;) {
            const real_range r = candidate(full, amax, k);
            const double e = error_for(r);
            if (e < best_err) {
                best_err = e;
                best = r;
            }
        }
        return best;
    }

private:
    real_range candidate(real_range full, float amax, std::size_t k) const {
        const float f = static_cast<float>(k) / static_cast<float>(p_.candidates);
        if (p_.scheme.symmetric) return {-amax * f, amax * f};
        return {full.min * f, full.max * f};
    }

    mse_policy p_;
    std::vector<float> values_;
};

struct entropy_policy {
    std::size_t bins = 2048;          // histogram bins over [0, max|x|]
    std::size_t quantized_bins = 128; // levels of the quantized distribution (128 for int8)
};

// TensorRT's entropy calibration: a histogram of |x|, then for every candidate threshold (i bins kept,
// i = quantized_bins .. bins) the reference distribution P (the first i bins, with all mass beyond folded
// into bin i-1) is compared with Q (the first i bins merged into quantized_bins levels and expanded back
// over their non-empty bins) by KL(P || Q); the threshold (m + 0.5) * bin width of the best m wins.
// Zero bins are smoothed (eps = 1e-4 counts moved from non-zero bins) so that KL stays finite.
class entropy_observer {
public:
    explicit entropy_observer(entropy_policy p = {}) : p_(p) {
        if (p.quantized_bins < 2 || p.bins < p.quantized_bins)
            throw error(errc::invalid_argument, "entropy_observer: need 2 <= quantized_bins <= bins");
    }
    void observe(std::span<const float> x) {
        detail::check_finite(x, "entropy_observer");
        for (const float v : x) values_.push_back(std::fabs(v));
    }

    real_range range() const {
        detail::check_seen(!values_.empty(), "entropy_observer");
        const float amax = *std::max_element(values_.begin(), values_.end());
        if (amax == 0.0f) return {0.0f, 0.0f};
        const std::size_t nb = p_.bins;
        const double width = static_cast<double>(amax) / static_cast<double>(nb);
        std::vector<double> hist(nb, 0.0);
        for (const float v : values_) {
            auto b = static_cast<std::size_t>(static_cast<double>(v) / width);
            hist[std::min(b, nb - 1)] += 1.0;
        }
        std::size_t best_i = nb;
        double best_kl = std::numeric_limits<double>::infinity();
        std::vector<double> pd, qd;
        for (std::size_t i = p_.quantized_bins; i <= nb; ++i) {
            const double kl = divergence(hist, i, pd, qd);
            if (kl < best_kl) {
                best_kl = kl;
                best_i = i;
            }
        }
        // The slide's rule, (m + 0.5) bin widths; when no clipping wins (m = bins) that is capped at max|x|.
        const auto t = std::min(amax, static_cast<float>((static_cast<double>(best_i) + 0.5) * width));
        return {-t, t};
    }

private:
    static void smooth(std::vector<double>& d) {
        constexpr double eps = 1e-4;
        std::size_t zeros = 0;
        for (const double v : d) zeros += v == 0.0;
        const std::size_t nonzeros = d.size() - zeros;
        if (zeros == 0 || nonzeros == 0) return;
        const double take = eps * static_cast<double>(zeros) / static_cast<double>(nonzeros);
        for (double& v : d) v = v == 0.0 ? eps : v - take;
    }

    // KL(P || Q) for a threshold after `i` bins (bins [0, i) kept; bin i-1 ends at the threshold).
    double divergence(const std::vector<double>& hist, std::size_t i, std::vector<double>& p,
                      std::vector<double>& q) const {
        p.assign(hist.begin(), hist.begin() + static_cast<std::ptrdiff_t>(i));
        double outliers = 0;
        for (std::size_t j = i; j < hist.size(); ++j) outliers += hist[j];
        p[i - 1] += outliers;
        q.assign(i, 0.0);
        const std::size_t nq = p_.quantized_bins;
        const std::size_t merged = i / nq;
        for (std::size_t k = 0; k < nq; ++k) {
            const std::size_t start = k * merged;
            const std::size_t end = k + 1 == nq ? i : start + merged;
            double total = 0;
            std::size_t nonzero = 0;
            for (std::size_t j = start; j < end; ++j) {
                total += hist[j];
                nonzero += hist[j] != 0.0;
            }
            if (nonzero == 0) continue;
            const double each = total / static_cast<double>(nonzero);
            for (std::size_t j = start; j < end; ++j)
                if (hist[j] != 0.0) q[j] = each;
        }
        smooth(p);
        smooth(q);
        double sp = 0, sq = 0;
        for (std::size_t j = 0; j < i; ++j) {
            sp += p[j];
            sq += q[j];
        }
        if (sp <= 0 || sq <= 0) return std::numeric_limits<double>::infinity();
        double kl = 0;
        for (std::size_t j = 0; j < i; ++j) {
            if (p[j] <= 0) continue;
            const double pj = p[j] / sp, qj = q[j] / sq;
            if (qj <= 0) return std::numeric_limits<double>::infinity();
            kl += pj * std::log(pj / qj);
        }
        return kl;
    }

    entropy_policy p_;
    std::vector<float> values_;
};

} // namespace qforge::quant
