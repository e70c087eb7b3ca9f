// tools: inspect
// qforge-inspect end to end: --write-sample writes a file our reader (and gguf-py, via the JSON check in
// tests/io) accepts; text and JSON output; one clear line and exit status 1 on a bad file, 2 on misuse.
#include <gtest/gtest.h>

#include "qforge/io/gguf.hpp"

#include "support/golden.hpp"
#include "tools/tool_runner.hpp"

namespace {
using namespace qforge_test;
std::string q(const std::filesystem::path& p) {
    std::string s(1, '\'');
    s += p.string();
    s += '\'';
    return s;
}
} // namespace

TEST(ToolInspect, WritesAndShowsTheSample) {
    const auto sample = scratch_dir() / "sample.gguf";
    const auto w = run_tool("inspect", "--write-sample " + q(sample));
    ASSERT_EQ(w.code, 0) << w.err;
    const auto f = qforge::gguf::open(sample);
    EXPECT_EQ(f.get<std::string_view>("general.architecture"), "llama");
    EXPECT_EQ(f.tensor("blk.0.attn_q.weight").type(), qforge::ggml_type::q8_0);
    EXPECT_EQ(f.tensor("token_embd.weight").type(), qforge::ggml_type::f32);

    const auto r = run_tool("inspect", q(sample));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("* 16 key/value pair(s)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("| tokenizer.ggml.tokens = ['<unk>', '<s>', '</s>', 'tok3', 'tok4', 'tok5', ...]"),
              std::string::npos) << r.out;
    EXPECT_NE(r.out.find("blk.0.attn_q.weight     Q8_0     64 x 64"), std::string::npos) << r.out;

    const auto j = run_tool("inspect", "--json " + q(sample));
    ASSERT_EQ(j.code, 0) << j.err;
    EXPECT_EQ(j.out.rfind("{\n  \"file\": ", 0), 0u) << j.out;
    EXPECT_NE(j.out.find("\"name\": \"blk.0.attn_q.weight\""), std::string::npos);
}

TEST(ToolInspect, BadFilesAndUsage) {
    const auto bad = scratch_dir() / "bad.gguf";
    std::ofstream(bad) << "GGUF\x01";
    auto r = run_tool("inspect", q(bad));
    EXPECT_EQ(r.code, 1);
    std::string want = "qforge-inspect: ";
    want += bad.string();
    want += ": at byte 4: format error: truncated: version needs 4 bytes, only 1 left in the file\n";
    EXPECT_EQ(r.err, want);
    EXPECT_TRUE(r.out.empty());
    r = run_tool("inspect", q(scratch_dir() / "missing.gguf"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("not found: no such file"), std::string::npos) << r.err;
    r = run_tool("inspect", q(scratch_dir()));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
    EXPECT_EQ(run_tool("inspect", "--bogus x.gguf").code, 2);
    EXPECT_EQ(run_tool("inspect", "").code, 2);
    EXPECT_EQ(run_tool("inspect", "--array-items x " + q(bad)).code, 2);
    r = run_tool("inspect", "--help");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("--write-sample"), std::string::npos);
}

TEST(ToolInspect, SharedModel) {
    const auto path = models_dir() / "stories260K.gguf";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
    const auto r = run_tool("inspect", q(path));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("UINT32     |        1 | llama.block_count = 5"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("* 47 tensor(s)"), std::string::npos);
    EXPECT_NE(r.out.find("token_embd.weight         F32      64 x 512"), std::string::npos) << r.out;
}
