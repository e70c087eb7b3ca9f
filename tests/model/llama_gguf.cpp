// F32 GGUF files (the shared conversions of the llama2.c checkpoints) through the runtime engine, the GGUF
// tokenizer, and strict metadata validation on hostile files written with our GGUF writer.
#include <qforge/io/gguf_writer.hpp>
#include <qforge/io/llama2c.hpp>
#include <qforge/model/gguf_model.hpp>
#include <qforge/model/llama.hpp>
#include <qforge/model/sampler.hpp>

#include <fstream>
#include <functional>

#include "golden_case.hpp"

using namespace qforge;
using namespace qforge_test;

namespace {

void check(runtime_llama<>& eng, const std::string& golden, const std::string& c) {
    SCOPED_TRACE(golden + " " + c);
    const auto g = read_case(golden, c);
    EXPECT_LT(max_abs_diff(eng.forward(g.prompt, 0), g.logits), 1e-4f);
    std::vector<token_id> got;
    eng.generate(g.prompt, greedy{}, g.gen.size(), [&](token_id t) { got.push_back(t); });
    EXPECT_EQ(got, g.gen);
}

// A small valid llama GGUF (dim 4, 2 heads, 1 kv head, 1 layer, hidden 8, vocab 6), with `edit` applied to the
// metadata before writing.
std::vector<std::byte> tiny_gguf(const std::function<void(std::vector<std::pair<std::string, gguf::value>>&)>& edit,
                                 std::uint64_t embd_rows = 6) {
    std::vector<std::pair<std::string, gguf::value>> kv{
        {"general.architecture", gguf::value("llama")},
        {"llama.context_length", gguf::value(std::uint32_t{16})},
        {"llama.embedding_length", gguf::value(std::uint32_t{4})},
        {"llama.feed_forward_length", gguf::value(std::uint32_t{8})},
        {"llama.block_count", gguf::value(std::uint32_t{1})},
        {"llama.attention.head_count", gguf::value(std::uint32_t{2})},
        {"llama.attention.head_count_kv", gguf::value(std::uint32_t{1})},
        {"llama.rope.dimension_count", gguf::value(std::uint32_t{2})},
        {"llama.attention.layer_norm_rms_epsilon", gguf::value(1e-5f)},
        {"tokenizer.ggml.model", gguf::value("llama")},
        {"tokenizer.ggml.tokens", gguf::value(std::vector<std::string>{"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "b"})},
        {"tokenizer.ggml.scores", gguf::value(std::vector<float>{0, 0, 0, -1, -2, -3})},
        {"tokenizer.ggml.token_type", gguf::value(std::vector<std::int32_t>{2, 3, 3, 1, 1, 1})},
    };
    edit(kv);
    gguf::writer w;
    for (auto& [k, v] : kv) w.add(k, v);
    std::vector<float> data(64 * 8, 0.5f);
    auto add = [&](const std::string& name, std::initializer_list<std::uint64_t> ne) {
        std::size_t n = 1;
        for (auto e : ne) n *= e;
        const std::vector<std::uint64_t> v(ne);
        w.add_tensor(name, ggml_type::f32, v, std::span<const float>(data.data(), n));
    };
    add("token_embd.weight", {4, embd_rows});
    add("output_norm.weight", {4});
    add("blk.0.attn_norm.weight", {4});
    add("blk.0.ffn_norm.weight", {4});
    add("blk.0.attn_q.weight", {4, 4});
    add("blk.0.attn_k.weight", {4, 2});
    add("blk.0.attn_v.weight", {4, 2});
    add("blk.0.attn_output.weight", {4, 4});
    add("blk.0.ffn_gate.weight", {4, 8});
    add("blk.0.ffn_up.weight", {4, 8});
    add("blk.0.ffn_down.weight", {8, 4});
    return w.to_bytes();
}

void set(std::vector<std::pair<std::string, gguf::value>>& kv, const std::string& key, gguf::value v) {
    for (auto& [k, old] : kv)
        if (k == key) {
            old = std::move(v);
            return;
        }
    kv.emplace_back(key, std::move(v));
}

void drop(std::vector<std::pair<std::string, gguf::value>>& kv, const std::string& key) {
    std::erase_if(kv, [&](const auto& p) { return p.first == key; });
}

void expect_load_error(const std::vector<std::byte>& bytes, const char* needle) {
    try {
        const auto f = gguf::file::parse(bytes, "tiny.gguf");
        auto eng = runtime_llama<reference>::load(weights_from(f));
        (void)spm_tokenizer::from_gguf(f);
        ADD_FAILURE() << "no error, expected: " << needle;
    } catch (const error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("tiny.gguf"), std::string::npos) << e.what();
    }
}

} // namespace

TEST(llama_gguf, f32_files_match_the_goldens) {
    QFORGE_REQUIRE_SHARED();
    // The padded files (hidden 192) give the unpadded files' ids; their logits are within 7e-6 of them.
    const std::pair<const char*, const char*> files[] = {{"stories260K", "stories260K"}, {"stories260K-ffpad192", "stories260K"},
                                                         {"aidreams260K", "aidreams260K"}, {"aidreams260K-ffpad192", "aidreams260K"}};
    for (const auto& [file, golden] : files) {
        const auto f = gguf::open(models_dir() / (std::string(file) + ".gguf"));
        auto eng = runtime_llama<>::load(weights_from(f));
        if (std::string(golden) == "stories260K") {
            check(eng, golden, "bos-n256");
        } else {
            for (const char* c : {"bos-n120", "the-n120", "i-dreamed-of-n120"}) check(eng, golden, c);
        }
    }
}

TEST(llama_gguf, same_weights_as_the_llama2c_checkpoints) {
    QFORGE_REQUIRE_SHARED();
    for (const std::string m : {"stories260K", "aidreams260K"}) {
        const auto f = gguf::open(models_dir() / (m + ".gguf"));
        const auto ck = llama2c::checkpoint::read(models_dir() / (m + ".bin"));
        const auto a = weights_from(f), b = weights_from(ck);
        EXPECT_EQ(a.tensors.size(), b.tensors.size());
        for (const auto& t : b.tensors) {
            const tensor_info* u = a.find(t.name);
            ASSERT_NE(u, nullptr) << t.name;
            EXPECT_EQ(u->bytes, t.bytes) << t.name;
            EXPECT_EQ(0, std::memcmp(u->data, t.data, t.bytes)) << t.name;
        }
        EXPECT_EQ(a.params.seq_len, b.params.seq_len);
        EXPECT_EQ(a.params.eps, b.params.eps);
    }
}

TEST(llama_gguf, tokenizer_from_gguf_metadata) {
    QFORGE_REQUIRE_SHARED();
    const auto f = gguf::open(models_dir() / "aidreams260K.gguf");
    const auto tok = spm_tokenizer::from_gguf(f);
    const auto l = spm_tokenizer::from_llama2c(llama2c::read_tokenizer(models_dir() / "aidreams260K.tok512.bin", 512));
    EXPECT_EQ(tok.size(), 512u);
    EXPECT_EQ(tok.bos(), 1);
    EXPECT_EQ(tok.eos(), 2);
    EXPECT_TRUE(tok.add_bos());
    for (const char* s : {"The", "I dreamed of", "  leading spaces", "emoji \xF0\x9F\x99\x82 and \xC3\x9Cn", "new\nline"})
        EXPECT_EQ(tok.encode(s), l.encode(s)) << s;
    EXPECT_EQ(tok.encode("I dreamed of"), (std::vector<token_id>{1, 303, 281, 269, 435, 447, 328, 275}));
    const auto p = spm_tokenizer::from_gguf(gguf::open(models_dir() / "stories260K.gguf"));
    EXPECT_EQ(p.encode("hi"), (std::vector<token_id>{1, 229, 153, 132, 107, 108})); // llama.cpp's ids
}

TEST(llama_gguf, tiny_valid_file_loads) {
    const auto bytes = tiny_gguf([](auto&) {});
    const auto f = gguf::file::parse(bytes, "tiny.gguf");
    auto eng = runtime_llama<reference>::load(weights_from(f));
    EXPECT_EQ(eng.params().n_kv_heads, 1u);
    const std::vector<token_id> p{1, 4};
    EXPECT_EQ(eng.forward(p, 0).size(), 6u);
    EXPECT_EQ(spm_tokenizer::from_gguf(f).encode("ab"), (std::vector<token_id>{1, 3, 4, 5}));
}

TEST(llama_gguf, hostile_metadata_is_a_clear_error) {
    using kvs = std::vector<std::pair<std::string, gguf::value>>;
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "general.architecture", gguf::value("gpt2")); }), "'gpt2' is not supported");
    expect_load_error(tiny_gguf([](kvs& kv) { drop(kv, "llama.block_count"); }), "'llama.block_count' not found");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.block_count", gguf::value(0.5f)); }), "must be an integer");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.block_count", gguf::value(std::int32_t{-1})); }), "negative");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.block_count", gguf::value(std::uint64_t{1} << 40)); }), "outside [1, 1024]");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.attention.head_count", gguf::value(std::uint32_t{3})); }), "not a multiple of head count");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.attention.head_count_kv", gguf::value(std::uint32_t{4})); }), "not a multiple of kv head count");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.attention.layer_norm_rms_epsilon", gguf::value(std::nanf(""))); }), "epsilon");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.attention.layer_norm_rms_epsilon", gguf::value(1.0)); }), "layer_norm_rms_epsilon");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.rope.freq_base", gguf::value(std::numeric_limits<float>::infinity())); }), "RoPE base");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.rope.dimension_count", gguf::value(std::uint32_t{1})); }), "partial RoPE");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.rope.scaling.type", gguf::value("yarn")); }), "RoPE scaling");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.vocab_size", gguf::value(std::uint32_t{7})); }), "llama.vocab_size = 7");
    expect_load_error(tiny_gguf([](kvs&) {}, 5), "the embedding has 5 rows");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "llama.feed_forward_length", gguf::value(std::uint32_t{16})); }),
                      "tensor 'blk.0.ffn_gate.weight': shape error: expected shape [4, 16], found [4, 8]");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "tokenizer.ggml.bos_token_id", gguf::value(std::uint32_t{6})); }), "outside the vocabulary");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "tokenizer.ggml.token_type", gguf::value(std::vector<std::int32_t>{2, 3, 3, 1, 1, 9})); }), "token type 9");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "tokenizer.ggml.scores", gguf::value(std::vector<float>{0, 0})); }), "2 scores");
    expect_load_error(tiny_gguf([](kvs& kv) { set(kv, "tokenizer.ggml.model", gguf::value("gpt2")); }), "tokenizer.ggml.model 'gpt2'");
}
