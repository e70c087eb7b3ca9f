// Every shared model file (../shared/models/*.gguf) opens and validates; its metadata matches the model
// table in ../shared/models/README.md, and the F32 tensors hold exactly the llama2.c checkpoint's floats.
#include <gtest/gtest.h>

#include <cstring>

#include "qforge/io/gguf.hpp"

#include "support/golden.hpp"

namespace gg = qforge::gguf;

namespace {

std::vector<std::filesystem::path> model_files() {
    std::vector<std::filesystem::path> v;
    if (!std::filesystem::exists(qforge_test::models_dir())) return v;
    for (const auto& e : std::filesystem::directory_iterator(qforge_test::models_dir()))
        if (e.path().extension() == ".gguf") v.push_back(e.path());
    std::sort(v.begin(), v.end());
    return v;
}

struct model_shape {
    std::uint32_t dim, hidden, layers, heads, kv_heads, vocab, seq_len;
};

// From ../shared/models/README.md ("Model shapes"); the padded files have hidden = 192.
model_shape expected_shape(const std::string& file) {
    const bool padded = file.find("ffpad192") != std::string::npos;
    if (file.rfind("stories260K", 0) == 0) return {64, padded ? 192u : 172u, 5, 8, 4, 512, 512};
    return {64, padded ? 192u : 172u, 4, 4, 4, 512, 128};
}

} // namespace

TEST(GgufModels, EverySharedModelOpensAndValidates) {
    const auto files = model_files();
    if (files.empty()) GTEST_SKIP() << "no models in " << qforge_test::models_dir();
    EXPECT_EQ(files.size(), 8u);
    for (const auto& path : files) {
        SCOPED_TRACE(path.string());
        const auto f = gg::open(path);
        const auto name = path.filename().string();
        const auto shape = expected_shape(name);
        EXPECT_EQ(f.version(), 3u);
        EXPECT_EQ(f.get<std::string_view>("general.architecture"), "llama");
        EXPECT_EQ(f.get<std::uint32_t>("llama.embedding_length"), shape.dim);
        EXPECT_EQ(f.get<std::uint32_t>("llama.feed_forward_length"), shape.hidden);
        EXPECT_EQ(f.get<std::uint32_t>("llama.block_count"), shape.layers);
        EXPECT_EQ(f.get<std::uint32_t>("llama.attention.head_count"), shape.heads);
        EXPECT_EQ(f.get<std::uint32_t>("llama.attention.head_count_kv"), shape.kv_heads);
        EXPECT_EQ(f.get<std::uint32_t>("llama.context_length"), shape.seq_len);
        EXPECT_EQ(f.get<float>("llama.rope.freq_base"), 10000.0f);
        EXPECT_EQ(f.get<std::vector<std::string>>("tokenizer.ggml.tokens").size(), shape.vocab);
        EXPECT_EQ(f.get<std::span<const float>>("tokenizer.ggml.scores").size(), shape.vocab);
        // 9 tensors per layer, plus token embedding and final norm (the classifier is tied).
        ASSERT_EQ(f.tensors().size(), 9u * shape.layers + 2u);
        const auto& emb = f.tensor("token_embd.weight");
        EXPECT_EQ(std::vector<std::uint64_t>(emb.dims().begin(), emb.dims().end()),
                  (std::vector<std::uint64_t>{shape.dim, shape.vocab}));
        const auto& gate = f.tensor("blk.0.ffn_gate.weight");
        EXPECT_EQ(gate.ne[0], shape.dim);
        EXPECT_EQ(gate.ne[1], shape.hidden);
        const auto& k = f.tensor("blk.0.attn_k.weight");
        EXPECT_EQ(k.ne[1], shape.dim / shape.heads * shape.kv_heads);
        // The quantized files quantize the 2-D weights; norms stay F32.
        const bool q8 = name.find("Q8_0") != std::string::npos, q4 = name.find("Q4_0") != std::string::npos;
        const auto matrix_type = q8 ? qforge::ggml_type::q8_0 : q4 ? qforge::ggml_type::q4_0 : qforge::ggml_type::f32;
        EXPECT_EQ(f.tensor("blk.0.attn_q.weight").type(), matrix_type);
        EXPECT_EQ(f.tensor("output_norm.weight").type(), qforge::ggml_type::f32);
        // Tensor data: inside the file, aligned, each the size its shape implies, tiling the data section.
        std::uint64_t total = 0;
        for (const auto& t : f.tensors()) {
            const auto ti = qforge::ggml_type_info(t.type_id);
            EXPECT_EQ(t.n_bytes, t.n_elements / ti.block_size * ti.block_bytes) << t.name;
            EXPECT_EQ(t.file_offset % 32, 0u) << t.name;
            EXPECT_LE(t.file_offset + t.n_bytes, f.bytes().size()) << t.name;
            total += (t.n_bytes + 31) / 32 * 32;
        }
        EXPECT_EQ(f.data_offset() + total, f.bytes().size());
    }
}

TEST(GgufModels, F32TensorsAreTheCheckpointFloats) {
    // llama2.c checkpoint: 7 int32 header fields, then token_embedding_table [vocab][dim], then
    // rms_att_weight [layers][dim], ... The unpadded F32 GGUFs store those floats unchanged.
    for (const std::string stem : {"stories260K", "aidreams260K"}) {
        SCOPED_TRACE(stem);
        const auto bin_path = qforge_test::models_dir() / (stem + ".bin");
        if (!std::filesystem::exists(bin_path)) GTEST_SKIP() << bin_path << " not found";
        const auto bin = qforge_test::read_bytes(bin_path);
        const auto f = gg::open(qforge_test::models_dir() / (stem + ".gguf"));
        const std::size_t dim = 64, vocab = 512;
        const auto& emb = f.tensor("token_embd.weight");
        ASSERT_EQ(emb.n_bytes, vocab * dim * 4);
        EXPECT_EQ(std::memcmp(emb.data.data(), bin.data() + 28, emb.n_bytes), 0);
        const auto& norm0 = f.tensor("blk.0.attn_norm.weight");
        ASSERT_EQ(norm0.n_bytes, dim * 4);
        EXPECT_EQ(std::memcmp(norm0.data.data(), bin.data() + 28 + vocab * dim * 4, norm0.n_bytes), 0);
    }
}
