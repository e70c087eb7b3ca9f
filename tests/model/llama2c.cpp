// The llama2.c checkpoint reader: the shared checkpoints' headers and tensor layout, an untied classifier,
// and hostile files (truncated, lying headers, impossible shapes, non-finite weights).
#include <qforge/io/llama2c.hpp>
#include <qforge/model/weights.hpp>

#include <cmath>

#include "support/golden.hpp"

using namespace qforge;

namespace {

// A synthetic checkpoint whose float k holds the value k (so each tensor's offset is visible in its data).
std::vector<std::byte> synthetic(std::int32_t dim, std::int32_t hidden, std::int32_t layers, std::int32_t heads,
                                 std::int32_t kv_heads, std::int32_t vocab, std::int32_t seq, std::size_t floats) {
    std::vector<std::byte> b(28 + floats * 4);
    const std::int32_t h[7] = {dim, hidden, layers, heads, kv_heads, vocab, seq};
    std::memcpy(b.data(), h, 28);
    for (std::size_t k = 0; k < floats; ++k) {
        const float v = static_cast<float>(k);
        std::memcpy(b.data() + 28 + k * 4, &v, 4);
    }
    return b;
}

// dim 4, hidden 6, 1 layer, 2 heads (head_dim 2), 1 kv head, vocab 3, seq 5.
constexpr std::size_t tiny_floats(bool untied) {
    return 12 + 4 + 16 + 8 + 8 + 16 + 4 + 24 + 24 + 24 + 4 + 5 * 2 + (untied ? 12 : 0);
}

void expect_error(std::span<const std::byte> bytes, const char* needle) {
    try {
        (void)llama2c::checkpoint::from_bytes(bytes, "model.bin");
        ADD_FAILURE() << "no error, expected: " << needle;
    } catch (const error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("model.bin"), std::string::npos) << e.what();
    }
}

} // namespace

TEST(llama2c, shared_checkpoints) {
    QFORGE_REQUIRE_SHARED();
    const auto s = llama2c::checkpoint::read(qforge_test::models_dir() / "stories260K.bin");
    EXPECT_EQ(s.cfg().dim, 64u);
    EXPECT_EQ(s.cfg().hidden_dim, 172u);
    EXPECT_EQ(s.cfg().n_layers, 5u);
    EXPECT_EQ(s.cfg().n_heads, 8u);
    EXPECT_EQ(s.cfg().n_kv_heads, 4u);
    EXPECT_EQ(s.cfg().vocab_size, 512u);
    EXPECT_EQ(s.cfg().seq_len, 512u);
    EXPECT_TRUE(s.cfg().shared_classifier);
    EXPECT_EQ(s.tensors().size(), 2u + 9u * 5u);
    EXPECT_EQ(s.find("output.weight"), nullptr);
    ASSERT_NE(s.find("blk.4.ffn_down.weight"), nullptr);
    EXPECT_EQ(s.find("blk.4.ffn_down.weight")->ne0, 172u);
    EXPECT_EQ(s.find("blk.4.ffn_down.weight")->ne1, 64u);
    const auto a = llama2c::checkpoint::read(qforge_test::models_dir() / "aidreams260K.bin");
    EXPECT_EQ(a.cfg().n_layers, 4u);
    EXPECT_EQ(a.cfg().n_heads, 4u);
    EXPECT_EQ(a.cfg().seq_len, 128u);
    EXPECT_EQ(a.cfg().head_dim(), 16u);
}

TEST(llama2c, tensor_order_and_untied_classifier) {
    for (const bool untied : {false, true}) {
        const auto bytes = synthetic(4, 6, 1, 2, 1, untied ? -3 : 3, 5, tiny_floats(untied));
        const auto c = llama2c::checkpoint::from_bytes(bytes);
        EXPECT_EQ(c.cfg().shared_classifier, !untied);
        auto first = [&](const char* n) { return c.find(n)->data.front(); };
        EXPECT_EQ(first("token_embd.weight"), 0.0f);
        EXPECT_EQ(first("blk.0.attn_norm.weight"), 12.0f);
        EXPECT_EQ(first("blk.0.attn_q.weight"), 16.0f);
        EXPECT_EQ(first("blk.0.attn_k.weight"), 32.0f);
        EXPECT_EQ(first("blk.0.attn_v.weight"), 40.0f);
        EXPECT_EQ(first("blk.0.attn_output.weight"), 48.0f);
        EXPECT_EQ(first("blk.0.ffn_norm.weight"), 64.0f);
        EXPECT_EQ(first("blk.0.ffn_gate.weight"), 68.0f); // w1
        EXPECT_EQ(first("blk.0.ffn_down.weight"), 92.0f); // w2
        EXPECT_EQ(first("blk.0.ffn_up.weight"), 116.0f);  // w3
        EXPECT_EQ(first("output_norm.weight"), 140.0f);
        EXPECT_EQ(c.find("blk.0.attn_k.weight")->ne1, 2u); // kv_dim = 1 head x 2
        if (untied) {
            ASSERT_NE(c.find("output.weight"), nullptr);
            EXPECT_EQ(first("output.weight"), 154.0f); // after the two RoPE tables (5 x 1 each)
            EXPECT_EQ(c.find("output.weight")->data.size(), 12u);
        } else {
            EXPECT_EQ(c.find("output.weight"), nullptr);
        }
        const auto src = weights_from(c);
        EXPECT_EQ(src.params.n_kv_heads, 1u);
        EXPECT_EQ(src.find("blk.0.ffn_up.weight")->type, static_cast<std::uint32_t>(ggml_type::f32));
    }
}

TEST(llama2c, hostile_checkpoints_are_errors) {
    const auto good = synthetic(4, 6, 1, 2, 1, 3, 5, tiny_floats(false));
    EXPECT_NO_THROW((void)llama2c::checkpoint::from_bytes(good));
    expect_error(std::span(good).first(20), "truncated");
    expect_error(std::span(good).first(good.size() - 4), "header describes");
    auto extra = good;
    extra.resize(extra.size() + 4);
    expect_error(extra, "header describes");
    expect_error(synthetic(4, 6, 1, 2, 1, -3, 5, tiny_floats(false)), "header describes"); // untied, no classifier
    expect_error(synthetic(5, 6, 1, 2, 1, 3, 5, 0), "not a multiple of n_heads");
    expect_error(synthetic(4, 6, 1, 2, 3, 3, 5, 0), "not a multiple of n_kv_heads");
    expect_error(synthetic(6, 6, 1, 2, 1, 3, 5, 0), "odd");
    expect_error(synthetic(0, 6, 1, 2, 1, 3, 5, 0), "dim = 0");
    expect_error(synthetic(4, 6, -1, 2, 1, 3, 5, 0), "n_layers = -1");
    expect_error(synthetic(4, 6, 1, 2, 1, 3, 0x7fffffff, 0), "seq_len");
    expect_error(synthetic(4, 6, 1, 2, 1, std::numeric_limits<std::int32_t>::min(), 5, 0), "vocab_size");
    auto nan = good;
    const float q = std::nanf("");
    std::memcpy(nan.data() + 28 + 20 * 4, &q, 4); // inside blk.0.attn_q.weight
    expect_error(nan, "blk.0.attn_q.weight");
    EXPECT_THROW(llama2c::checkpoint::read("/nonexistent/model.bin"), error);
}
