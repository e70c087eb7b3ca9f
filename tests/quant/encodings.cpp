// Tests for encodings (QNN/AIMET conventions) and the QNN quantization_overrides JSON reader and writer.
#include <qforge/quant/affine.hpp>
#include <qforge/quant/qnn_json.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

using namespace qforge::quant;

namespace {

std::string error_of(std::string_view text) {
    try {
        parse_qnn_overrides(text);
    } catch (const qforge::error& e) {
        EXPECT_EQ(e.code(), qforge::errc::format) << e.what();
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST(encoding, symmetric_matches_aimet_export) {
    // A 4-bit symmetric weight encoding from AIMET's own test data:
    // {"bitwidth": 4, "max": 0.13095608353614807, "min": -0.14966410398483276, "offset": -8,
    //  "scale": 0.018708012998104095}: scale = max / 7, min = -8 scale.
    const encoding e = encoding_from_range({-0.13095608353614807f, 0.13095608353614807f}, 4, true);
    EXPECT_EQ(e.offset, -8);
    EXPECT_NEAR(e.scale, 0.018708012998104095, 1e-6 * 0.0187);
    EXPECT_NEAR(e.min, -0.14966410398483276, 1e-6 * 0.15);
    EXPECT_NEAR(e.max, 0.13095608353614807, 1e-8);
    EXPECT_TRUE(e.is_symmetric);
}

TEST(encoding, asymmetric_tf_mode) {
    // [-1, 1.55] at 8 bits: scale = 2.55 / 255 = 0.01, offset = round(-1 / 0.01) = -100.
    const encoding e = encoding_from_range({-1.0f, 1.55f}, 8, false);
    EXPECT_NEAR(e.scale, 0.01, 1e-8);
    EXPECT_EQ(e.offset, -100);
    EXPECT_NEAR(e.min, -1.0, 1e-6);
    EXPECT_NEAR(e.max, 1.55, 1e-6);
    // A positive-only range is widened to contain 0: offset 0.
    const encoding p = encoding_from_range({0.5f, 2.55f}, 8, false);
    EXPECT_EQ(p.offset, 0);
    EXPECT_NEAR(p.scale, 0.01, 1e-8);
    // QNN dequantization, real = (q + offset) * scale, agrees with our affine map.
    const scheme_policy s = scheme_of(e);
    const qparams q = params_of(e);
    EXPECT_EQ(q.zero_point, 100);
    EXPECT_EQ(grid_of(s), (int_range{0, 255}));
    for (int code : {0, 17, 100, 255})
        EXPECT_FLOAT_EQ(dequantize_value(code, q), static_cast<float>((code + e.offset) * static_cast<double>(e.scale)));
    EXPECT_EQ(quantize_value(0.0f, q, grid_of(s)), 100); // zero is exact
}

TEST(encoding, from_signed_scheme) {
    // A signed symmetric int8 scheme is QNN's unsigned grid shifted by 128.
    const scheme_policy s{.bits = 8, .symmetric = true};
    const encoding e = encoding_of(s, {0.5f, 0});
    EXPECT_EQ(e.offset, -128);
    EXPECT_EQ(e.min, -64.0f);
    EXPECT_EQ(e.max, 63.5f);
    const encoding u = encoding_of({.bits = 8, .is_signed = false}, {0.25f, 10});
    EXPECT_EQ(u.offset, -10);
    EXPECT_EQ(u.min, -2.5f);
    EXPECT_THROW(encoding_from_range({-1, 1}, 0, false), qforge::error);
    EXPECT_THROW(encoding_from_range({-1, 1}, 1, true), qforge::error);
    EXPECT_THROW(encoding_from_range({1, -1}, 8, false), qforge::error);
}

TEST(encoding, per_channel_from_data) {
    // Two output channels (rows) of a 2 x 3 weight: symmetric 8-bit, scale = max|row| / 127.
    const std::vector<float> w{0.5f, -1.27f, 0.25f, 2.54f, 0.0f, -1.0f};
    const std::size_t shape[] = {2, 3};
    const auto e = encodings_from_data(w, shape, per_channel{0}, 8, true);
    ASSERT_EQ(e.size(), 2u);
    EXPECT_FLOAT_EQ(e[0].scale, 0.01f);
    EXPECT_FLOAT_EQ(e[1].scale, 0.02f);
    EXPECT_EQ(e[0].offset, -128);
    const auto t = encodings_from_data(w, shape, per_tensor{}, 8, false);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_FLOAT_EQ(t[0].scale, (2.54f + 1.27f) / 255.0f);
    EXPECT_THROW(encodings_from_data(w, shape, per_channel{2}, 8, true), qforge::error);
}

TEST(qnn_json, reads_the_documented_format) {
    const std::string text = R"({
  "version": "0.6.1",
  "activation_encodings": {
    "conv1_out": [
      {"bitwidth": 8, "dtype": "int", "is_symmetric": "False", "max": 12.82, "min": 0.0, "offset": 0, "scale": 0.0502745}
    ],
    "input": [{"bitwidth": 16, "dtype": "float"}]
  },
  "param_encodings": {
    "conv1.weight": [
      {"bitwidth": 8, "dtype": "int", "is_symmetric": "True", "max": 0.635, "min": -0.64, "offset": -128, "scale": 0.005},
      {"bitwidth": 8, "dtype": "int", "is_symmetric": true, "max": 1.27, "min": -1.28, "offset": -128, "scale": 0.01}
    ],
    "fc.weight": [{"bitwidth": 4, "min": -1.5, "max": 0.375}]
  },
  "quantizer_args": {"activation_bitwidth": 8, "param_bitwidth": 4, "dtype": "int", "is_symmetric": true,
                     "per_channel_quantization": true, "quant_scheme": "post_training_tf"}
})";
    const encoding_set s = parse_qnn_overrides(text);
    EXPECT_EQ(s.version, "0.6.1");
    EXPECT_EQ(s.activation_bitwidth, 8);
    EXPECT_EQ(s.param_bitwidth, 4);
    EXPECT_FALSE(s.bias_bitwidth);
    ASSERT_EQ(s.activations.size(), 2u);
    const encoding& a = s.activations.at("conv1_out").at(0);
    EXPECT_EQ(a.bitwidth, 8);
    EXPECT_FALSE(a.is_symmetric);
    EXPECT_EQ(a.scale, 0.0502745f);
    EXPECT_EQ(a.max, 12.82f);
    EXPECT_EQ(s.activations.at("input").at(0).dtype, encoding_dtype::floating);
    const auto& w = s.params.at("conv1.weight");
    ASSERT_EQ(w.size(), 2u); // per channel
    EXPECT_TRUE(w[0].is_symmetric);
    EXPECT_TRUE(w[1].is_symmetric);
    EXPECT_EQ(w[1].offset, -128);
    EXPECT_EQ(w[1].scale, 0.01f);
    // min/max only: scale and offset derived, (0.375 + 1.5) / 15 = 0.125, offset = -1.5 / 0.125 = -12.
    const encoding& f = s.params.at("fc.weight").at(0);
    EXPECT_EQ(f.scale, 0.125f);
    EXPECT_EQ(f.offset, -12);
}

TEST(qnn_json, top_level_bitwidths_and_bare_objects) {
    const encoding_set s = parse_qnn_overrides(
        R"({"activation_bitwidth": 16, "param_bitwidth": 8, "bias_bitwidth": 32,
            "param_encodings": {"b": {"bitwidth": 32, "scale": 1e-6, "offset": 0}}})");
    EXPECT_EQ(s.activation_bitwidth, 16);
    EXPECT_EQ(s.bias_bitwidth, 32);
    EXPECT_EQ(s.params.at("b").size(), 1u);
    EXPECT_EQ(s.params.at("b")[0].scale, 1e-6f);
    EXPECT_TRUE(s.activations.empty());
}

TEST(qnn_json, round_trip) {
    encoding_set s;
    s.version = "0.6.1";
    s.activation_bitwidth = 8;
    s.param_bitwidth = 4;
    s.bias_bitwidth = 32;
    s.activations["x"] = {encoding_from_range({-0.3f, 7.1f}, 8, false)};
    s.activations["h \"quoted\"/0"] = {encoding_from_range({-2.0f, 2.0f}, 16, true)};
    s.activations["f"] = {encoding{.bitwidth = 16, .dtype = encoding_dtype::floating}};
    s.params["w"] = {encoding_from_range({-0.1f, 0.1f}, 4, true), encoding_from_range({-0.7f, 0.3f}, 4, true),
                     encoding_from_range({-1e-3f, 5e-4f}, 4, false)};
    const std::string text = to_qnn_overrides(s);
    EXPECT_NE(text.find("\"is_symmetric\": \"True\""), std::string::npos);
    EXPECT_NE(text.find("\"dtype\": \"int\""), std::string::npos);
    EXPECT_EQ(parse_qnn_overrides(text), s) << text;
    // Through a file as well.
    const auto path = std::filesystem::temp_directory_path() / "qforge_test_qnn_overrides.json";
    save_qnn_overrides(path, s);
    EXPECT_EQ(load_qnn_overrides(path), s);
    std::filesystem::remove(path);
    EXPECT_THROW(load_qnn_overrides(path), qforge::error);
}

TEST(qnn_json, malformed_json_names_line_and_column) {
    const std::string e = error_of("{\n  \"param_encodings\": {\n    \"w\": [ {\"bitwidth\": 8,} ]\n  }\n}");
    EXPECT_NE(e.find("QNN overrides: JSON 3:27: trailing comma in object"), std::string::npos) << e;
    EXPECT_NE(error_of("{\"param_encodings\": ").find("JSON 1:21: expected a value, found end of input"), std::string::npos);
    EXPECT_NE(error_of("[1, 2]").find("top level: expected an object, got array"), std::string::npos);
}

TEST(qnn_json, wrong_types_name_the_path) {
    const auto has = [](const std::string& err, const std::string& want) {
        EXPECT_NE(err.find(want), std::string::npos) << "error: " << err << "\nwanted: " << want;
    };
    has(error_of(R"({"param_encodings": {"w": [{"bitwidth": "8", "scale": 1, "offset": 0}]}})"),
        R"(param_encodings["w"][0].bitwidth: expected an integer, got string)");
    has(error_of(R"({"param_encodings": {"w": [{"bitwidth": 8.5, "scale": 1, "offset": 0}]}})"),
        R"(param_encodings["w"][0].bitwidth: expected an integer, got 8.5)");
    has(error_of(R"({"param_encodings": {"w": [{"bitwidth": 64, "scale": 1, "offset": 0}]}})"),
        R"(param_encodings["w"][0].bitwidth: value 64 is outside [1, 32])");
    has(error_of(R"({"param_encodings": {"w": [{"scale": 1, "offset": 0}]}})"),
        R"(param_encodings["w"][0]: missing "bitwidth")");
    has(error_of(R"({"activation_encodings": {"a": [{"bitwidth": 8, "scale": "0.1", "offset": 0}]}})"),
        R"(activation_encodings["a"][0].scale: expected a number, got string)");
    has(error_of(R"({"activation_encodings": {"a": [{"bitwidth": 8, "is_symmetric": "yes", "min": 0, "max": 1}]}})"),
        R"(activation_encodings["a"][0].is_symmetric: expected "True" or "False", got "yes")");
    has(error_of(R"({"activation_encodings": {"a": [{"bitwidth": 8, "is_symmetric": 1, "min": 0, "max": 1}]}})"),
        R"(is_symmetric: expected "True"/"False" or a boolean, got number)");
    has(error_of(R"({"activation_encodings": {"a": [{"bitwidth": 8, "dtype": "fp", "min": 0, "max": 1}]}})"),
        R"(activation_encodings["a"][0].dtype: expected "int" or "float", got "fp")");
    has(error_of(R"({"activation_encodings": {"a": [{"bitwidth": 8, "scale": 0.1}]}})"),
        R"(activation_encodings["a"][0]: "scale" given without "offset")");
    has(error_of(R"({"activation_encodings": {"a": [{"bitwidth": 8}]}})"),
        R"(needs "scale" and "offset", or "min" and "max")");
    has(error_of(R"({"activation_encodings": {"a": [{"bitwidth": 8, "min": 2, "max": 1}]}})"),
        R"(activation_encodings["a"][0]: min is greater than max)");
    has(error_of(R"({"activation_encodings": {"a": [{"bitwidth": 8, "scale": 0.1, "offset": 2147483648}]}})"),
        R"(offset: value 2147483648 is outside)");
    has(error_of(R"({"activation_encodings": {"a": []}})"), R"(activation_encodings["a"]: empty list of encodings)");
    has(error_of(R"({"activation_encodings": {"a": 3}})"), R"(activation_encodings["a"]: expected a list of encodings, got number)");
    has(error_of(R"({"activation_encodings": [{"name": "a"}]})"), "AIMET's list-form encodings 1.0.0");
    has(error_of(R"({"param_encodings": {"w": [{"bitwidth": 8, "scale": 1e300, "offset": 0}]}})"), "does not fit a float");
    has(error_of(R"({"quantizer_args": {"param_bitwidth": "4"}})"), "quantizer_args.param_bitwidth: expected an integer, got string");
    has(error_of(R"({"quantizer_args": 4})"), "quantizer_args: expected an object, got number");
    has(error_of(R"({"version": 1})"), "version: expected a string, got number");
    has(error_of(R"({"activation_encodings": {"a": [{"bitwidth": 8, "dtype": "float"}]}})"), "a float encoding is 16 or 32 bits");
}
