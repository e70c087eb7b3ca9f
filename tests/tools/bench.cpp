// tools: mkmodel bench quantize
// qforge-bench: a row per model x threads x test with positive mean ± stddev, JSON that parses, errors.
#include <gtest/gtest.h>

#include <sstream>

#include "tools/tool_runner.hpp"

namespace {

using namespace qforge_test;

std::filesystem::path tiny_model() {
    static const auto p = [] {
        const auto path = scratch_dir() / "tiny.gguf";
        const auto r = run_tool("mkmodel", quote(path) + " --dim 64 --hidden 128 --layers 2 --heads 4 --kv-heads 4 "
                                                       "--vocab 300 --seq 32");
        EXPECT_EQ(r.code, 0) << r.err;
        return path;
    }();
    return p;
}

std::vector<std::string> cells(const std::string& line) {
    std::vector<std::string> c;
    std::istringstream in(line.substr(1));
    std::string x;
    while (std::getline(in, x, '|')) {
        const auto b = x.find_first_not_of(' '), e = x.find_last_not_of(' ');
        c.push_back(b == std::string::npos ? "" : x.substr(b, e - b + 1));
    }
    return c;
}

TEST(bench, markdown_table) {
    const auto r = run_tool("bench", "-m " + quote(tiny_model()) + " -p 16 -n 8 -t 1,2 -r 3");
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream in(r.out);
    std::string line;
    std::vector<std::vector<std::string>> rows;
    while (std::getline(in, line))
        if (line.rfind("| synthetic", 0) == 0) rows.push_back(cells(line));
    ASSERT_EQ(rows.size(), 4u) << r.out; // 2 thread counts x (pp16, tg8)
    const char* tests[] = {"pp16", "tg8", "pp16", "tg8"};
    const char* threads[] = {"1", "1", "2", "2"};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        ASSERT_EQ(rows[i].size(), 9u);
        EXPECT_EQ(rows[i][1], "F32");
        EXPECT_EQ(rows[i][5], threads[i]);
        EXPECT_EQ(rows[i][6], tests[i]);
        const double mean = std::stod(rows[i][7]);
        EXPECT_GT(mean, 0.0);
        EXPECT_NE(rows[i][7].find("±"), std::string::npos);
        EXPECT_NE(rows[i][8].find("MiB"), std::string::npos); // peak RSS
    }
    // params: 300*64 (embedding) + 2*(4*64*64 + 3*64*128) + 5*64 (norms) = 101440
    EXPECT_EQ(rows[0][3], "0.10 M");
}

TEST(bench, json_parses) {
    const auto r = run_tool("bench", "-m " + quote(tiny_model()) + " -p 8 -n 4 -t 1 -r 2 -o json");
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string py = QFORGE_PYTHON;
    if (!std::filesystem::exists(py)) GTEST_SKIP() << "no Python at " << py;
    const auto json = scratch_dir() / "bench.json";
    std::ofstream(json) << r.out;
    const std::string cmd = "'" + py + "' -c \"import json,sys; d=json.load(open(sys.argv[1])); "
                            "assert [x['test'] for x in d]==['pp8','tg4']; "
                            "assert all(len(x['samples_ts'])==2 and x['avg_ts']>0 and x['peak_rss_bytes']>0 for x in d)\" " +
                            quote(json);
    EXPECT_EQ(std::system(cmd.c_str()), 0) << r.out;
}

// Peak RSS stays within the file size + the KV cache + 16 MiB (the weights are used in place from the mapped
// file, nothing is copied), for an F32 model and its Q4_0 and Q4_K_M quantizations. The model is big enough (58 MB F32)
// for a copy of the weights to break the bound.
TEST(bench, peak_rss_within_file_kv_16mib) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "AddressSanitizer build: its shadow memory and quarantine inflate the RSS being bounded";
#endif
    const auto f32 = scratch_dir() / "rss.gguf", q4 = scratch_dir() / "rss-q4_0.gguf",
               q4km = scratch_dir() / "rss-q4_k_m.gguf";
    ASSERT_EQ(run_tool("mkmodel", quote(f32) + " --dim 512 --hidden 1024 --layers 4 --heads 8 --kv-heads 8 "
                                               "--vocab 8000 --seq 128").code, 0);
    ASSERT_EQ(run_tool("quantize", quote(f32) + " " + quote(q4) + " q4_0").code, 0);
    // Q4_K_M: its q4_k/q6_k matrices are copied into the interleaved layouts at load (AVX-512 VNNI) and the file's
    // pages of those tensors released, so the copy must not add to the bound.
    ASSERT_EQ(run_tool("quantize", quote(f32) + " " + quote(q4km) + " Q4_K_M").code, 0);
    const std::uint64_t kv = 4ull * 2 * 128 * 512 * sizeof(float); // layers x (K, V) x context x kv dim, f32
    for (const auto& [m, extra] : {std::pair{f32, ""}, {q4, ""}, {q4km, ""}, {q4km, " --no-interleave"}}) {
        const auto r = run_tool("bench", "-m " + quote(m) + " -p 32 -n 32 -t 2 -r 1 -o json" + extra);
        ASSERT_EQ(r.code, 0) << r.err;
        const auto at = r.out.find("\"peak_rss_bytes\": ");
        ASSERT_NE(at, std::string::npos) << r.out;
        const std::uint64_t rss = std::stoull(r.out.substr(at + 18));
        const std::uint64_t file = std::filesystem::file_size(m);
        EXPECT_LE(rss, file + kv + (16ull << 20)) << m << ": peak RSS " << rss << ", file " << file;
        EXPECT_GT(rss, file / 2) << "the weights should be resident while running";
    }
}

TEST(bench, bad_input) {
    EXPECT_EQ(run_tool("bench", "--help").code, 0);
    EXPECT_EQ(run_tool("bench", "").code, 2);
    EXPECT_EQ(run_tool("bench", "-m " + quote(tiny_model()) + " -o xml").code, 2);
    EXPECT_EQ(run_tool("bench", "-m " + quote(tiny_model()) + " -t 0").code, 2);
    EXPECT_EQ(run_tool("bench", "-m " + quote(tiny_model()) + " -r x").code, 2);
    const auto ctx = run_tool("bench", "-m " + quote(tiny_model()) + " -p 64 -n 1 -r 1");
    EXPECT_EQ(ctx.code, 1);
    EXPECT_NE(ctx.err.find("context is 32"), std::string::npos) << ctx.err;
    EXPECT_EQ(run_tool("bench", "-m /nonexistent.gguf").code, 1);
}

} // namespace
