// tools: mkmodel quantize eval
// qforge-eval: perplexity is exactly right on a model whose answer is known, a model agrees with itself,
// quantized models are judged against the base, gates print PASS/FAIL, bad input fails.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "support/golden.hpp"
#include "tools/tool_runner.hpp"

namespace {

using namespace qforge_test;

double value_of(const std::string& out, const std::string& key) {
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ": ", 0) == 0) return std::stod(line.substr(key.size() + 2));
    ADD_FAILURE() << "no '" << key << "' in:\n" << out;
    return NAN;
}

std::filesystem::path model() {
    static const auto p = [] {
        const auto path = scratch_dir() / "m.gguf";
        const auto r = run_tool("mkmodel", quote(path) + " --dim 64 --hidden 128 --layers 2 --heads 4 --kv-heads 4 "
                                                       "--vocab 300 --seq 64");
        EXPECT_EQ(r.code, 0) << r.err;
        return path;
    }();
    return p;
}

std::filesystem::path text() {
    const auto p = scratch_dir() / "t.txt";
    std::ofstream(p) << "The quick brown fox jumps over the lazy dog. 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz!";
    return p;
}

TEST(eval, self_comparison_is_perfect) {
    const auto r = run_tool("eval", "-m " + quote(model()) + " --base " + quote(model()) + " -f " + quote(text()) +
                                        " --ctx 40 --speed-tokens 0 -t 1");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_DOUBLE_EQ(value_of(r.out, "kl_mean"), 0.0);
    EXPECT_DOUBLE_EQ(value_of(r.out, "top1_agreement"), 1.0);
    EXPECT_DOUBLE_EQ(value_of(r.out, "ppl_ratio"), 1.0);
    EXPECT_EQ(value_of(r.out, "ppl"), value_of(r.out, "ppl_base"));
    EXPECT_NE(r.out.find("PASS accuracy"), std::string::npos);
    EXPECT_NE(r.out.find("FAIL memory"), std::string::npos); // the same file is 100% of itself
    // Windows of 40 = BOS + 39 text tokens: ceil(tokens / 39) of them.
    std::size_t tokens = 0, windows = 0;
    ASSERT_EQ(std::sscanf(r.out.c_str() + r.out.find("mode: perplexity"), "mode: perplexity, %zu tokens in %zu windows",
                          &tokens, &windows), 2) << r.out;
    EXPECT_GE(tokens, 108u); // at least one byte token per character of the text
    EXPECT_EQ(windows, (tokens + 38) / 39);
}

TEST(eval, random_model_perplexity_is_near_the_vocabulary_size) {
    // N(0, 0.02) weights give nearly uniform next-token distributions: PPL close to the 300 tokens.
    const auto r = run_tool("eval", "-m " + quote(model()) + " -f " + quote(text()) + " -t 1");
    ASSERT_EQ(r.code, 0) << r.err;
    const double ppl = value_of(r.out, "ppl");
    EXPECT_GT(ppl, 240.0);
    EXPECT_LT(ppl, 360.0);
}

TEST(eval, quantized_models_against_the_base) {
    const auto q8 = scratch_dir() / "q8.gguf", q4 = scratch_dir() / "q4.gguf";
    ASSERT_EQ(run_tool("quantize", quote(model()) + " " + quote(q8) + " Q8_0 -q").code, 0);
    ASSERT_EQ(run_tool("quantize", quote(model()) + " " + quote(q4) + " q2_k --pure -q").code, 0);
    const auto r8 = run_tool("eval", "-m " + quote(q8) + " --base " + quote(model()) + " --greedy-steps 40 -t 1");
    ASSERT_EQ(r8.code, 0) << r8.err;
    const auto r2 = run_tool("eval", "-m " + quote(q4) + " --base " + quote(model()) + " --greedy-steps 40 -t 1");
    ASSERT_EQ(r2.code, 0) << r2.err;
    const double kl8 = value_of(r8.out, "kl_mean"), kl2 = value_of(r2.out, "kl_mean");
    EXPECT_GT(kl8, 0.0);
    EXPECT_LT(kl8, kl2); // 8.5 bits stay closer to the base than 2.6
    EXPECT_GE(value_of(r8.out, "top1_agreement"), value_of(r2.out, "top1_agreement"));
    EXPECT_NE(r8.out.find("mode: greedy, 40 steps"), std::string::npos);
    EXPECT_NE(r8.out.find("PASS memory"), std::string::npos) << r8.out; // q8_0 is ~27% of f32
    EXPECT_TRUE(r8.out.find("PASS speed") != std::string::npos || r8.out.find("FAIL speed") != std::string::npos);
    // --strict turns a failed gate into exit status 3: the model against itself fails the memory gate.
    EXPECT_EQ(run_tool("eval", "-m " + quote(model()) + " --base " + quote(model()) + " --greedy-steps 4 --strict "
                                   "--speed-tokens 0").code, 3);
}

TEST(eval, shared_model_q8_0_agrees_with_f32) {
    QFORGE_REQUIRE_SHARED();
    const auto r = run_tool("eval", "-m " + quote(models_dir() / "aidreams260K-ffpad192-Q8_0.gguf") + " --base " +
                                        quote(models_dir() / "aidreams260K-ffpad192.gguf") + " --greedy-steps 100 -t 1");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_GE(value_of(r.out, "top1_agreement"), 0.95);
    EXPECT_LT(value_of(r.out, "kl_mean"), 0.01);
    EXPECT_NE(r.out.find("PASS accuracy"), std::string::npos);
    EXPECT_NE(r.out.find("PASS memory"), std::string::npos);
}

TEST(eval, bad_input) {
    EXPECT_EQ(run_tool("eval", "--help").code, 0);
    EXPECT_EQ(run_tool("eval", "").code, 2);
    EXPECT_EQ(run_tool("eval", "-m " + quote(model())).code, 2);
    EXPECT_EQ(run_tool("eval", "-m " + quote(model()) + " --greedy-steps 5").code, 2); // needs --base
    EXPECT_EQ(run_tool("eval", "-m " + quote(model()) + " --base " + quote(model()) + " --greedy-steps 500").code, 2);
    EXPECT_EQ(run_tool("eval", "-m " + quote(model()) + " -f " + quote(text()) + " --ctx 1").code, 2);
    const auto r = run_tool("eval", "-m " + quote(model()) + " -f /nonexistent.txt");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("/nonexistent.txt"), std::string::npos) << r.err;
    const auto other = scratch_dir() / "other.gguf";
    ASSERT_EQ(run_tool("mkmodel", quote(other) + " --dim 64 --hidden 128 --layers 1 --heads 4 --kv-heads 4 --vocab 400 --seq 64").code, 0);
    const auto v = run_tool("eval", "-m " + quote(model()) + " --base " + quote(other) + " --greedy-steps 4");
    EXPECT_EQ(v.code, 1);
    EXPECT_NE(v.err.find("400 tokens"), std::string::npos) << v.err;
}

} // namespace
