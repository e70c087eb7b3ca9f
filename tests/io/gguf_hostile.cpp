// Hostile and damaged GGUF files: each validation rule with its message, truncation at every byte, random
// byte flips. Run under ASan+UBSan in CI: an out-of-bounds read would be reported there, not just here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

#include "qforge/io/gguf.hpp"

#include "io/gguf_test_files.hpp"
#include "support/golden.hpp"

namespace gg = qforge::gguf;
using qforge_test::raw;
using qforge_test::rich_writer;

namespace {

// Parses `bytes` (a fresh heap copy of exactly that size, so that ASan sees any overread) and expects a
// qforge::error with `code` whose text contains `substring`.
void expect_rejected(const std::vector<std::byte>& bytes, qforge::errc code, const std::string& substring) {
    try {
        (void)gg::file::parse(std::vector<std::byte>(bytes), "hostile.gguf");
        ADD_FAILURE() << "accepted; expected an error containing: " << substring;
    } catch (const qforge::error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        EXPECT_NE(std::string(e.what()).find(substring), std::string::npos) << "message: " << e.what();
        EXPECT_EQ(e.where().file, "hostile.gguf");
    }
}

// A valid file's parse must be internally consistent: every tensor lies inside the data section, aligned,
// with the size its shape implies, and no two overlap. Reading every byte lets ASan check the spans.
void check_consistent(const gg::file& f) {
    const auto all = f.bytes();
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    unsigned sum = 0;
    for (const auto& t : f.tensors()) {
        ASSERT_GE(t.data.data(), all.data() + f.data_offset());
        ASSERT_LE(t.data.data() + t.data.size(), all.data() + all.size());
        ASSERT_EQ(t.data.size(), t.n_bytes);
        ASSERT_EQ(t.offset % f.alignment(), 0u);
        const auto ti = qforge::ggml_type_info(t.type_id);
        ASSERT_NE(ti.block_size, 0u);
        ASSERT_EQ(t.n_bytes, t.n_elements / ti.block_size * ti.block_bytes);
        ranges.emplace_back(t.offset, t.offset + t.n_bytes);
        for (const auto b : t.data) sum += static_cast<unsigned>(b);
    }
    std::sort(ranges.begin(), ranges.end());
    for (std::size_t i = 1; i < ranges.size(); ++i) ASSERT_LE(ranges[i - 1].second, ranges[i].first);
    for (const auto& [k, v] : f.metadata()) ASSERT_FALSE(k.empty());
    (void)sum;
}

// Either a clean qforge::error or a consistent parse; anything else (another exception type, a crash,
// a sanitizer report) fails. Returns whether it parsed.
bool parses_or_rejects(std::vector<std::byte> bytes) {
    try {
        const auto f = gg::file::parse(std::move(bytes), "damaged.gguf");
        check_consistent(f);
        return true;
    } catch (const qforge::error& e) {
        EXPECT_FALSE(std::string(e.what()).empty());
        return false;
    }
}

std::vector<std::byte> minimal_tensor_file(std::uint32_t type, std::vector<std::uint64_t> ne, std::uint64_t offset,
                                           std::size_t data_bytes) {
    raw r;
    r.header(1, 0).tensor("t", std::move(ne), type, offset).pad_to(32).zeros(data_bytes);
    return r.bytes;
}

const qforge::errc fmt = qforge::errc::format;

} // namespace

// ---- one rule at a time ------------------------------------------------------------------------------

TEST(GgufHostile, HeaderRules) {
    expect_rejected(raw().u32(0x46554746u).u32(3).u64(0).u64(0).bytes, fmt, "at byte 0: format error: bad magic 'FGUF'");
    expect_rejected(raw().u8('G').u8('G').bytes, fmt, "truncated: magic needs 4 bytes, only 2 left");
    expect_rejected(raw().u32(0x46554747u).bytes, fmt, "at byte 4: format error: truncated: version needs 4 bytes");
    expect_rejected(raw().header(0, 0, 1).bytes, qforge::errc::unsupported, "GGUF version 1 is not supported");
    expect_rejected(raw().header(0, 0, 4).bytes, qforge::errc::unsupported, "GGUF version 4 is not supported");
    expect_rejected(raw().header(0, 0, 0x03000000u).bytes, qforge::errc::unsupported, "big-endian GGUF (version 3");
    expect_rejected(raw().u32(0x46554747u).u32(3).u64(0).bytes, fmt, "at byte 16: format error: truncated: metadata count");
    // The smallest valid file: no tensors, no metadata.
    const auto f = gg::file::parse(raw().header(0, 0).bytes);
    EXPECT_TRUE(f.metadata().empty());
    EXPECT_TRUE(f.tensors().empty());
}

TEST(GgufHostile, CountsLargerThanTheFile) {
    expect_rejected(raw().header(0, 1000).bytes, fmt, "at byte 16: format error: metadata count 1000 is larger than the file can hold");
    expect_rejected(raw().header(0, ~0ull).bytes, fmt, "metadata count 18446744073709551615 exceeds the limit");
    expect_rejected(raw().header(5, 0).zeros(100).bytes, fmt, "at byte 8: format error: tensor count 5 is larger than the file can hold");
    expect_rejected(raw().header(~0ull, 0).bytes, fmt, "tensor count 18446744073709551615 exceeds the limit");
    // String length beyond the end of the file (the key, then a value).
    expect_rejected(raw().header(0, 1).u64(1ull << 40).zeros(20).bytes, fmt,
                    "at byte 24: format error: metadata key length 1099511627776 is larger than the 20 bytes left");
    expect_rejected(raw().header(0, 1).str("k").u32(8).u64(~0ull).zeros(10).bytes, fmt,
                    "string value of 'k' length 18446744073709551615 is larger than the 10 bytes left");
    // Array counts: each element needs at least its size.
    expect_rejected(raw().header(0, 1).str("k").u32(9).u32(6).u64(4).zeros(15).bytes, fmt,
                    "array element count of 'k' 4 is larger than the file can hold (15 bytes left, at least 4 bytes each)");
    expect_rejected(raw().header(0, 1).str("k").u32(9).u32(8).u64(1ull << 61).zeros(64).bytes, fmt,
                    "array element count of 'k' 2305843009213693952 is larger than the file can hold");
    expect_rejected(raw().header(0, 1).str("k").u32(9).u32(9).u64(1000).zeros(64).bytes, fmt,
                    "array element count of 'k' 1000 is larger than the file can hold");
    // Tensor name length.
    expect_rejected(raw().header(1, 0).u64(1ull << 50).zeros(40).bytes, fmt, "tensor name length 1125899906842624 is larger");
}

TEST(GgufHostile, MetadataRules) {
    expect_rejected(raw().header(0, 1).str("k").u32(13).u8(0).bytes, fmt, "at byte 33: format error: metadata key 'k': unknown value type 13");
    expect_rejected(raw().header(0, 1).str("k").u32(9).u32(77).u64(0).bytes, fmt, "metadata key 'k': unknown value type 77");
    expect_rejected(raw().header(0, 1).str("k").u32(7).u8(2).bytes, fmt, "metadata key 'k': BOOL value is 2, not 0 or 1");
    expect_rejected(raw().header(0, 1).str("").u32(4).u32(0).bytes, fmt, "at byte 24: format error: empty metadata key");
    expect_rejected(raw().header(0, 2).kv_u32("a.b", 1).kv_u32("a.b", 2).bytes, fmt,
                    "at byte 43: format error: duplicate metadata key 'a.b'");
    expect_rejected(raw().header(0, 1).str(std::string(70000, 'k')).u32(0).u8(0).bytes, fmt,
                    "metadata key of 70000 bytes exceeds the limit of 65535");
    // Arrays nest at most 8 levels; 8 are fine.
    auto nested = [](int levels) {
        raw r;
        r.header(0, 1).str("deep").u32(9);
        for (int i = 1; i < levels; ++i) r.u32(9).u64(1);
        r.u32(0).u64(1).u8(42);
        return r.bytes;
    };
    const auto ok = gg::file::parse(nested(8));
    const gg::array* a = &ok.at("deep").as<gg::array>();
    for (int i = 1; i < 8; ++i) a = &a->items<gg::array>()[0];
    EXPECT_EQ(a->items<std::uint8_t>()[0], 42);
    expect_rejected(nested(9), fmt, "metadata key 'deep': arrays nested deeper than 8 levels");
    expect_rejected(nested(100000), fmt, "arrays nested deeper than 8 levels");
    // Truncated scalar values.
    expect_rejected(raw().header(0, 1).str("k").u32(12).u32(0).bytes, fmt, "truncated: value of 'k' needs 8 bytes, only 4 left");
}

TEST(GgufHostile, AlignmentRules) {
    expect_rejected(raw().header(0, 1).str("general.alignment").u32(10).u64(32).bytes, fmt,
                    "general.alignment has type UINT64, expected UINT32");
    expect_rejected(raw().header(0, 1).kv_u32("general.alignment", 0).bytes, fmt,
                    "at byte 24: format error: general.alignment 0 is not a power of two");
    expect_rejected(raw().header(0, 1).kv_u32("general.alignment", 48).bytes, fmt,
                    "general.alignment 48 is not a power of two");
    expect_rejected(raw().header(0, 1).kv_u32("general.alignment", 1u << 31).bytes, fmt,
                    "general.alignment 2147483648 is not a power of two between 1 and 2^30");
    // Alignment 16: a tensor at offset 16 is fine, at 8 it is misaligned.
    raw good;
    good.header(2, 1).kv_u32("general.alignment", 16).tensor("a", {4}, 0, 0).tensor("b", {4}, 0, 16).pad_to(16).zeros(32);
    const auto f = gg::file::parse(good.bytes);
    EXPECT_EQ(f.alignment(), 16u);
    EXPECT_EQ(f.data_offset() % 16, 0u);
    EXPECT_EQ(f.tensor("b").file_offset, f.data_offset() + 16);
    raw bad;
    bad.header(2, 1).kv_u32("general.alignment", 16).tensor("a", {2}, 0, 0).tensor("b", {2}, 0, 8).pad_to(16).zeros(32);
    expect_rejected(bad.bytes, fmt, "tensor 'b': at byte 115: format error: data offset 8 is not a multiple of the alignment 16");
}

TEST(GgufHostile, TensorShapeRules) {
    expect_rejected(minimal_tensor_file(0, {}, 0, 32), fmt, "tensor 't': at byte 33: format error: dimension count 0 is not between 1 and 4");
    expect_rejected(minimal_tensor_file(0, {1, 1, 1, 1, 1}, 0, 32), fmt, "dimension count 5 is not between 1 and 4");
    expect_rejected(minimal_tensor_file(0, {4, 0}, 0, 32), fmt, "tensor 't': at byte 45: format error: extent ne[1] = 0 is not between 1 and 2^63-1");
    expect_rejected(minimal_tensor_file(0, {1ull << 63}, 0, 32), fmt, "extent ne[0] = 9223372036854775808 is not between");
    expect_rejected(minimal_tensor_file(0, {1ull << 32, 1ull << 32}, 0, 32), fmt,
                    "tensor 't': at byte 33: format error: element count (product of the extents) overflows");
    expect_rejected(minimal_tensor_file(0, {1ull << 40, 1ull << 22, 2}, 0, 32), fmt, "element count (product of the extents) overflows");
    // 2^62 f32 elements fit int64, their 2^64 bytes do not.
    expect_rejected(minimal_tensor_file(0, {1ull << 62}, 0, 32), fmt, "byte size overflows");
    expect_rejected(minimal_tensor_file(8, {33}, 0, 64), fmt, "row length ne[0] = 33 is not a multiple of Q8_0's block size 32");
    expect_rejected(minimal_tensor_file(12, {32, 8}, 0, 64), fmt, "row length ne[0] = 32 is not a multiple of Q4_K's block size 256");
    expect_rejected(minimal_tensor_file(4, {32}, 0, 64), qforge::errc::unsupported, "tensor 't': at byte 45: unsupported: unknown ggml type id 4");
    expect_rejected(minimal_tensor_file(1000, {32}, 0, 64), qforge::errc::unsupported, "unknown ggml type id 1000");
    raw empty_name;
    empty_name.header(1, 0).tensor("", {4}, 0, 0).pad_to(32).zeros(16);
    expect_rejected(empty_name.bytes, fmt, "empty tensor name (tensor 0)");
    raw long_name;
    long_name.header(1, 0).tensor(std::string(64, 'n'), {4}, 0, 0).pad_to(32).zeros(16);
    expect_rejected(long_name.bytes, fmt, "tensor name of 64 bytes exceeds ggml's limit of 63");
    // Valid: a q8_0 tensor of two rows.
    const auto ok = gg::file::parse(minimal_tensor_file(8, {64, 2}, 0, 4 * 34));
    EXPECT_EQ(ok.tensor("t").n_bytes, 136u);
}

TEST(GgufHostile, TensorPlacementRules) {
    // The data section would start past the end of the file.
    raw no_data;
    no_data.header(1, 0).tensor("t", {4}, 0, 0);
    expect_rejected(no_data.bytes, fmt, "truncated: the tensor data section would start at byte 64, past the end of the file (57 bytes)");
    // Offset beyond the data section; tensor running past the end.
    expect_rejected(minimal_tensor_file(0, {4}, 1ull << 60, 64), fmt,
                    "tensor 't': at byte 24: format error: data [1152921504606846976, +16) of the data section extends past the end of the file (the data section has 64 bytes)");
    expect_rejected(minimal_tensor_file(0, {4}, 0, 15), fmt, "data [0, +16) of the data section extends past the end of the file");
    expect_rejected(minimal_tensor_file(0, {4}, 32, 47), fmt, "data [32, +16) of the data section extends past");
    expect_rejected(minimal_tensor_file(0, {4}, ~0ull & ~31ull, 64), fmt, "extends past the end of the file");
    // Overlap, in either info order.
    raw overlap;
    overlap.header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {4}, 0, 32).pad_to(32).zeros(128);
    expect_rejected(overlap.bytes, fmt, "tensor 'b': at byte 57: format error: data [32, 48) overlaps tensor 'a' [0, 64)");
    raw overlap2;
    overlap2.header(2, 0).tensor("b", {4}, 0, 32).tensor("a", {16}, 0, 0).pad_to(32).zeros(128);
    expect_rejected(overlap2.bytes, fmt, "tensor 'b': at byte 24: format error: data [32, 48) overlaps tensor 'a' [0, 64)");
    raw same;
    same.header(2, 0).tensor("a", {4}, 0, 0).tensor("b", {4}, 0, 0).pad_to(32).zeros(32);
    expect_rejected(same.bytes, fmt, "overlaps tensor");
    raw dup;
    dup.header(2, 0).tensor("a", {4}, 0, 0).tensor("a", {4}, 0, 32).pad_to(32).zeros(64);
    expect_rejected(dup.bytes, fmt, "tensor 'a': at byte 57: format error: duplicate tensor name");
    // Out of order but disjoint is valid (ggml's writer packs in order; the format does not require it).
    raw unordered;
    unordered.header(2, 0).tensor("a", {4}, 0, 32).tensor("b", {8}, 0, 0).pad_to(32).zeros(64);
    const auto f = gg::file::parse(unordered.bytes);
    EXPECT_EQ(f.tensor("a").file_offset, f.data_offset() + 32);
    // No tensors: the padding and data section may be absent.
    EXPECT_NO_THROW((void)gg::file::parse(raw().header(0, 1).kv_u32("x", 1).bytes));
}

// ---- every truncation, random damage -----------------------------------------------------------------

TEST(GgufHostile, TruncatedRichFileAtEveryByte) {
    const auto full = rich_writer().to_bytes();
    const auto f = gg::file::parse(std::span<const std::byte>(full));
    std::uint64_t data_end = 0;
    for (const auto& t : f.tensors()) data_end = std::max(data_end, t.file_offset + t.n_bytes);
    ASSERT_GT(full.size(), 1000u);
    std::set<std::string> messages;
    for (std::size_t n = 0; n < full.size(); ++n) {
        std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        if (n < data_end) {
            // Every cut before the end of the last tensor loses something: always an error, never a parse.
            try {
                (void)gg::file::parse(std::move(cut), "cut.gguf");
                ADD_FAILURE() << "cut at " << n << " of " << full.size() << " was accepted";
            } catch (const qforge::error& e) {
                EXPECT_EQ(e.code(), qforge::errc::format) << e.what();
                messages.insert(e.message().substr(0, 20));
            }
        } else {
            EXPECT_TRUE(parses_or_rejects(std::move(cut))) << "cut at " << n << " in the trailing padding";
        }
    }
    EXPECT_TRUE(messages.count("truncated: the tenso")) << "the data-section check was never hit";
}

TEST(GgufHostile, RandomByteFlipsInRichFile) {
    const auto full = rich_writer().to_bytes();
    const auto header_end = gg::file::parse(std::span<const std::byte>(full)).data_offset();
    std::mt19937_64 rng(20260522);
    int parsed = 0, rejected = 0;
    for (int i = 0; i < 6000; ++i) {
        auto bytes = full;
        const int flips = 1 + static_cast<int>(rng() % 3);
        for (int k = 0; k < flips; ++k) {
            // Mostly the header, where the structure is; sometimes anywhere.
            const std::size_t pos = (rng() % 8 != 0) ? rng() % header_end : rng() % bytes.size();
            switch (rng() % 4) {
            case 0: bytes[pos] ^= static_cast<std::byte>(1u << (rng() % 8)); break;
            case 1: bytes[pos] = static_cast<std::byte>(rng() & 0xffu); break;
            case 2: bytes[pos] = std::byte{0xff}; break;
            default: bytes[pos] = std::byte{0}; break;
            }
        }
        (parses_or_rejects(std::move(bytes)) ? parsed : rejected)++;
    }
    // Both outcomes occur: the damage is neither always harmless nor always caught at the same place.
    EXPECT_GT(parsed, 100);
    EXPECT_GT(rejected, 1000);
}

TEST(GgufHostile, SharedModelTruncatedAndFlipped) {
    const auto path = qforge_test::models_dir() / "stories260K-ffpad192-Q8_0.gguf";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
    const auto raw_bytes = qforge_test::read_bytes(path);
    std::vector<std::byte> full(raw_bytes.size());
    std::memcpy(full.data(), raw_bytes.data(), full.size());
    const auto header_end = gg::file::parse(std::span<const std::byte>(full)).data_offset();
    // Cuts: every byte of the first KiB (header, first keys), then every 11th byte of the rest of the header
    // (vocabulary, tensor infos; an odd stride lands on every field position modulo small sizes), then 60
    // spread over the tensor data. Every byte of the whole header costs ~20 s under ASan.
    std::vector<std::size_t> cuts;
    for (std::size_t i = 0; i < header_end; i += (i < 1024 ? 1 : 11)) cuts.push_back(i);
    for (std::size_t i = 0; i < 60; ++i) cuts.push_back(header_end + i * (full.size() - header_end) / 60 + 1);
    for (const auto n : cuts) {
        std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(std::min(n, full.size() - 1)));
        EXPECT_FALSE(parses_or_rejects(std::move(cut))) << "cut at " << n;
    }
    std::mt19937_64 rng(7);
    int rejected = 0;
    for (int i = 0; i < 400; ++i) {
        auto bytes = full;
        const std::size_t pos = rng() % header_end;
        bytes[pos] ^= static_cast<std::byte>(1 + rng() % 255);
        rejected += !parses_or_rejects(std::move(bytes));
    }
    EXPECT_GT(rejected, 20);
}
