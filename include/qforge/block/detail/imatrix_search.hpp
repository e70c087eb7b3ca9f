// qforge/block/detail/imatrix_search.hpp: the weighted scale searches ggml runs when quantizing with an
// importance matrix (ggml-quants.c: make_qx_quants for the symmetric q4_0/q5_0, make_qkx3_quants for the
// affine q4_1/q5_1), plus the per-row weights those callers feed them. Same arithmetic in the same order as
// ggml, so the chosen scales and quants are bit-identical.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qforge/block/detail/ggml_math.hpp"

namespace qforge::block_detail {

// ggml's per-row "sigma2" of the legacy imatrix quantizers: the mean square of the whole row, summed in order.
inline float row_mean_square(const float* x, std::size_t n) noexcept {
    float sum = 0.0f;
    for (std::size_t j = 0; j < n; ++j) sum += x[j] * x[j];
    return sum / static_cast<float>(n);
}

// The weight of each value: importance * sqrt(sigma2 + x^2).
template <int N>
inline void imatrix_weights(const float* x, const float* importance, float sigma2, float* w) noexcept {
    for (int j = 0; j < N; ++j) w[j] = importance[j] * std::sqrt(sigma2 + x[j] * x[j]);
}

// Symmetric search (make_qx_quants with rmse_type 1 and explicit weights): levels l in [-nmax, nmax-1] stored
// as l + nmax; tries 18 scales around -nmax/max and keeps the one with the best weighted fit. Returns the scale.
template <int N>
inline float symmetric_search(int nmax, const float* x, const float* w, std::uint8_t* levels) noexcept {
    const float max = signed_absmax<N>(x);
    if (std::fabs(max) < 1e-15f) { // ggml's GROUP_MAX_EPS: an all-zero group
        for (int i = 0; i < N; ++i) levels[i] = 0;
        return 0.0f;
    }
    const auto level = [nmax](float iscale, float v) {
        const int l = nearest_int(iscale * v);
        return l < -nmax ? -nmax : (l > nmax - 1 ? nmax - 1 : l);
    };
    float iscale = static_cast<float>(-nmax) / max;
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < N; ++i) {
        const int l = level(iscale, x[i]);
        levels[i] = static_cast<std::uint8_t>(l + nmax);
        sumlx += w[i] * x[i] * static_cast<float>(l);
        suml2 += w[i] * static_cast<float>(l) * static_cast<float>(l);
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
        sumlx = suml2 = 0.0f;
        for (int i = 0; i < N; ++i) {
            const float l = static_cast<float>(level(iscale, x[i]));
            sumlx += w[i] * x[i] * l;
            suml2 += w[i] * l * l;
        }
        if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < N; ++i) levels[i] = static_cast<std::uint8_t>(level(iscale, x[i]) + nmax);
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// Affine search (make_qkx3_quants with rmin -0.9, rdelta 0.05, 37 steps, squared error): levels in [0, nmax],
// value = scale * l - the_min. Returns the scale and writes the_min (>= 0, the negated offset).
template <int N>
inline float affine_search(int nmax, const float* x, const float* w, std::uint8_t* levels, float& the_min) noexcept {
    constexpr float rmin = -0.9f, rdelta = 0.05f;
    constexpr int nstep = 36;
    float min = x[0], max = x[0];
    float sum_w = w[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < N; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0.0f) min = 0.0f;
    if (max <= min) {
        for (int i = 0; i < N; ++i) levels[i] = 0;
        the_min = -min;
        return 0.0f;
    }
    const auto level = [nmax](float iscale, float v) {
        const int l = nearest_int(iscale * v);
        return l < 0 ? 0 : (l > nmax ? nmax : l);
    };
    float iscale = static_cast<float>(nmax) / (max - min);
    float scale = 1.0f / iscale;
    float best_mad = 0.0f;
    for (int i = 0; i < N; ++i) {
        levels[i] = static_cast<std::uint8_t>(level(iscale, x[i] - min));
        float diff = scale * static_cast<float>(levels[i]) + min - x[i];
        diff = diff * diff;
        best_mad += w[i] * diff;
    }
    std::uint8_t aux[N];
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax)) / (max - min);
        float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
        for (int i = 0; i < N; ++i) {
            const int l = level(iscale, x[i] - min);
            aux[i] = static_cast<std::uint8_t>(l);
            const float fl = static_cast<float>(l);
            sum_l += w[i] * fl;
            sum_l2 += w[i] * fl * fl;
            sum_xl += w[i] * fl * x[i];
        }
        const float det = sum_w * sum_l2 - sum_l * sum_l;
        if (det > 0.0f) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
            if (this_min > 0.0f) {
                this_min = 0.0f;
                this_scale = sum_xl / sum_l2;
            }
            float mad = 0.0f;
            for (int i = 0; i < N; ++i) {
                float diff = this_scale * static_cast<float>(aux[i]) + this_min - x[i];
                diff = diff * diff;
                mad += w[i] * diff;
            }
            if (mad < best_mad) {
                for (int i = 0; i < N; ++i) levels[i] = aux[i];
                best_mad = mad;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    the_min = -min;
    return scale;
}

} // namespace qforge::block_detail
