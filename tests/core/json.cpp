// Tests for the strict JSON reader/writer: values, escapes, round trips, and clear errors with line:column.
#include <qforge/core/json.hpp>

#include <gtest/gtest.h>

#include <string>

namespace json = qforge::json;

namespace {

// The message of the error that parsing `text` throws (empty when it does not throw).
std::string parse_error(std::string_view text, json::parse_options opt = {}) {
    try {
        json::parse(text, opt);
    } catch (const qforge::error& e) {
        EXPECT_EQ(e.code(), qforge::errc::format);
        return e.what();
    }
    return {};
}

} // namespace

TEST(json, scalars) {
    EXPECT_TRUE(json::parse("null").is_null());
    EXPECT_EQ(json::parse(" true ").as_bool(), true);
    EXPECT_EQ(json::parse("false").as_bool(), false);
    EXPECT_EQ(json::parse("-12").as_int64(), -12);
    EXPECT_TRUE(json::parse("-12").is_integer());
    EXPECT_FALSE(json::parse("8.0").is_integer());
    EXPECT_FALSE(json::parse("1e3").is_integer());
    EXPECT_EQ(json::parse("1e3").as_number(), 1000.0);
    EXPECT_EQ(json::parse("0.015625").as_number(), 0.015625);
    EXPECT_EQ(json::parse("-2.5E-3").as_number(), -2.5e-3);
    EXPECT_EQ(json::parse("9223372036854775807").as_int64(), 9223372036854775807LL);
    // Beyond int64: still a number, no longer an integer.
    EXPECT_FALSE(json::parse("9223372036854775808").is_integer());
    EXPECT_EQ(json::parse("9223372036854775808").as_number(), 9223372036854775808.0);
}

TEST(json, strings_and_escapes) {
    EXPECT_EQ(json::parse(R"("a\"b\\c\/d\n\t")").as_string(), "a\"b\\c/d\n\t");
    EXPECT_EQ(json::parse(R"("\u00e9")").as_string(), "\xc3\xa9");           // é
    EXPECT_EQ(json::parse(R"("\u20AC")").as_string(), "\xe2\x82\xac");       // €
    EXPECT_EQ(json::parse(R"("\ud83d\ude00")").as_string(), "\xf0\x9f\x98\x80"); // U+1F600
    EXPECT_EQ(json::parse("\"conv1/weight:0\"").as_string(), "conv1/weight:0");
}

TEST(json, containers_keep_order) {
    const auto v = json::parse(R"({"b": [1, 2, {"x": null}], "a": {}, "c": []})");
    const auto& o = v.as_object();
    ASSERT_EQ(o.size(), 3u);
    EXPECT_EQ(o[0].key, "b");
    EXPECT_EQ(o[1].key, "a");
    EXPECT_EQ(o[2].key, "c");
    EXPECT_EQ(v.find("b")->as_array().size(), 3u);
    EXPECT_TRUE(v.find("b")->as_array()[2].find("x")->is_null());
    EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(json, round_trip) {
    const std::string text = R"({"name": "t\u0001\"q", "n": [0, -1, 0.1, 1e-30, 3.0, true, false, null], "o": {"k": {}}})";
    const auto v = json::parse(text);
    for (int indent : {0, 2, 4}) {
        const std::string out = json::serialize(v, {.indent = indent});
        EXPECT_EQ(json::parse(out), v) << out;
    }
    EXPECT_EQ(json::serialize(json::parse("[1,2.5,\"x\"]"), {.indent = 0}), "[1,2.5,\"x\"]");
    // A non-integer that happens to be whole keeps its fraction, so it reads back as a non-integer.
    EXPECT_EQ(json::serialize(json::value(3.0), {.indent = 0}), "3.0");
    EXPECT_EQ(json::serialize(json::value(0.1f), {.indent = 0}), "0.10000000149011612");
}

TEST(json, type_errors_name_the_kinds) {
    const auto v = json::parse("[1]");
    try {
        (void)v.as_object();
        FAIL();
    } catch (const qforge::error& e) {
        EXPECT_EQ(e.code(), qforge::errc::type);
        EXPECT_NE(std::string(e.what()).find("expected object, got array"), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)json::parse("1.5").as_int64(), qforge::error);
    EXPECT_THROW((void)json::parse("\"1\"").as_number(), qforge::error);
}

TEST(json, malformed_input_names_line_and_column) {
    EXPECT_NE(parse_error("{\n  \"a\": 1,\n  \"b\": tru\n}").find("JSON 3:8: invalid literal"), std::string::npos);
    EXPECT_NE(parse_error("[1, 2,]").find("JSON 1:7: trailing comma in array"), std::string::npos);
    EXPECT_NE(parse_error("{\"a\":1,}").find("trailing comma in object"), std::string::npos);
    EXPECT_NE(parse_error("{\"a\":1 \"b\":2}").find("JSON 1:8: expected ',' or '}'"), std::string::npos);
    EXPECT_NE(parse_error("{\"a\":1,\"a\":2}").find("JSON 1:8: duplicate key \"a\""), std::string::npos);
    EXPECT_NE(parse_error("[1] 2").find("unexpected characters after the JSON value"), std::string::npos);
    EXPECT_NE(parse_error("").find("JSON 1:1: expected a value, found end of input"), std::string::npos);
    EXPECT_NE(parse_error("\"abc").find("JSON 1:1: unterminated string"), std::string::npos);
    EXPECT_NE(parse_error("\"a\tb\"").find("control character byte 0x09"), std::string::npos);
    EXPECT_NE(parse_error("\"\\x\"").find("invalid escape 'x'"), std::string::npos);
    EXPECT_NE(parse_error("\"\\ud800\"").find("unpaired UTF-16 surrogate"), std::string::npos);
    EXPECT_NE(parse_error("\"\\u12g4\"").find("invalid hex digit"), std::string::npos);
    EXPECT_NE(parse_error("012").find("leading zero"), std::string::npos);
    EXPECT_NE(parse_error("1.").find("expected a digit after '.'"), std::string::npos);
    EXPECT_NE(parse_error("-").find("expected a digit in number"), std::string::npos);
    EXPECT_NE(parse_error("1e").find("expected a digit in exponent"), std::string::npos);
    EXPECT_NE(parse_error("1e999").find("number out of range"), std::string::npos);
    EXPECT_NE(parse_error("NaN").find("expected a value, found 'N'"), std::string::npos);
    EXPECT_NE(parse_error("{1:2}").find("expected a string key"), std::string::npos);
    EXPECT_NE(parse_error("// c\n1").find("expected a value, found '/'"), std::string::npos);
}

TEST(json, nesting_is_bounded) {
    const std::string deep(100000, '[');
    EXPECT_NE(parse_error(deep).find("nesting deeper than 128 levels"), std::string::npos);
    std::string ok = std::string(10, '[') + std::string(10, ']');
    EXPECT_NO_THROW(json::parse(ok, {.max_depth = 10}));
    EXPECT_NE(parse_error(ok, {.max_depth = 9}).find("nesting deeper than 9 levels"), std::string::npos);
    std::string objects;
    for (int i = 0; i < 200; ++i) objects += "{\"a\":";
    EXPECT_NE(parse_error(objects).find("JSON 1:641: nesting deeper"), std::string::npos) << parse_error(objects);
}

TEST(json, serialize_depth_is_bounded) {
    json::value v;
    for (int i = 0; i < 40; ++i) v = json::value(json::array{v});
    EXPECT_NO_THROW(json::serialize(v));
    EXPECT_THROW(json::serialize(v, {.indent = 0, .max_depth = 20}), qforge::error);
}
