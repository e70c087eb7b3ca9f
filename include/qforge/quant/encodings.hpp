// qforge/quant/encodings.hpp: encodings as Qualcomm QNN / AIMET write them: per tensor (or per channel) a
// bitwidth, a scale, an offset and the real range [min, max] they cover.
// QNN's convention (Qnn_ScaleOffset_t): real = (q + offset) * scale with q on the unsigned grid [0, 2^bw - 1],
// so offset is the negative of the zero point. Asymmetric encodings (QNN's "TF" mode) cover [min, max]
// widened to contain 0 with scale = (max - min) / (2^bw - 1) and offset = round(min / scale); min and max are
// then snapped to the grid (min = offset * scale, max = min + (2^bw - 1) * scale) so that 0 is exact.
// Symmetric encodings use offset = -2^(bw-1) and scale = max|x| / (2^(bw-1) - 1), as AIMET exports them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/quant/granularity.hpp"
#include "qforge/quant/observers.hpp"
#include "qforge/quant/rounding.hpp"
#include "qforge/quant/scheme.hpp"

namespace qforge::quant {

enum class encoding_dtype { integer, floating }; // QNN's "int" / "float"

struct encoding {
    int bitwidth = 8;
    encoding_dtype dtype = encoding_dtype::integer;
    bool is_symmetric = false;
    float scale = 0.0f;
    std::int32_t offset = 0; // negative zero point on the unsigned grid
    float min = 0.0f;
    float max = 0.0f;
    friend bool operator==(const encoding&, const encoding&) = default;
};

// Encodings of a model, keyed by tensor name. A vector of one encoding is per-tensor, of several per-channel.
struct encoding_set {
    std::map<std::string, std::vector<encoding>> activations;
    std::map<std::string, std::vector<encoding>> params;
    std::optional<int> activation_bitwidth; // defaults for tensors the file does not list
    std::optional<int> param_bitwidth;
    std::optional<int> bias_bitwidth;
    std::optional<std::string> version;     // AIMET's encoding-format version ("0.6.1"), kept when read
    friend bool operator==(const encoding_set&, const encoding_set&) = default;
};

inline void check_bitwidth(int bw) {
    if (bw < 1 || bw > 32)
        throw error(errc::invalid_argument, "encoding: bitwidth must be in 1..32, got " + std::to_string(bw));
}

// An offset as QNN stores it (int32); a 32-bit asymmetric grid can need more, which is an error.
inline std::int32_t to_offset(double v) {
    if (!(v >= -2147483648.0 && v <= 2147483647.0))
        throw error(errc::unsupported, "encoding: offset " + std::to_string(v) + " does not fit in int32");
    return static_cast<std::int32_t>(v);
}

// The integer encoding of the real range r (see the conventions above). An all-zero range gives scale 0.
inline encoding encoding_from_range(real_range r, int bitwidth, bool symmetric) {
    check_bitwidth(bitwidth);
    if (!std::isfinite(r.min) || !std::isfinite(r.max) || r.min > r.max)
        throw error(errc::invalid_argument, "encoding: invalid range");
    encoding e;
    e.bitwidth = bitwidth;
    e.is_symmetric = symmetric;
    const double steps = std::ldexp(1.0, bitwidth) - 1.0;
    if (symmetric) {
        if (bitwidth < 2) throw error(errc::invalid_argument, "encoding: a symmetric encoding needs 2 bits or more");
        const double half = std::ldexp(1.0, bitwidth - 1) - 1.0;
        const double amax = std::max(std::fabs(r.min), std::fabs(r.max));
        e.scale = static_cast<float>(amax / half);
        e.offset = to_offset(-std::ldexp(1.0, bitwidth - 1));
    } else {
        const double lo = std::min(r.min, 0.0f), hi = std::max(r.max, 0.0f);
        e.scale = static_cast<float>((hi - lo) / steps);
        e.offset = e.scale == 0.0f ? 0 : to_offset(round_half_away(lo / e.scale));
    }
    e.min = static_cast<float>(static_cast<double>(e.offset) * e.scale);
    e.max = static_cast<float>((static_cast<double>(e.offset) + steps) * e.scale);
    return e;
}

// Encodings from data by min/max: one per slot of `granularity` (per_tensor gives one, per_channel{axis}
// one per channel, as QNN lists per-channel param encodings).
inline std::vector<encoding> encodings_from_data(std::span<const float> x, std::span<const std::size_t> shape,
                                                 const granularity_spec& granularity, int bitwidth, bool symmetric) {
    const param_layout l = layout_for(granularity, shape);
    if (x.size() != l.elements)
        throw error(errc::shape, "encodings_from_data: " + std::to_string(x.size()) + " values for " +
                                     std::to_string(l.elements) + " elements");
    std::vector<minmax_observer> obs(l.count);
    for (std::size_t i = 0; i < x.size(); ++i) obs[l.slot(i)].observe(x.subspan(i, 1));
    std::vector<encoding> out;
    out.reserve(l.count);
    for (const minmax_observer& o : obs) out.push_back(encoding_from_range(o.range(), bitwidth, symmetric));
    return out;
}

// The scheme and parameters that reproduce an integer encoding with quant::quantize (unsigned grid).
inline scheme_policy scheme_of(const encoding& e) {
    if (e.dtype != encoding_dtype::integer)
        throw error(errc::invalid_argument, "encoding: a float encoding has no integer scheme");
    if (e.bitwidth > 16)
        throw error(errc::unsupported, "encoding: integer schemes stop at 16 bits, got " + std::to_string(e.bitwidth));
    scheme_policy s;
    s.bits = e.bitwidth;
    s.symmetric = e.is_symmetric && e.bitwidth >= 2;
    s.is_signed = false;
    return s;
}

inline qparams params_of(const encoding& e) { return {e.scale, -e.offset}; }

// The encoding of parameters p under scheme s; a signed grid is shifted onto QNN's unsigned one.
inline encoding encoding_of(const scheme_policy& s, qparams p) {
    validate(s);
    encoding e;
    e.bitwidth = s.bits;
    e.is_symmetric = s.symmetric;
    e.scale = p.scale;
    const std::int32_t shift = s.is_signed ? (std::int32_t{1} << (s.bits - 1)) : 0; // signed q + shift = unsigned q
    e.offset = -(p.zero_point + shift);
    const double steps = std::ldexp(1.0, s.bits) - 1.0;
    e.min = static_cast<float>(static_cast<double>(e.offset) * p.scale);
    e.max = static_cast<float>((static_cast<double>(e.offset) + steps) * p.scale);
    return e;
}

} // namespace qforge::quant
