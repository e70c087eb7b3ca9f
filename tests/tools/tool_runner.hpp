// tests/tools/tool_runner.hpp: runs a built qforge tool (build/tools/qforge-<name>) through the shell and
// captures its exit code, stdout and stderr, for the tests of the command-line tools.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace qforge_test {

struct tool_result {
    int code = -1;
    std::string out; // stdout
    std::string err; // stderr
};

inline std::filesystem::path tool_path(const std::string& name) {
    return std::filesystem::path(QFORGE_BINARY_DIR) / "tools" / ("qforge-" + name);
}

// A scratch directory per test program, emptied on first use.
inline std::filesystem::path scratch_dir() {
    static const std::filesystem::path dir = [] {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_suite();
        std::filesystem::path d = std::filesystem::temp_directory_path() /
                                  ("qforge-tooltest-" + std::string(info ? info->name() : "x") + "-" +
                                   std::to_string(::getpid()));
        std::filesystem::remove_all(d);
        std::filesystem::create_directories(d);
        return d;
    }();
    return dir;
}

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Runs `qforge-<name> <args>` (args already shell-quoted where needed).
inline tool_result run_tool(const std::string& name, const std::string& args) {
    const auto out = scratch_dir() / "stdout.txt";
    const auto err = scratch_dir() / "stderr.txt";
    const std::string cmd = "QFORGE_NO_PROGRESS=1 '" + tool_path(name).string() + "' " + args + " >'" + out.string() +
                            "' 2>'" + err.string() + "'";
    const int status = std::system(cmd.c_str());
    tool_result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

// Built by appends: GCC 12's -Wrestrict misfires on "'" + s + "'" at -O3 (GCC bug 105329).
inline std::string quote(const std::filesystem::path& p) {
    std::string s;
    s += '\'';
    s += p.string();
    s += '\'';
    return s;
}

} // namespace qforge_test
