// qforge/quant/qnn_json.hpp: Qualcomm QNN `--quantization_overrides` files (AIMET's encodings format 0.6.1):
//   {
//     "version": "0.6.1",                                   (optional)
//     "activation_encodings": { "<tensor>": [ {encoding}, ... ] },
//     "param_encodings":      { "<tensor>": [ {encoding}, ... ] },   (one entry per channel when per-channel)
//     "quantizer_args": { "activation_bitwidth": 8, "param_bitwidth": 8, ... }   (optional)
//   }
// with {encoding} = {"bitwidth": 8, "dtype": "int", "is_symmetric": "False", "max": .., "min": .., "offset": ..,
// "scale": ..}. QNN writes is_symmetric as the strings "True"/"False"; booleans are accepted too. An integer
// encoding needs scale and offset, or min and max (the missing pair is derived, see encodings.hpp); a float
// encoding needs only its bitwidth. activation_bitwidth / param_bitwidth / bias_bitwidth are read from
// quantizer_args or from the top level, and written into quantizer_args. Unknown keys are ignored (files
// carry tool-specific extras); a known key with a wrong type or value is an error that names its path.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/core/json.hpp"
#include "qforge/quant/encodings.hpp"

namespace qforge::quant {

namespace qnn_detail {

[[noreturn]] inline void fail(const std::string& path, const std::string& what) {
    throw error(errc::format, "QNN overrides: " + path + ": " + what);
}

inline std::string got(const json::value& v) { return "got " + std::string(json::kind_name(v.type())); }

inline std::int64_t integer_at(const json::value& v, const std::string& path, std::int64_t lo, std::int64_t hi) {
    std::int64_t i = 0;
    if (v.is_integer()) {
        i = v.as_int64();
    } else if (v.is_number() && std::floor(v.as_number()) == v.as_number() && std::fabs(v.as_number()) < 9e15) {
        i = static_cast<std::int64_t>(v.as_number()); // some exporters write -128.0
    } else {
        fail(path, "expected an integer, " + (v.is_number() ? std::string("got ") + std::to_string(v.as_number()) : got(v)));
    }
    if (i < lo || i > hi)
        fail(path, "value " + std::to_string(i) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return i;
}

inline float float_at(const json::value& v, const std::string& path) {
    if (!v.is_number()) fail(path, "expected a number, " + got(v));
    const double d = v.as_number();
    if (!(std::fabs(d) <= 3.4028234663852886e38)) fail(path, "number " + std::to_string(d) + " does not fit a float");
    return static_cast<float>(d);
}

inline bool bool_at(const json::value& v, const std::string& path) {
    if (v.is_bool()) return v.as_bool();
    if (v.is_string()) {
        const std::string& s = v.as_string();
        if (s == "True" || s == "true") return true;
        if (s == "False" || s == "false") return false;
        fail(path, "expected \"True\" or \"False\", got \"" + s + "\"");
    }
    fail(path, "expected \"True\"/\"False\" or a boolean, " + got(v));
}

inline encoding encoding_at(const json::value& v, const std::string& path) {
    if (!v.is_object()) fail(path, "expected an encoding object, " + got(v));
    encoding e;
    const json::value* bw = v.find("bitwidth");
    if (!bw) fail(path, "missing \"bitwidth\"");
    e.bitwidth = static_cast<int>(integer_at(*bw, path + ".bitwidth", 1, 32));
    if (const json::value* d = v.find("dtype")) {
        if (!d->is_string()) fail(path + ".dtype", "expected \"int\" or \"float\", " + got(*d));
        if (d->as_string() == "int") e.dtype = encoding_dtype::integer;
        else if (d->as_string() == "float") e.dtype = encoding_dtype::floating;
        else fail(path + ".dtype", "expected \"int\" or \"float\", got \"" + d->as_string() + "\"");
    }
    if (const json::value* s = v.find("is_symmetric")) e.is_symmetric = bool_at(*s, path + ".is_symmetric");
    const json::value* scale = v.find("scale");
    const json::value* offset = v.find("offset");
    const json::value* mn = v.find("min");
    const json::value* mx = v.find("max");
    std::optional<float> fscale, fmin, fmax;
    std::optional<std::int32_t> ioffset;
    if (scale) fscale = float_at(*scale, path + ".scale");
    if (offset) ioffset = static_cast<std::int32_t>(integer_at(*offset, path + ".offset", INT32_MIN, INT32_MAX));
    if (mn) fmin = float_at(*mn, path + ".min");
    if (mx) fmax = float_at(*mx, path + ".max");
    if (e.dtype == encoding_dtype::floating) {
        if (e.bitwidth != 16 && e.bitwidth != 32) fail(path + ".bitwidth", "a float encoding is 16 or 32 bits");
        e.scale = fscale.value_or(0.0f);
        e.offset = ioffset.value_or(0);
        e.min = fmin.value_or(0.0f);
        e.max = fmax.value_or(0.0f);
        return e;
    }
    if (fscale && *fscale < 0.0f) fail(path + ".scale", "scale must not be negative");
    if (fmin && fmax && *fmin > *fmax) fail(path, "min is greater than max");
    if (fscale.has_value() != ioffset.has_value())
        fail(path, std::string("\"") + (fscale ? "scale" : "offset") + "\" given without \"" + (fscale ? "offset" : "scale") + "\"");
    if (fmin.has_value() != fmax.has_value())
        fail(path, std::string("\"") + (fmin ? "min" : "max") + "\" given without \"" + (fmin ? "max" : "min") + "\"");
    if (fscale) {
        e.scale = *fscale;
        e.offset = *ioffset;
        const double steps = std::ldexp(1.0, e.bitwidth) - 1.0;
        e.min = fmin ? *fmin : static_cast<float>(static_cast<double>(e.offset) * e.scale);
        e.max = fmax ? *fmax : static_cast<float>((static_cast<double>(e.offset) + steps) * e.scale);
        return e;
    }
    if (!fmin) fail(path, "an int encoding needs \"scale\" and \"offset\", or \"min\" and \"max\"");
    try {
        const encoding d = encoding_from_range({*fmin, *fmax}, e.bitwidth, e.is_symmetric);
        e.scale = d.scale;
        e.offset = d.offset;
    } catch (const error& ex) {
        fail(path, ex.message());
    }
    e.min = *fmin;
    e.max = *fmax;
    return e;
}

inline void read_map(const json::value& v, const std::string& name, std::map<std::string, std::vector<encoding>>& out) {
    if (v.is_array())
        fail(name, "expected an object keyed by tensor name, got array (AIMET's list-form encodings 1.0.0 are "
                   "not QNN quantization_overrides)");
    if (!v.is_object()) fail(name, "expected an object keyed by tensor name, " + got(v));
    for (const json::member& m : v.as_object()) {
        const std::string path = name + "[\"" + m.key + "\"]";
        std::vector<encoding> list;
        if (m.val.is_object()) {
            list.push_back(encoding_at(m.val, path)); // a bare object: one per-tensor encoding
        } else if (m.val.is_array()) {
            if (m.val.as_array().empty()) fail(path, "empty list of encodings");
            const json::array& a = m.val.as_array();
            for (std::size_t i = 0; i < a.size(); ++i)
                list.push_back(encoding_at(a[i], path + "[" + std::to_string(i) + "]"));
        } else {
            fail(path, "expected a list of encodings, " + got(m.val));
        }
        out[m.key] = std::move(list);
    }
}

inline void read_bitwidth(const json::value& holder, std::string_view key, const std::string& where,
                          std::optional<int>& out) {
    if (const json::value* v = holder.find(key))
        out = static_cast<int>(integer_at(*v, where + std::string(key), 1, 32));
}

// The float written the shortest way that reads back to the same float ("0.1", not "0.10000000149011612").
inline json::value float_value(float f) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, f);
    double d = 0;
    std::from_chars(buf, r.ptr, d);
    return json::value(d);
}

inline json::value encoding_value(const encoding& e) {
    json::object o;
    o.push_back({"bitwidth", json::value(e.bitwidth)});
    o.push_back({"dtype", json::value(e.dtype == encoding_dtype::integer ? "int" : "float")});
    if (e.dtype == encoding_dtype::floating) return json::value(std::move(o));
    o.push_back({"is_symmetric", json::value(e.is_symmetric ? "True" : "False")});
    o.push_back({"max", float_value(e.max)});
    o.push_back({"min", float_value(e.min)});
    o.push_back({"offset", json::value(static_cast<std::int64_t>(e.offset))});
    o.push_back({"scale", float_value(e.scale)});
    return json::value(std::move(o));
}

inline json::value map_value(const std::map<std::string, std::vector<encoding>>& m) {
    json::object o;
    for (const auto& [name, list] : m) {
        json::array a;
        for (const encoding& e : list) a.push_back(encoding_value(e));
        o.push_back({name, json::value(std::move(a))});
    }
    return json::value(std::move(o));
}

} // namespace qnn_detail

// Reads a quantization_overrides JSON text. Throws qforge::error(errc::format) naming line:column for
// malformed JSON and the key path (e.g. param_encodings["conv.weight"][0].scale) for wrong contents.
inline encoding_set parse_qnn_overrides(std::string_view text) {
    json::value root;
    try {
        root = json::parse(text);
    } catch (const error& e) {
        throw error(errc::format, "QNN overrides: " + e.message());
    }
    if (!root.is_object()) qnn_detail::fail("top level", "expected an object, " + qnn_detail::got(root));
    encoding_set s;
    if (const json::value* v = root.find("activation_encodings"))
        qnn_detail::read_map(*v, "activation_encodings", s.activations);
    if (const json::value* v = root.find("param_encodings")) qnn_detail::read_map(*v, "param_encodings", s.params);
    if (const json::value* v = root.find("version")) {
        if (!v->is_string()) qnn_detail::fail("version", "expected a string, " + qnn_detail::got(*v));
        s.version = v->as_string();
    }
    const json::value* holders[] = {&root, root.find("quantizer_args")};
    for (const json::value* holder : holders) {
        if (!holder) continue;
        const std::string where = holder == &root ? "" : "quantizer_args.";
        if (!holder->is_object()) qnn_detail::fail("quantizer_args", "expected an object, " + qnn_detail::got(*holder));
        qnn_detail::read_bitwidth(*holder, "activation_bitwidth", where, s.activation_bitwidth);
        qnn_detail::read_bitwidth(*holder, "param_bitwidth", where, s.param_bitwidth);
        qnn_detail::read_bitwidth(*holder, "bias_bitwidth", where, s.bias_bitwidth);
    }
    return s;
}

// Writes s as a quantization_overrides JSON text (2-space indented).
inline std::string to_qnn_overrides(const encoding_set& s) {
    json::object o;
    if (s.version) o.push_back({"version", json::value(*s.version)});
    o.push_back({"activation_encodings", qnn_detail::map_value(s.activations)});
    o.push_back({"param_encodings", qnn_detail::map_value(s.params)});
    json::object args;
    if (s.activation_bitwidth) args.push_back({"activation_bitwidth", json::value(*s.activation_bitwidth)});
    if (s.param_bitwidth) args.push_back({"param_bitwidth", json::value(*s.param_bitwidth)});
    if (s.bias_bitwidth) args.push_back({"bias_bitwidth", json::value(*s.bias_bitwidth)});
    if (!args.empty()) o.push_back({"quantizer_args", json::value(std::move(args))});
    return json::serialize(json::value(std::move(o))) + "\n";
}

inline encoding_set load_qnn_overrides(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw error(errc::io, "cannot open QNN overrides file", {p.string(), {}, {}});
    const std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    try {
        return parse_qnn_overrides(text);
    } catch (const error& e) {
        throw error(e.code(), e.message(), {p.string(), {}, {}});
    }
}

inline void save_qnn_overrides(const std::filesystem::path& p, const encoding_set& s) {
    const std::string text = to_qnn_overrides(s);
    std::ofstream f(p, std::ios::binary);
    if (!f) throw error(errc::io, "cannot create QNN overrides file", {p.string(), {}, {}});
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!f) throw error(errc::io, "cannot write QNN overrides file", {p.string(), {}, {}});
}

} // namespace qforge::quant
