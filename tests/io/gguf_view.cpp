// Zero-copy tensor_views of GGUF tensors: row-major shape (ne reversed), element type and block format checked.
#include <gtest/gtest.h>

#include <cstring>

#include "qforge/block/q8_0.hpp"
#include "qforge/io/gguf_view.hpp"

#include "io/gguf_test_files.hpp"
#include "support/golden.hpp"

namespace gg = qforge::gguf;
using qforge::dynamic;
using qforge::extents;

TEST(GgufView, ElementViewIsRowMajorOverTheFileBytes) {
    const auto bytes = qforge_test::rich_writer().to_bytes();
    const auto f = gg::file::parse(std::span<const std::byte>(bytes));
    const auto& a = f.tensor("a.weight"); // F32, ne = [32, 3]: 3 rows of 32
    const auto v = gg::view<float, extents<dynamic, dynamic>>(a);
    EXPECT_EQ(v.extent(0), 3u);
    EXPECT_EQ(v.extent(1), 32u);
    EXPECT_EQ(static_cast<const void*>(v.data()), static_cast<const void*>(a.data.data()));
    float x;
    std::memcpy(&x, a.data.data() + (2 * 32 + 5) * 4, 4); // row 2, column 5
    EXPECT_EQ(std::memcmp(&v(2, 5), &x, 4), 0);
    // Static extents are checked against the file.
    const auto s = gg::view<float, extents<3, 32>>(a);
    EXPECT_EQ(s.size(), 96u);
    EXPECT_THROW((gg::view<float, extents<4, 32>>(a)), qforge::error);
    EXPECT_THROW((gg::view<float, extents<dynamic>>(a)), qforge::error);
    const auto d = gg::view<std::int32_t, extents<dynamic, dynamic, dynamic, dynamic>>(f.tensor("d.rank4"));
    EXPECT_EQ(d.extent(0), 3u); // ne = [2, 1, 2, 3]
    EXPECT_EQ(d.extent(1), 2u);
    EXPECT_EQ(d.extent(2), 1u);
    EXPECT_EQ(d.extent(3), 2u);
    const auto h = gg::view<qforge::f16, extents<5>>(f.tensor("c.bias"));
    EXPECT_EQ(h.size(), 5u);
}

TEST(GgufView, WrongTypeOrShapeNamesTheTensor) {
    const auto f = gg::file::parse(qforge_test::rich_writer().to_bytes());
    try {
        (void)gg::view<float, extents<dynamic, dynamic>>(f.tensor("b.weight"));
        ADD_FAILURE() << "viewed Q8_0 as float";
    } catch (const qforge::error& e) {
        EXPECT_EQ(e.code(), qforge::errc::type);
        EXPECT_NE(std::string(e.what()).find("tensor 'b.weight': type error: stored as Q8_0, viewed as F32"),
                  std::string::npos) << e.what();
    }
    try {
        (void)gg::view<float, extents<dynamic, dynamic, dynamic>>(f.tensor("a.weight"));
        ADD_FAILURE() << "rank 2 viewed as rank 3";
    } catch (const qforge::error& e) {
        EXPECT_EQ(e.code(), qforge::errc::shape);
        EXPECT_EQ(e.where().tensor, "a.weight");
    }
    EXPECT_THROW((gg::block_view<qforge::q8_0, extents<dynamic, dynamic>>(f.tensor("a.weight"))), qforge::error);
}

TEST(GgufView, BlockViewOfSharedQ8Model) {
    const auto path = qforge_test::models_dir() / "stories260K-ffpad192-Q8_0.gguf";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
    const auto f = gg::open(path);
    const auto& t = f.tensor("token_embd.weight"); // Q8_0 [64, 512]
    const auto b = gg::block_view<qforge::q8_0, extents<dynamic, 2>>(t);
    EXPECT_EQ(b.extent(0), 512u);
    EXPECT_EQ(static_cast<const void*>(&b(1, 0)), static_cast<const void*>(t.data.data() + 2 * 34));
    // Dequantizing row 1 through the view matches dequantizing its bytes directly.
    std::vector<float> via_view(64), direct(64);
    qforge::q8_0::dequantize(std::span<const qforge::q8_0::block>(&b(1, 0), 2), via_view);
    std::vector<qforge::q8_0::block> copy(2);
    std::memcpy(copy.data(), t.data.data() + 68, 68);
    qforge::q8_0::dequantize(copy, direct);
    EXPECT_EQ(via_view, direct);
}
