// The command-line tools end to end (skipped when they are not built): qforge-convert writes the shared GGUF
// byte for byte; qforge-run prints the golden text and, with --ids, exactly the golden ids.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "golden_case.hpp"

namespace fs = std::filesystem;
using namespace qforge_test;

namespace {

fs::path tool(const char* name) { return fs::path(QFORGE_BINARY_DIR) / "tools" / name; }

// Runs a command and returns its stdout (stderr is discarded).
std::string capture(const std::string& cmd, int& status) {
    std::string out;
    FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
    if (!p) {
        status = -1;
        return out;
    }
    char buf[4096];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    status = pclose(p);
    return out;
}

// Appends, not "'" + s + "'": GCC 12's -Wrestrict misfires on that at -O3 (GCC bug 105329).
std::string quote(const fs::path& p) {
    std::string s(1, '\'');
    s += p.string();
    s += '\'';
    return s;
}

} // namespace

TEST(tools, convert_writes_the_shared_gguf) {
    QFORGE_REQUIRE_SHARED();
    if (!fs::exists(tool("qforge-convert"))) GTEST_SKIP() << "qforge-convert is not built";
    const fs::path out = fs::temp_directory_path() / ("qforge_convert_test_" + std::to_string(::getpid()) + ".gguf");
    int status = 0;
    capture(quote(tool("qforge-convert")) + " " + quote(models_dir() / "aidreams260K.bin") + " " +
                quote(models_dir() / "aidreams260K.tok512.bin") + " " + quote(out) +
                " --description 'aidreams260K: 260K-parameter llama2.c model (MIT) with its own 512-token tokenizer "
                "(aidreams260K.tok512.bin).'",
            status);
    EXPECT_EQ(status, 0);
    EXPECT_EQ(read_bytes(out), read_bytes(models_dir() / "aidreams260K.gguf"));
    fs::remove(out);
    capture(quote(tool("qforge-convert")) + " /nonexistent.bin x y", status);
    EXPECT_NE(status, 0);
}

TEST(tools, run_prints_the_golden_text_and_ids) {
    QFORGE_REQUIRE_SHARED();
    if (!fs::exists(tool("qforge-run"))) GTEST_SKIP() << "qforge-run is not built";
    int status = 0;
    const std::string text = capture(quote(tool("qforge-run")) + " -m " + quote(models_dir() / "aidreams260K.gguf") +
                                         " -p 'I dreamed of' -n 120 --temp 0 --ignore-eos -t 1", status);
    EXPECT_EQ(status, 0);
    const auto want = read_bytes(golden_llm_dir() / "aidreams260K.i-dreamed-of-n120.txt");
    EXPECT_EQ(text, std::string(want.begin(), want.end()));
    const std::string ids = capture(quote(tool("qforge-run")) + " -m " +
                                        quote(models_dir() / "aidreams260K-ffpad192-Q4_0.gguf") +
                                        " -p '' -n 120 --temp 0 --ignore-eos --ids -t 2", status);
    EXPECT_EQ(status, 0);
    const auto g = read_case("aidreams260K-ffpad192-Q4_0", "bos-n120");
    EXPECT_EQ(parse_ids("gen: " + ids, "gen: "), g.gen);
    capture(quote(tool("qforge-run")) + " -m /nonexistent.gguf", status);
    EXPECT_NE(status, 0);
    capture(quote(tool("qforge-run")) + " --bogus", status);
    EXPECT_NE(status, 0);
}
