// tools: mkmodel
// qforge-mkmodel: the file it writes is a complete Llama GGUF (checked with our reader and with gguf-py),
// deterministic, and bad shapes are refused with a usage error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <unistd.h>

#include "qforge/io/gguf.hpp"
#include "tools/tool_runner.hpp"

namespace {

using namespace qforge_test;

const char* small_shape = "--dim 64 --hidden 192 --layers 2 --heads 4 --kv-heads 2 --vocab 300 --seq 64";

TEST(mkmodel, help_exits_zero) {
    const auto r = run_tool("mkmodel", "--help");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("--preset 110M"), std::string::npos);
}

TEST(mkmodel, writes_a_complete_llama_file) {
    const auto path = scratch_dir() / "small.gguf";
    const auto r = run_tool("mkmodel", quote(path) + " " + small_shape + " --seed 7");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto f = qforge::gguf::open(path);
    EXPECT_EQ(f.get<std::string_view>("general.architecture"), "llama");
    EXPECT_EQ(f.get<std::uint32_t>("llama.embedding_length"), 64u);
    EXPECT_EQ(f.get<std::uint32_t>("llama.feed_forward_length"), 192u);
    EXPECT_EQ(f.get<std::uint32_t>("llama.block_count"), 2u);
    EXPECT_EQ(f.get<std::uint32_t>("llama.attention.head_count"), 4u);
    EXPECT_EQ(f.get<std::uint32_t>("llama.attention.head_count_kv"), 2u);
    EXPECT_EQ(f.get<std::uint32_t>("llama.rope.dimension_count"), 16u);
    EXPECT_EQ(f.get<std::uint32_t>("llama.context_length"), 64u);
    EXPECT_FLOAT_EQ(f.get<float>("llama.attention.layer_norm_rms_epsilon"), 1e-5f);
    EXPECT_FLOAT_EQ(f.get<float>("llama.rope.freq_base"), 10000.0f);
    EXPECT_EQ(f.get<std::uint32_t>("general.file_type"), 0u);
    const auto tokens = f.get<std::vector<std::string>>("tokenizer.ggml.tokens");
    ASSERT_EQ(tokens.size(), 300u);
    EXPECT_EQ(tokens[1], "<s>");
    EXPECT_EQ(tokens[3 + 'A'], "<0x41>");
    EXPECT_EQ(f.get<std::uint32_t>("tokenizer.ggml.bos_token_id"), 1u);
    // 2 global + 9 per layer; tied classifier: no output.weight.
    EXPECT_EQ(f.tensors().size(), 2u + 2u * 9u);
    EXPECT_EQ(f.find_tensor("output.weight"), nullptr);
    const auto& k = f.tensor("blk.1.attn_k.weight");
    EXPECT_EQ(k.ne[0], 64u);
    EXPECT_EQ(k.ne[1], 32u); // kv heads * head dim
    const auto& down = f.tensor("blk.0.ffn_down.weight");
    EXPECT_EQ(down.ne[0], 192u);
    EXPECT_EQ(down.ne[1], 64u);
    // N(0, 0.02): the sample standard deviation of 12288 values is within a few percent.
    std::vector<float> v(down.n_elements);
    std::memcpy(v.data(), down.data.data(), v.size() * 4);
    double s2 = 0, s1 = 0;
    for (const float x : v) {
        s1 += x;
        s2 += static_cast<double>(x) * x;
    }
    const double mean = s1 / static_cast<double>(v.size());
    const double sd = std::sqrt(s2 / static_cast<double>(v.size()) - mean * mean);
    EXPECT_NEAR(sd, 0.02, 0.001);
    EXPECT_NEAR(mean, 0.0, 0.001);
    const auto& norm = f.tensor("output_norm.weight");
    float one = 0;
    std::memcpy(&one, norm.data.data(), 4);
    EXPECT_EQ(one, 1.0f);
}

TEST(mkmodel, same_seed_same_bytes_other_seed_other_bytes) {
    const auto a = scratch_dir() / "a.gguf", b = scratch_dir() / "b.gguf", c = scratch_dir() / "c.gguf";
    ASSERT_EQ(run_tool("mkmodel", quote(a) + " " + small_shape).code, 0);
    ASSERT_EQ(run_tool("mkmodel", quote(b) + " " + small_shape).code, 0);
    ASSERT_EQ(run_tool("mkmodel", quote(c) + " " + small_shape + " --seed 8").code, 0);
    EXPECT_EQ(slurp(a), slurp(b));
    EXPECT_NE(slurp(a), slurp(c));
}

TEST(mkmodel, untied_writes_output_weight) {
    const auto path = scratch_dir() / "untied.gguf";
    ASSERT_EQ(run_tool("mkmodel", quote(path) + " " + small_shape + " --untied").code, 0);
    const auto f = qforge::gguf::open(path);
    ASSERT_NE(f.find_tensor("output.weight"), nullptr);
    EXPECT_EQ(f.tensor("output.weight").ne[1], 300u);
}

TEST(mkmodel, preset_15m_has_the_llama2c_shape) {
    const auto path = scratch_dir() / "p15.gguf";
    const auto r = run_tool("mkmodel", quote(path) + " --preset 15M");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto f = qforge::gguf::open(path);
    EXPECT_EQ(f.get<std::uint32_t>("llama.embedding_length"), 288u);
    EXPECT_EQ(f.get<std::uint32_t>("llama.feed_forward_length"), 768u);
    EXPECT_EQ(f.get<std::uint32_t>("llama.block_count"), 6u);
    EXPECT_EQ(f.get<std::uint32_t>("llama.context_length"), 256u);
    EXPECT_EQ(f.tensor("token_embd.weight").ne[1], 32000u);
    std::filesystem::remove(path);
}

TEST(mkmodel, python_gguf_reader_loads_it) {
    const std::string py = QFORGE_PYTHON;
    if (!std::filesystem::exists(py)) GTEST_SKIP() << "no Python with gguf at " << py;
    const auto path = scratch_dir() / "py.gguf";
    ASSERT_EQ(run_tool("mkmodel", quote(path) + " " + small_shape).code, 0);
    const std::string cmd = "'" + py + "' -c \"import gguf,sys; r=gguf.GGUFReader(sys.argv[1]); "
                            "assert len(r.tensors)==20; assert str(r.fields['general.architecture'].contents())=='llama'\" " +
                            quote(path);
    EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(mkmodel, bad_input_is_a_usage_error) {
    EXPECT_EQ(run_tool("mkmodel", "").code, 2);
    EXPECT_EQ(run_tool("mkmodel", quote(scratch_dir() / "x.gguf") + " --preset 7B").code, 2);
    EXPECT_EQ(run_tool("mkmodel", quote(scratch_dir() / "x.gguf") + " --dim 64").code, 2);
    const auto r = run_tool("mkmodel", quote(scratch_dir() / "x.gguf") +
                                              " --dim 64 --hidden 192 --layers 2 --heads 5 --kv-heads 5 --vocab 300 --seq 64");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("multiple of --heads"), std::string::npos) << r.err;
    EXPECT_EQ(run_tool("mkmodel", quote(scratch_dir() / "x.gguf") + " --preset 15M --vocab 100").code, 2);
    EXPECT_EQ(run_tool("mkmodel", quote(scratch_dir() / "x.gguf") + " --preset 15M --bogus").code, 2);
    EXPECT_NE(run_tool("mkmodel", "/nonexistent-dir/x.gguf " + std::string(small_shape)).code, 0);
}

} // namespace
