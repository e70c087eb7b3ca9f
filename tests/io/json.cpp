// The JSON emitter: string escaping per RFC 8259 (and U+FFFD for bytes that are not UTF-8), numbers,
// nesting and misuse.
#include <gtest/gtest.h>

#include <limits>
#include <sstream>

#include "qforge/io/json.hpp"

namespace json = qforge::json;

TEST(Json, QuoteEscapesWhatJsonRequires) {
    EXPECT_EQ(json::quote(""), R"("")");
    EXPECT_EQ(json::quote("plain"), R"("plain")");
    EXPECT_EQ(json::quote("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(json::quote("\n\r\t\b\f"), R"("\n\r\t\b\f")");
    EXPECT_EQ(json::quote(std::string("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f\u007f")");
    EXPECT_EQ(json::quote("/"), R"("/")"); // "/" may stay unescaped
}

TEST(Json, QuoteKeepsValidUtf8AndReplacesInvalidBytes) {
    EXPECT_EQ(json::quote("héllo 日本 ✓ \xF0\x9F\x98\x80"), "\"héllo 日本 ✓ \xF0\x9F\x98\x80\"");
    EXPECT_EQ(json::quote("\xff"), R"("\ufffd")");
    EXPECT_EQ(json::quote("a\xC3"), R"("a\ufffd")");             // truncated 2-byte sequence
    EXPECT_EQ(json::quote("\xC0\xAF"), R"("\ufffd\ufffd")");      // overlong "/"
    EXPECT_EQ(json::quote("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")"); // UTF-16 surrogate
    EXPECT_EQ(json::quote("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")"); // above U+10FFFF
    EXPECT_EQ(json::quote("\xE2\x9C"), R"("\ufffd\ufffd")");
}

TEST(Json, Numbers) {
    EXPECT_EQ(json::number(0.5f), "0.5");
    EXPECT_EQ(json::number(1e30f), "1e+30");
    EXPECT_EQ(json::number(0.1), "0.1");
    EXPECT_EQ(json::number(0.1f), "0.1"); // shortest text that reads back as the same float
    EXPECT_EQ(json::number(-0.0), "-0");
    EXPECT_EQ(json::number(std::numeric_limits<double>::quiet_NaN()), "null");
    EXPECT_EQ(json::number(-std::numeric_limits<float>::infinity()), "null");
}

TEST(Json, WriterNestsAndSeparates) {
    std::ostringstream os;
    json::writer w(os, 0);
    w.begin_object();
    w.key("a").value(1);
    w.key("b").begin_array().value("x").value(true).null().value(2.5).begin_object().end_object().end_array();
    w.key("c").begin_array().end_array();
    w.key("d").value(std::uint64_t{18446744073709551615ull});
    w.end_object();
    EXPECT_TRUE(w.done());
    EXPECT_EQ(os.str(), R"({"a":1,"b":["x",true,null,2.5,{}],"c":[],"d":18446744073709551615})");

    std::ostringstream pretty;
    json::writer p(pretty, 2);
    p.begin_object().key("k").begin_array().value(1).value(2).end_array().end_object();
    EXPECT_EQ(pretty.str(), "{\n  \"k\": [\n    1,\n    2\n  ]\n}\n");
}

TEST(Json, WriterRejectsMisuse) {
    std::ostringstream os;
    json::writer w(os);
    EXPECT_THROW(w.key("k"), qforge::error);
    w.begin_object();
    EXPECT_THROW(w.value(1), qforge::error);
    EXPECT_THROW(w.end_array(), qforge::error);
    w.key("k");
    EXPECT_THROW(w.key("k2"), qforge::error);
    w.value(1).end_object();
    EXPECT_THROW(w.value(2), qforge::error);
}
