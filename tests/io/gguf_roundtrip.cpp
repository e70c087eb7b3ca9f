// Writer -> reader round trip, typed metadata lookup, tensor infos and zero-copy data, v2/v3, files on disk.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "qforge/io/gguf.hpp"
#include "qforge/io/gguf_writer.hpp"

#include "io/gguf_test_files.hpp"

namespace gg = qforge::gguf;
using qforge_test::pattern_bytes;
using qforge_test::rich_writer;

namespace {

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() / ("qforge_test_" + std::to_string(::getpid()) + "_" + name);
}

template <class F> void expect_error(F&& f, qforge::errc code, const std::string& substring) {
    try {
        f();
        ADD_FAILURE() << "no error; expected one containing: " << substring;
    } catch (const qforge::error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        EXPECT_NE(std::string(e.what()).find(substring), std::string::npos) << e.what();
    }
}

} // namespace

TEST(GgufRoundTrip, MetadataReadsBackIdentically) {
    const auto w = rich_writer();
    const auto bytes = w.to_bytes();
    const auto f = gg::file::parse(std::span<const std::byte>(bytes));
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.alignment(), 32u);
    ASSERT_EQ(f.metadata().size(), 29u);
    EXPECT_EQ(f.metadata()[0].first, "general.architecture");
    EXPECT_EQ(f.get<std::string>("general.architecture"), "llama");
    EXPECT_EQ(f.get<std::uint8_t>("test.u8"), 200);
    EXPECT_EQ(f.get<std::int8_t>("test.i8"), -100);
    EXPECT_EQ(f.get<std::uint16_t>("test.u16"), 60000);
    EXPECT_EQ(f.get<std::int16_t>("test.i16"), -30000);
    EXPECT_EQ(f.get<std::uint32_t>("test.u32"), 4000000000u);
    EXPECT_EQ(f.get<std::int32_t>("test.i32"), -2000000000);
    EXPECT_EQ(f.get<float>("test.f32"), 3.25f);
    EXPECT_TRUE(f.get<bool>("test.bool_true"));
    EXPECT_FALSE(f.get<bool>("test.bool_false"));
    EXPECT_EQ(f.get<std::string_view>("test.string"), "héllo, \"world\"\n");
    EXPECT_EQ(f.get<std::string>("test.empty_string"), "");
    EXPECT_EQ(f.get<std::uint64_t>("test.u64"), 18000000000000000000ull);
    EXPECT_EQ(f.get<std::int64_t>("test.i64"), -9000000000000000000ll);
    EXPECT_EQ(f.get<double>("test.f64"), -1.0e300);
    EXPECT_EQ(f.get<std::vector<std::uint8_t>>("test.arr_u8"), (std::vector<std::uint8_t>{0, 1, 255}));
    EXPECT_EQ(f.get<std::vector<std::int8_t>>("test.arr_i8"), (std::vector<std::int8_t>{-128, 0, 127}));
    EXPECT_EQ(f.get<std::vector<std::uint16_t>>("test.arr_u16"), (std::vector<std::uint16_t>{1, 65535}));
    EXPECT_EQ(f.get<std::vector<std::int16_t>>("test.arr_i16"), (std::vector<std::int16_t>{-32768, 32767}));
    EXPECT_EQ(f.get<std::vector<std::uint32_t>>("test.arr_u32"), (std::vector<std::uint32_t>{7, 8, 9}));
    EXPECT_EQ(f.get<std::vector<std::int32_t>>("test.arr_i32"), (std::vector<std::int32_t>{-1, 2, -3}));
    const auto f32s = f.get<std::span<const float>>("test.arr_f32");
    ASSERT_EQ(f32s.size(), 3u);
    EXPECT_EQ(f32s[0], 0.5f);
    EXPECT_EQ(f32s[2], 1e30f);
    EXPECT_EQ(f.get<std::vector<bool>>("test.arr_bool"), (std::vector<bool>{true, false, true}));
    EXPECT_EQ(f.get<std::vector<std::string>>("test.arr_string"),
              (std::vector<std::string>{"a", "", "<s>", "日本"}));
    EXPECT_EQ(f.get<std::vector<std::uint64_t>>("test.arr_u64"), (std::vector<std::uint64_t>{0, ~0ull}));
    EXPECT_EQ(f.get<std::vector<std::int64_t>>("test.arr_i64")[0], std::numeric_limits<std::int64_t>::min());
    const auto f64s = f.get<std::vector<double>>("test.arr_f64");
    ASSERT_EQ(f64s.size(), 2u);
    EXPECT_TRUE(std::signbit(f64s[1]));
    const auto empty = f.get<gg::array>("test.arr_empty");
    EXPECT_EQ(empty.element_type(), gg::value_type::float32);
    EXPECT_TRUE(empty.empty());
    const auto nested = f.get<std::vector<gg::array>>("test.arr_nested");
    ASSERT_EQ(nested.size(), 3u);
    EXPECT_EQ(nested[0].items<std::int32_t>(), (std::vector<std::int32_t>{1, 2}));
    EXPECT_EQ(nested[1].items<std::string>(), (std::vector<std::string>{"x", "yz"}));
    ASSERT_TRUE(nested[2].holds<gg::array>());
    EXPECT_EQ(nested[2].items<gg::array>()[0].items<float>(), (std::vector<float>{9.0f}));

    // Whole-structure equality: every entry in order, type and value.
    const auto reread = gg::file::parse(w.to_bytes());
    EXPECT_EQ(reread.metadata(), f.metadata());
    // Writing what we read gives the same bytes.
    gg::writer again;
    for (const auto& [k, v] : f.metadata()) again.add(k, v);
    for (const auto& t : f.tensors()) again.add_tensor(t.name, t.type(), t.dims(), t.data);
    EXPECT_EQ(again.to_bytes(), bytes);
}

TEST(GgufRoundTrip, TensorsAreZeroCopyAndAligned) {
    for (std::uint32_t alignment : {32u, 1u, 64u, 4096u}) {
        SCOPED_TRACE(alignment);
        const auto bytes = rich_writer(alignment).to_bytes();
        const auto f = gg::file::parse(std::span<const std::byte>(bytes));
        EXPECT_EQ(f.alignment(), alignment);
        EXPECT_EQ(f.data_offset() % alignment, 0u);
        ASSERT_EQ(f.tensors().size(), 4u);
        const auto& a = f.tensor("a.weight");
        EXPECT_EQ(a.type(), qforge::ggml_type::f32);
        EXPECT_EQ(a.type_name(), "F32");
        EXPECT_EQ(std::vector<std::uint64_t>(a.dims().begin(), a.dims().end()),
                  (std::vector<std::uint64_t>{32, 3}));
        EXPECT_EQ(a.n_elements, 96u);
        EXPECT_EQ(a.n_bytes, 384u);
        EXPECT_EQ(a.n_rows(), 3u);
        EXPECT_EQ(a.row_bytes(), 128u);
        EXPECT_EQ(a.offset, 0u);
        // Zero copy: the span points into the buffer we passed, at data_offset + offset.
        EXPECT_EQ(a.data.data(), bytes.data() + f.data_offset());
        EXPECT_TRUE(std::equal(a.data.begin(), a.data.end(), pattern_bytes(384, 1).begin()));
        const auto& b = f.tensor("b.weight");
        EXPECT_EQ(b.type(), qforge::ggml_type::q8_0);
        EXPECT_EQ(b.n_elements, 128u);
        EXPECT_EQ(b.n_bytes, 4u * 34u);
        EXPECT_EQ(b.offset % alignment, 0u);
        EXPECT_TRUE(std::equal(b.data.begin(), b.data.end(), pattern_bytes(136, 2).begin()));
        const auto& d = f.tensor("d.rank4");
        EXPECT_EQ(d.n_dims, 4u);
        EXPECT_EQ(d.n_elements, 12u);
        EXPECT_EQ(d.file_offset, f.data_offset() + d.offset);
        EXPECT_TRUE(std::equal(d.data.begin(), d.data.end(), pattern_bytes(48, 4).begin()));
        EXPECT_EQ(f.find_tensor("nope"), nullptr);
    }
}

TEST(GgufRoundTrip, LookupErrorsNameKeyAndTypes) {
    const auto f = gg::file::parse(rich_writer().to_bytes(), "rich.gguf");
    expect_error([&] { (void)f.get<std::uint32_t>("llama.block_count"); }, qforge::errc::missing,
                 "rich.gguf: not found: metadata key 'llama.block_count' not found");
    expect_error([&] { (void)f.get<std::uint32_t>("test.i32"); }, qforge::errc::type,
                 "metadata key 'test.i32' has type INT32, expected UINT32");
    expect_error([&] { (void)f.get<std::vector<float>>("test.arr_i32"); }, qforge::errc::type,
                 "has type ARRAY[INT32], expected ARRAY[FLOAT32]");
    expect_error([&] { (void)f.get<std::string>("test.arr_string"); }, qforge::errc::type,
                 "has type ARRAY[STRING], expected STRING");
    expect_error([&] { (void)f.find<float>("test.f64"); }, qforge::errc::type, "has type FLOAT64, expected FLOAT32");
    expect_error([&] { (void)f.tensor("missing.weight"); }, qforge::errc::missing, "tensor 'missing.weight'");
    EXPECT_EQ(f.find<std::uint32_t>("nope"), std::nullopt);
    EXPECT_EQ(f.find<std::uint32_t>("test.u32"), 4000000000u);
    EXPECT_TRUE(f.contains("test.u8"));
    EXPECT_EQ(f.at("test.u8").type(), gg::value_type::uint8);
}

TEST(GgufRoundTrip, Version2ReadsLikeVersion3) {
    // v2 and v3 little-endian files share one layout (64-bit counts); v3 only added big-endian files.
    auto bytes = rich_writer().to_bytes();
    bytes[4] = std::byte{2};
    const auto f = gg::file::parse(std::span<const std::byte>(bytes));
    EXPECT_EQ(f.version(), 2u);
    EXPECT_EQ(f.tensors().size(), 4u);
    EXPECT_EQ(f.metadata(), gg::file::parse(rich_writer().to_bytes()).metadata());
}

TEST(GgufRoundTrip, WriterRejectsMisuse) {
    gg::writer w;
    w.add("k", std::uint32_t{1});
    expect_error([&] { w.add("k", 2.0f); }, qforge::errc::invalid_argument, "duplicate metadata key 'k'");
    expect_error([&] { w.add("general.alignment", std::uint64_t{32}); }, qforge::errc::type, "UINT32");
    expect_error([&] { w.add("general.alignment", std::uint32_t{48}); }, qforge::errc::invalid_argument,
                 "power of two");
    const std::uint64_t ne[] = {33};
    expect_error([&] { w.add_tensor("t", qforge::ggml_type::q8_0, ne, pattern_bytes(34, 0)); },
                 qforge::errc::shape, "block size");
    const std::uint64_t ne4[] = {4};
    expect_error([&] { w.add_tensor("t", qforge::ggml_type::f32, ne4, pattern_bytes(15, 0)); }, qforge::errc::shape,
                 "15 bytes given, the shape needs 16");
    w.add_tensor("t", qforge::ggml_type::f32, ne4, pattern_bytes(16, 0));
    expect_error([&] { w.add_tensor("t", qforge::ggml_type::f32, ne4, pattern_bytes(16, 0)); },
                 qforge::errc::invalid_argument, "duplicate tensor name");
}

TEST(GgufRoundTrip, FileOnDiskIsMemoryMapped) {
    const auto path = temp_path("rich.gguf");
    rich_writer().write(path);
    {
        const auto f = gg::open(path);
        EXPECT_EQ(f.name(), path.string());
        EXPECT_EQ(f.bytes().size(), std::filesystem::file_size(path));
        EXPECT_EQ(f.metadata(), gg::file::parse(rich_writer().to_bytes()).metadata());
        const auto& b = f.tensor("b.weight");
        EXPECT_TRUE(std::equal(b.data.begin(), b.data.end(), pattern_bytes(136, 2).begin()));
        // Copies share the mapping, and outlive the original.
        auto copy = std::make_unique<gg::file>(f);
        EXPECT_EQ(copy->tensor("b.weight").data.data(), b.data.data());
    }
    std::filesystem::remove(path);
}

TEST(GgufRoundTrip, OpenErrors) {
    expect_error([] { (void)gg::open("/nonexistent/dir/x.gguf"); }, qforge::errc::missing,
                 "/nonexistent/dir/x.gguf: not found: no such file");
    expect_error([] { (void)gg::open(std::filesystem::temp_directory_path()); }, qforge::errc::io, "is a directory");
    const auto empty = temp_path("empty.gguf");
    std::ofstream(empty).close();
    expect_error([&] { (void)gg::open(empty); }, qforge::errc::format, "file is empty");
    std::filesystem::remove(empty);
    const auto text = temp_path("text.gguf");
    std::ofstream(text) << "hello world, not a model";
    expect_error([&] { (void)gg::open(text); }, qforge::errc::format, "at byte 0: format error: bad magic 'hell'");
    std::filesystem::remove(text);
}
