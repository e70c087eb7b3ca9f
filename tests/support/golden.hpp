// tests/support/golden.hpp: access to ../shared (models, golden vectors) from tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace qforge_test {

inline std::filesystem::path shared_dir() {
    if (const char* env = std::getenv("QFORGE_SHARED_DIR")) return env;
    return QFORGE_SHARED_DIR;
}

inline std::filesystem::path golden_quant_dir() { return shared_dir() / "golden" / "quant"; }
inline std::filesystem::path golden_llm_dir() { return shared_dir() / "golden" / "llm"; }
inline std::filesystem::path models_dir() { return shared_dir() / "models"; }

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + p.string());
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline std::vector<float> read_f32(const std::filesystem::path& p) {
    const auto b = read_bytes(p);
    std::vector<float> v(b.size() / 4);
    std::memcpy(v.data(), b.data(), v.size() * 4);
    return v;
}

// Reinterprets raw golden bytes as blocks of a format.
template <class Block>
std::vector<Block> as_blocks(const std::vector<std::uint8_t>& bytes) {
    std::vector<Block> v(bytes.size() / sizeof(Block));
    std::memcpy(v.data(), bytes.data(), v.size() * sizeof(Block));
    return v;
}

inline const std::vector<std::string>& golden_inputs() {
    static const std::vector<std::string> names{"gauss", "uniform", "outliers", "edge", "weights"};
    return names;
}

} // namespace qforge_test

// Skips the current test (with a message) when ../shared is not there.
#define QFORGE_REQUIRE_SHARED()                                                                          \
    do {                                                                                                 \
        if (!std::filesystem::exists(::qforge_test::golden_quant_dir()))                                 \
            GTEST_SKIP() << "../shared not found at " << ::qforge_test::shared_dir();                    \
    } while (0)
