// qforge-inspect's output: the gguf-dump-style text (abbreviated arrays, tensor table) and the JSON document.
#include <gtest/gtest.h>

#include <sstream>

#include "qforge/io/gguf_print.hpp"

#include "io/gguf_test_files.hpp"

namespace gg = qforge::gguf;

namespace {
std::string text_of(const gg::file& f, gg::print_options o = {}) {
    std::ostringstream os;
    gg::print_text(f, os, o);
    return os.str();
}
bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
}
} // namespace

TEST(GgufPrint, TextListsMetadataAndTensors) {
    const auto f = gg::file::parse(qforge_test::rich_writer().to_bytes(), "rich.gguf");
    const auto t = text_of(f);
    EXPECT_EQ(t.rfind("* File: rich.gguf\n", 0), 0u) << t;
    EXPECT_TRUE(has_line(t, "* 29 key/value pair(s)")) << t;
    EXPECT_TRUE(has_line(t, "      1: STRING     |        1 | general.architecture = 'llama'")) << t;
    EXPECT_TRUE(has_line(t, "      2: UINT8      |        1 | test.u8 = 200")) << t;
    EXPECT_TRUE(has_line(t, "      9: BOOL       |        1 | test.bool_true = True")) << t;
    EXPECT_TRUE(has_line(t, "     11: STRING     |        1 | test.string = 'héllo, \"world\"\\n'")) << t;
    EXPECT_TRUE(has_line(t, "     15: FLOAT64    |        1 | test.f64 = -1e+300")) << t;
    EXPECT_TRUE(has_line(t, "     22: [FLOAT32]  |        3 | test.arr_f32 = [0.5, -1.5, 1e+30]")) << t;
    EXPECT_TRUE(has_line(t, "     24: [STRING]   |        4 | test.arr_string = ['a', '', '<s>', '日本']")) << t;
    EXPECT_TRUE(has_line(t, "     28: [FLOAT32]  |        0 | test.arr_empty = []")) << t;
    EXPECT_TRUE(has_line(t, "     29: [ARRAY]    |        3 | test.arr_nested = [[1, 2], ['x', 'yz'], [[9]]]")) << t;
    EXPECT_TRUE(has_line(t, "* 4 tensor(s)")) << t;
    // name, type, shape, elements, bytes, absolute offset
    const std::string off = std::to_string(f.tensor("b.weight").file_offset);
    EXPECT_TRUE(has_line(t, "      2  b.weight  Q8_0     64 x 2                           128           136  " +
                                std::string(12 - off.size(), ' ') + off)) << t;
    // Arrays are cut after array_items elements.
    const auto short_t = text_of(f, {2, 60});
    EXPECT_TRUE(has_line(short_t, "     24: [STRING]   |        4 | test.arr_string = ['a', '', ...]")) << short_t;
    EXPECT_TRUE(has_line(short_t, "     20: [UINT32]   |        3 | test.arr_u32 = [7, 8, ...]")) << short_t;
}

TEST(GgufPrint, TextEscapesUnprintableBytes) {
    gg::writer w;
    w.add("k", std::string("a\x01\xff'b\\", 6));
    w.add("long", std::string(100, 'x'));
    const auto t = text_of(gg::file::parse(w.to_bytes()));
    EXPECT_TRUE(has_line(t, "      1: STRING     |        1 | k = 'a\\x01\\xff\\'b\\\\'")) << t;
    EXPECT_TRUE(has_line(t, "      2: STRING     |        1 | long = '" + std::string(60, 'x') + "'...")) << t;
}

TEST(GgufPrint, JsonDocument) {
    gg::writer w;
    w.add("s", "q\"");
    w.add("arr", std::vector<gg::array>{gg::array(std::vector<bool>{true}), gg::array(std::vector<double>{0.25})});
    const std::uint64_t ne[] = {32, 2};
    w.add_tensor("t", qforge::ggml_type::f32, ne, qforge_test::pattern_bytes(256, 9));
    const auto f = gg::file::parse(w.to_bytes(), "x.gguf");
    std::ostringstream os;
    gg::print_json(f, os, 0);
    const std::string off = std::to_string(f.tensor("t").file_offset), size = std::to_string(f.bytes().size());
    EXPECT_EQ(os.str(), R"({"file":"x.gguf","version":3,"size":)" + size +
                            R"(,"alignment":32,"data_offset":)" + std::to_string(f.data_offset()) +
                            R"(,"metadata":[{"key":"s","type":"STRING","value":"q\""},)"
                            R"({"key":"arr","type":"ARRAY","element_type":"ARRAY","count":2,"value":[[true],[0.25]]}],)"
                            R"("tensors":[{"name":"t","type":"F32","type_id":0,"shape":[32,2],"elements":64,"bytes":256,"offset":)" +
                            off + "}]}");
}
