// tools: mkmodel quantize-stats
// qforge-quantize-stats: errors agree with ggml's reconstructions, misfitting rows are skipped with the
// reason, overall figures aggregate the tensors, bad input fails.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "support/golden.hpp"
#include "tools/tool_runner.hpp"

namespace {

using namespace qforge_test;

// The whitespace-separated fields of the first line whose first field is `a` (and second `b`, if given).
std::vector<std::string> fields_of(const std::string& text, const std::string& a, const std::string& b = {}) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::vector<std::string> f;
        std::string w;
        while (ls >> w) f.push_back(w);
        if (!f.empty() && f[0] == a && (b.empty() || (f.size() > 1 && f[1] == b))) return f;
    }
    return {};
}

TEST(quantize_stats, raw_file_rmse_matches_ggml) {
    QFORGE_REQUIRE_SHARED();
    const auto in = golden_quant_dir() / "inputs" / "gauss.f32";
    const auto r = run_tool("quantize-stats", quote(in) + " --shape 4096 --types q4_0,q6_k");
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* f : {"q4_0", "q6_k"}) {
        const auto x = read_f32(in);
        const auto y = read_f32(golden_quant_dir() / f / "gauss.deq.f32");
        double se = 0, sx = 0, mx = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double d = static_cast<double>(x[i]) - y[i];
            se += d * d;
            sx += static_cast<double>(x[i]) * x[i];
            mx = std::max(mx, std::fabs(d));
        }
        const auto row = fields_of(r.out, "gauss.f32", f);
        ASSERT_GE(row.size(), 7u) << r.out;
        EXPECT_NEAR(std::stod(row[3]), std::sqrt(se / 4096.0), std::sqrt(se / 4096.0) * 1e-3) << f;
        EXPECT_NEAR(std::stod(row[4]), 10 * std::log10(sx / se), 0.01) << f;
        EXPECT_NEAR(std::stod(row[5]), mx, mx * 1e-3) << f;
        EXPECT_GT(std::stod(row[6]), 0.0) << f; // throughput
    }
    EXPECT_EQ(fields_of(r.out, "q4_0")[1], "4.5000");
    EXPECT_EQ(fields_of(r.out, "q6_k")[1], "6.5625");
}

TEST(quantize_stats, gguf_tensors_and_skips) {
    const auto model = scratch_dir() / "m.gguf";
    ASSERT_EQ(run_tool("mkmodel", quote(model) + " --dim 64 --hidden 256 --layers 1 --heads 4 --kv-heads 4 --vocab 260 --seq 32").code, 0);
    const auto r = run_tool("quantize-stats", quote(model) + " --types q8_0,q4_k -t 2");
    ASSERT_EQ(r.code, 0) << r.err;
    // ffn_down has rows of 256: q4_k fits; every other matrix has rows of 64: q4_k is skipped with the reason.
    const auto down = fields_of(r.out, "blk.0.ffn_down.weight", "q4_k");
    ASSERT_GE(down.size(), 7u) << r.out;
    EXPECT_EQ(down[2], "4.5000");
    const auto skipped = fields_of(r.out, "blk.0.attn_q.weight", "q4_k");
    ASSERT_EQ(skipped.size(), 17u) << r.out; // name, type, 5 dashes, "skipped:", the reason
    EXPECT_EQ(skipped[7], "skipped:");
    EXPECT_NE(r.out.find("skipped: row length 64 is not a multiple of 256"), std::string::npos);
    // Overall: 8 matrices (token_embd + 7 per layer); q8_0 all of them, q4_k only ffn_down.
    const auto q8 = fields_of(r.out, "q8_0");
    ASSERT_EQ(q8.size(), 8u) << r.out;
    EXPECT_EQ(q8[6], "8");
    EXPECT_EQ(q8[7], "0");
    const auto q4k = fields_of(r.out, "q4_k");
    ASSERT_EQ(q4k.size(), 8u) << r.out;
    EXPECT_EQ(q4k[6], "1");
    EXPECT_EQ(q4k[7], "7");
    // N(0, 0.02) weights: q8_0 keeps about 45 dB.
    EXPECT_NEAR(std::stod(q8[3]), 45.5, 1.5);
}

TEST(quantize_stats, bad_input) {
    EXPECT_EQ(run_tool("quantize-stats", "--help").code, 0);
    EXPECT_EQ(run_tool("quantize-stats", "").code, 2);
    const auto f = scratch_dir() / "raw.f32";
    std::ofstream(f, std::ios::binary) << std::string(64, '\0');
    const auto r = run_tool("quantize-stats", quote(f) + " --shape 3x7");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("does not match"), std::string::npos) << r.err;
    const auto u = run_tool("quantize-stats", quote(f) + " --shape 16 --types q4_9");
    EXPECT_EQ(u.code, 1);
    EXPECT_NE(u.err.find("unknown format 'q4_9'"), std::string::npos) << u.err;
    EXPECT_EQ(run_tool("quantize-stats", quote(f) + " --shape 16 --types q8_k").code, 2);
    EXPECT_EQ(run_tool("quantize-stats", "/nonexistent.gguf").code, 1);
}

} // namespace
