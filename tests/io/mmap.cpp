// qforge::mapped_file: maps whole files read-only; clear errors for what cannot be mapped.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "qforge/io/mmap.hpp"

namespace {

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() / ("qforge_mmap_" + std::to_string(::getpid()) + "_" + name);
}

void expect_error(const std::filesystem::path& p, qforge::errc code, const std::string& text) {
    try {
        qforge::mapped_file m(p);
        ADD_FAILURE() << "mapped " << p;
    } catch (const qforge::error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        EXPECT_EQ(e.where().file, p.string());
        EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
}

} // namespace

TEST(MappedFile, MapsTheWholeFile) {
    const auto p = temp_path("data.bin");
    std::ofstream(p, std::ios::binary) << "0123456789";
    qforge::mapped_file m(p);
    ASSERT_EQ(m.size(), 10u);
    EXPECT_EQ(static_cast<char>(m.bytes()[3]), '3');
    EXPECT_EQ(m.path(), p.string());
    // Moves transfer the mapping; the moved-from object is empty and its destructor unmaps nothing.
    qforge::mapped_file moved(std::move(m));
    EXPECT_EQ(m.size(), 0u);
    EXPECT_EQ(m.data(), nullptr);
    EXPECT_EQ(static_cast<char>(moved.bytes()[9]), '9');
    qforge::mapped_file assigned;
    assigned = std::move(moved);
    EXPECT_EQ(assigned.size(), 10u);
    std::filesystem::remove(p); // the mapping stays valid after the file is unlinked
    EXPECT_EQ(static_cast<char>(assigned.bytes()[0]), '0');
}

TEST(MappedFile, ClearErrors) {
    expect_error("/nonexistent/file.gguf", qforge::errc::missing, "not found: no such file");
    expect_error(std::filesystem::temp_directory_path(), qforge::errc::io, "is a directory, not a file");
    expect_error("/dev/null", qforge::errc::io, "not a regular file");
    const auto empty = temp_path("empty.bin");
    std::ofstream(empty).close();
    expect_error(empty, qforge::errc::format, "file is empty");
    std::filesystem::remove(empty);
    if (::geteuid() != 0) { // root may read anything
        const auto secret = temp_path("secret.bin");
        std::ofstream(secret) << "x";
        std::filesystem::permissions(secret, std::filesystem::perms::none);
        expect_error(secret, qforge::errc::io, "cannot open: Permission denied");
        std::filesystem::remove(secret);
    }
}
