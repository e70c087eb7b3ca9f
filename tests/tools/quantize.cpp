// tools: mkmodel quantize
// qforge-quantize: llama.cpp's Q8_0/Q4_0 files are reproduced byte for byte, the Q4_K_M mix follows
// llama-quantize's rules, fallbacks are named, metadata is copied, the imatrix is used, bad input fails.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "qforge/block/q4_0.hpp"
#include "qforge/block/q4_1.hpp"
#include "qforge/block/row.hpp"
#include "qforge/io/gguf.hpp"
#include "support/golden.hpp"
#include "tools/tool_runner.hpp"

namespace {

using namespace qforge_test;
namespace gguf = qforge::gguf;

std::string type_of(const gguf::file& f, const std::string& tensor) {
    return std::string(f.tensor(tensor).type_name());
}

void expect_same_tensors(const gguf::file& ours, const gguf::file& theirs) {
    ASSERT_EQ(ours.tensors().size(), theirs.tensors().size());
    for (const auto& t : theirs.tensors()) {
        const auto* o = ours.find_tensor(t.name);
        ASSERT_NE(o, nullptr) << t.name;
        EXPECT_EQ(o->type_id, t.type_id) << t.name;
        ASSERT_EQ(o->n_bytes, t.n_bytes) << t.name;
        EXPECT_EQ(std::memcmp(o->data.data(), t.data.data(), t.n_bytes), 0) << t.name << ": bytes differ";
    }
}

class llama_cpp_files : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {};

TEST_P(llama_cpp_files, tensor_bytes_identical_to_llama_quantize) {
    QFORGE_REQUIRE_SHARED();
    const auto [model, type] = GetParam();
    const auto in = models_dir() / (std::string(model) + "-ffpad192.gguf");
    const auto ref = models_dir() / (std::string(model) + "-ffpad192-" + type + ".gguf");
    const auto out = scratch_dir() / (std::string(model) + "-" + type + ".gguf");
    const auto r = run_tool("quantize", quote(in) + " " + quote(out) + " " + type + " -t 2");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto ours = gguf::open(out);
    const auto theirs = gguf::open(ref);
    expect_same_tensors(ours, theirs);
    EXPECT_EQ(ours.get<std::uint32_t>("general.file_type"), theirs.get<std::uint32_t>("general.file_type"));
    // llama.cpp's Q4_0 keeps the tied embedding in q8_0 (q6_k does not fit rows of 64); we say so.
    if (std::string(type) == "Q4_0") {
        EXPECT_EQ(type_of(ours, "token_embd.weight"), "Q8_0");
        EXPECT_NE(r.err.find("token_embd.weight: fallback"), std::string::npos) << r.err;
    }
    // Every metadata key of the input is copied with its value (general.file_type is the quantized one).
    const auto src = gguf::open(in);
    for (const auto& [key, v] : src.metadata()) {
        if (key == "general.file_type") continue;
        ASSERT_TRUE(ours.contains(key)) << key;
        EXPECT_TRUE(ours.at(key) == v) << key;
    }
}

INSTANTIATE_TEST_SUITE_P(shared, llama_cpp_files,
                         ::testing::Combine(::testing::Values("aidreams260K", "stories260K"),
                                            ::testing::Values("Q8_0", "Q4_0")),
                         [](const auto& info) {
                             return std::string(std::get<0>(info.param)) + "_" + std::get<1>(info.param);
                         });

TEST(quantize, python_gguf_reader_loads_the_output) {
    QFORGE_REQUIRE_SHARED();
    const std::string py = QFORGE_PYTHON;
    if (!std::filesystem::exists(py)) GTEST_SKIP() << "no Python with gguf at " << py;
    const auto out = scratch_dir() / "py-q4k.gguf";
    ASSERT_EQ(run_tool("quantize", quote(models_dir() / "stories260K-ffpad192.gguf") + " " + quote(out) + " Q4_K_M").code, 0);
    const std::string cmd = "'" + py + "' -c \"import gguf,sys; r=gguf.GGUFReader(sys.argv[1]); "
                            "assert int(r.fields['general.file_type'].contents())==15; "
                            "assert len(r.tensors)==47; [t.data.tobytes() for t in r.tensors]\" " + quote(out);
    EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(quantize, rows_that_do_not_fit_fall_back_and_are_named) {
    QFORGE_REQUIRE_SHARED();
    // The unpadded model: ffn_down rows of 172 fit no 32-block, so they stay f16 (llama.cpp refuses).
    const auto out = scratch_dir() / "unpadded-q4_0.gguf";
    const auto r = run_tool("quantize", quote(models_dir() / "aidreams260K.gguf") + " " + quote(out) + " Q4_0");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("blk.0.ffn_down.weight: fallback: row length 172 is not a multiple of 32"), std::string::npos) << r.err;
    const auto f = gguf::open(out);
    EXPECT_EQ(type_of(f, "blk.0.ffn_down.weight"), "F16");
    EXPECT_EQ(type_of(f, "blk.0.ffn_gate.weight"), "Q4_0");
    EXPECT_EQ(type_of(f, "blk.0.attn_norm.weight"), "F32");
}

// A synthetic model big enough for the K-quant rules: 8 layers, rows of 256.
std::filesystem::path k_model() {
    static const auto path = [] {
        const auto p = scratch_dir() / "k8.gguf";
        const auto r = run_tool("mkmodel", quote(p) + " --dim 256 --hidden 512 --layers 8 --heads 4 --kv-heads 4 "
                                                    "--vocab 300 --seq 64");
        EXPECT_EQ(r.code, 0) << r.err;
        return p;
    }();
    return path;
}

TEST(quantize, q4_k_m_follows_llama_cpp_rules) {
    const auto out = scratch_dir() / "k8-q4km.gguf";
    const auto r = run_tool("quantize", quote(k_model()) + " " + quote(out) + " q4_k_m");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto f = gguf::open(out);
    EXPECT_EQ(f.get<std::uint32_t>("general.file_type"), 15u); // LLAMA_FTYPE_MOSTLY_Q4_K_M
    // use_more_bits(i, 8): i < 1, i >= 7, or (i - 1) % 3 == 2  ->  layers 0, 3, 6, 7.
    for (int l = 0; l < 8; ++l) {
        const bool more = l == 0 || l == 3 || l == 6 || l == 7;
        const std::string b = "blk." + std::to_string(l) + ".";
        EXPECT_EQ(type_of(f, b + "attn_v.weight"), more ? "Q6_K" : "Q4_K") << l;
        EXPECT_EQ(type_of(f, b + "ffn_down.weight"), more ? "Q6_K" : "Q4_K") << l;
        EXPECT_EQ(type_of(f, b + "attn_q.weight"), "Q4_K") << l;
        EXPECT_EQ(type_of(f, b + "ffn_norm.weight"), "F32") << l;
    }
    EXPECT_EQ(type_of(f, "token_embd.weight"), "Q6_K"); // tied: the output rule
    // The report has one line per tensor with its error.
    EXPECT_NE(r.out.find("blk.3.attn_v.weight"), std::string::npos);
    EXPECT_NE(r.out.find("q6_k"), std::string::npos);
}

TEST(quantize, pure_uses_one_format_and_output_type_overrides) {
    const auto out = scratch_dir() / "k8-pure.gguf";
    const auto r = run_tool("quantize", quote(k_model()) + " " + quote(out) + " q5_k --pure --output-type q8_0");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto f = gguf::open(out);
    EXPECT_EQ(type_of(f, "blk.0.attn_v.weight"), "Q5_K");
    EXPECT_EQ(type_of(f, "blk.7.ffn_down.weight"), "Q5_K");
    EXPECT_EQ(type_of(f, "token_embd.weight"), "Q8_0");
}

TEST(quantize, imatrix_dat_is_used) {
    // A legacy llama-imatrix .dat with one entry for blk.1.ffn_gate.weight: values are sums over ncall calls.
    const auto dat = scratch_dir() / "im.dat";
    {
        std::ofstream o(dat, std::ios::binary);
        const auto put = [&](std::int32_t v) { o.write(reinterpret_cast<const char*>(&v), 4); };
        put(1);
        const std::string name = "blk.1.ffn_gate.weight";
        put(static_cast<std::int32_t>(name.size()));
        o.write(name.data(), static_cast<std::streamsize>(name.size()));
        put(4);   // ncall
        put(256); // nval
        for (int i = 0; i < 256; ++i) {
            const float v = 4.0f * static_cast<float>(1 + (i % 7)); // importance (1 + i % 7) after / ncall
            o.write(reinterpret_cast<const char*>(&v), 4);
        }
    }
    const auto out = scratch_dir() / "k8-q4_0-im.gguf";
    const auto r = run_tool("quantize", quote(k_model()) + " " + quote(out) + " Q4_0 --imatrix " + quote(dat));
    ASSERT_EQ(r.code, 0) << r.err;
    const auto f = gguf::open(out);
    // With an imatrix llama.cpp guards the first eighth of ffn_down with q4_1.
    EXPECT_EQ(type_of(f, "blk.0.ffn_down.weight"), "Q4_1");
    EXPECT_EQ(type_of(f, "blk.1.ffn_down.weight"), "Q4_0");
    // The weighted quantizer's output for the tensor with an entry.
    const auto src = gguf::open(k_model());
    const auto& t = src.tensor("blk.1.ffn_gate.weight");
    std::vector<float> x(t.n_elements), im(256);
    std::memcpy(x.data(), t.data.data(), x.size() * 4);
    for (int i = 0; i < 256; ++i) im[i] = static_cast<float>(1 + (i % 7));
    std::vector<qforge::q4_0::block> q(x.size() / 32), plain(x.size() / 32);
    qforge::quantize_rows<qforge::q4_0>(x, t.ne[1], 256, q, im);
    qforge::quantize_rows<qforge::q4_0>(x, t.ne[1], 256, plain);
    const auto& got = f.tensor("blk.1.ffn_gate.weight");
    ASSERT_EQ(got.n_bytes, q.size() * sizeof(qforge::q4_0::block));
    EXPECT_EQ(std::memcmp(got.data.data(), q.data(), got.n_bytes), 0);
    EXPECT_NE(std::memcmp(got.data.data(), plain.data(), got.n_bytes), 0);
    // A tensor without an entry is quantized without weights.
    const auto& other = f.tensor("blk.2.ffn_gate.weight");
    const auto& ot = src.tensor("blk.2.ffn_gate.weight");
    std::memcpy(x.data(), ot.data.data(), x.size() * 4);
    qforge::quantize_rows<qforge::q4_0>(x, ot.ne[1], 256, plain);
    EXPECT_EQ(std::memcmp(other.data.data(), plain.data(), other.n_bytes), 0);
}

TEST(quantize, imatrix_of_the_wrong_width_is_an_error) {
    const auto dat = scratch_dir() / "bad.dat";
    {
        std::ofstream o(dat, std::ios::binary);
        const auto put = [&](std::int32_t v) { o.write(reinterpret_cast<const char*>(&v), 4); };
        put(1);
        const std::string name = "blk.0.attn_q.weight";
        put(static_cast<std::int32_t>(name.size()));
        o.write(name.data(), static_cast<std::streamsize>(name.size()));
        put(1);
        put(8);
        const float v[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        o.write(reinterpret_cast<const char*>(v), sizeof v);
    }
    const auto r = run_tool("quantize", quote(k_model()) + " " + quote(scratch_dir() / "x.gguf") + " Q4_0 --imatrix " + quote(dat));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("blk.0.attn_q.weight"), std::string::npos) << r.err;
    std::ofstream(scratch_dir() / "trunc.dat", std::ios::binary) << "ab";
    EXPECT_EQ(run_tool("quantize", quote(k_model()) + " " + quote(scratch_dir() / "x.gguf") + " Q4_0 --imatrix " +
                                       quote(scratch_dir() / "trunc.dat")).code, 1);
}

TEST(quantize, bad_input) {
    EXPECT_EQ(run_tool("quantize", "--help").code, 0);
    EXPECT_EQ(run_tool("quantize", "").code, 2);
    const auto r = run_tool("quantize", quote(k_model()) + " " + quote(scratch_dir() / "x.gguf") + " Q9_9");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown file type 'Q9_9'"), std::string::npos) << r.err;
    EXPECT_EQ(run_tool("quantize", quote(k_model()) + " " + quote(scratch_dir() / "x.gguf") + " q8_k --pure").code, 2);
    const auto missing = run_tool("quantize", "/nonexistent.gguf " + quote(scratch_dir() / "x.gguf") + " Q8_0");
    EXPECT_EQ(missing.code, 1);
    EXPECT_NE(missing.err.find("/nonexistent.gguf"), std::string::npos) << missing.err;
    const auto notgguf = scratch_dir() / "not.gguf";
    std::ofstream(notgguf) << "hello world, not a gguf file at all";
    EXPECT_EQ(run_tool("quantize", quote(notgguf) + " " + quote(scratch_dir() / "x.gguf") + " Q8_0").code, 1);
}

} // namespace
