// tests/io/gguf_test_files.hpp: GGUF files for the io tests: a writer-made file with metadata of every type
// and a few tensors, and a raw byte builder for hand-crafted (hostile) files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/io/gguf_writer.hpp"

namespace qforge_test {

namespace gg = qforge::gguf;

// Deterministic tensor bytes: a simple pattern that differs per tensor and per byte.
inline std::vector<std::byte> pattern_bytes(std::size_t n, unsigned seed) {
    std::vector<std::byte> v(n);
    std::mt19937 rng(seed);
    for (auto& b : v) b = static_cast<std::byte>(rng() & 0xffu);
    return v;
}

// A writer holding metadata of every GGUF type (scalars, strings, arrays of each, arrays of strings, nested
// and empty arrays) and tensors of several types and ranks. Small (a few KB) so that tests can cut it at
// every byte.
inline gg::writer rich_writer(std::uint32_t alignment = 32) {
    gg::writer w;
    w.add("general.architecture", "llama");
    if (alignment != 32) w.add("general.alignment", std::uint32_t{alignment});
    w.add("test.u8", std::uint8_t{200});
    w.add("test.i8", std::int8_t{-100});
    w.add("test.u16", std::uint16_t{60000});
    w.add("test.i16", std::int16_t{-30000});
    w.add("test.u32", std::uint32_t{4000000000u});
    w.add("test.i32", std::int32_t{-2000000000});
    w.add("test.f32", 3.25f);
    w.add("test.bool_true", true);
    w.add("test.bool_false", false);
    w.add("test.string", "héllo, \"world\"\n");
    w.add("test.empty_string", "");
    w.add("test.u64", std::uint64_t{18000000000000000000ull});
    w.add("test.i64", std::int64_t{-9000000000000000000ll});
    w.add("test.f64", -1.0e300);
    w.add("test.arr_u8", std::vector<std::uint8_t>{0, 1, 255});
    w.add("test.arr_i8", std::vector<std::int8_t>{-128, 0, 127});
    w.add("test.arr_u16", std::vector<std::uint16_t>{1, 65535});
    w.add("test.arr_i16", std::vector<std::int16_t>{-32768, 32767});
    w.add("test.arr_u32", std::vector<std::uint32_t>{7, 8, 9});
    w.add("test.arr_i32", std::vector<std::int32_t>{-1, 2, -3});
    w.add("test.arr_f32", std::vector<float>{0.5f, -1.5f, 1e30f});
    w.add("test.arr_bool", std::vector<bool>{true, false, true});
    w.add("test.arr_string", std::vector<std::string>{"a", "", "<s>", "日本"});
    w.add("test.arr_u64", std::vector<std::uint64_t>{0, ~0ull});
    w.add("test.arr_i64", std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), 5});
    w.add("test.arr_f64", std::vector<double>{3.141592653589793, -0.0});
    w.add("test.arr_empty", gg::array(gg::value_type::float32));
    w.add("test.arr_nested", std::vector<gg::array>{gg::array(std::vector<std::int32_t>{1, 2}),
                                                    gg::array(std::vector<std::string>{"x", "yz"}),
                                                    gg::array(std::vector<gg::array>{
                                                        gg::array(std::vector<float>{9.0f})})});
    const std::uint64_t ne_a[] = {32, 3};      // f32 [32, 3]
    const std::uint64_t ne_b[] = {64, 2};      // q8_0 [64, 2]: 4 blocks
    const std::uint64_t ne_c[] = {5};          // f16 [5]
    const std::uint64_t ne_d[] = {2, 1, 2, 3}; // i32, rank 4
    w.add_tensor("a.weight", qforge::ggml_type::f32, ne_a, pattern_bytes(32 * 3 * 4, 1));
    w.add_tensor("b.weight", qforge::ggml_type::q8_0, ne_b, pattern_bytes(4 * 34, 2));
    w.add_tensor("c.bias", qforge::ggml_type::f16, ne_c, pattern_bytes(10, 3));
    w.add_tensor("d.rank4", qforge::ggml_type::i32, ne_d, pattern_bytes(12 * 4, 4));
    return w;
}

// Appends GGUF primitives little-endian, for hand-made files.
class raw {
public:
    raw& u8(std::uint8_t v) { return put(v); }
    raw& u32(std::uint32_t v) { return put(v); }
    raw& u64(std::uint64_t v) { return put(v); }
    raw& str(std::string_view s) {
        u64(s.size());
        for (char c : s) bytes.push_back(static_cast<std::byte>(c));
        return *this;
    }
    raw& header(std::uint64_t n_tensors, std::uint64_t n_kv, std::uint32_t version = 3) {
        return u32(0x46554747u).u32(version).u64(n_tensors).u64(n_kv);
    }
    // A key with a UINT32 value.
    raw& kv_u32(std::string_view key, std::uint32_t v) { return str(key).u32(4).u32(v); }
    // A tensor info.
    raw& tensor(std::string_view name, std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset) {
        str(name).u32(static_cast<std::uint32_t>(ne.size()));
        for (auto e : ne) u64(e);
        return u32(type).u64(offset);
    }
    raw& pad_to(std::size_t alignment) {
        while (bytes.size() % alignment) bytes.push_back(std::byte{0});
        return *this;
    }
    raw& zeros(std::size_t n) {
        bytes.insert(bytes.end(), n, std::byte{0});
        return *this;
    }

    std::vector<std::byte> bytes;

private:
    template <class T> raw& put(T v) {
        const auto at = bytes.size();
        bytes.resize(at + sizeof(T));
        std::memcpy(bytes.data() + at, &v, sizeof(T));
        return *this;
    }
};

} // namespace qforge_test
