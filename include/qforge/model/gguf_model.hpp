// qforge/model/gguf_model.hpp: a GGUF file as the engine's weight source.
//
// The metadata is validated strictly before any tensor is touched: the architecture must be "llama", every
// count must be an integer key within sane bounds, heads must divide the embedding, RoPE must rotate whole
// heads (rope.dimension_count == head dimension), no RoPE scaling, a finite epsilon, and the vocabulary size
// must agree between llama.vocab_size, the tokenizer and token_embd. Tensors stay in the mmapped file
// (zero-copy); their names, shapes and types are checked when an engine binds them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "qforge/core/error.hpp"
#include "qforge/io/gguf.hpp"
#include "qforge/model/dims.hpp"
#include "qforge/model/weights.hpp"

namespace qforge {

namespace gguf_model_detail {

// An integer metadata value of any GGUF integer type, as a count.
inline std::optional<std::uint64_t> find_count(const gguf::file& f, std::string_view key) {
    const gguf::value* v = f.find_value(key);
    if (!v) return std::nullopt;
    auto bad = [&](const std::string& m) -> std::uint64_t {
        throw error(errc::type, "metadata key '" + std::string(key) + "' " + m, {f.name(), {}, {}});
    };
    if (v->holds<std::uint32_t>()) return v->as<std::uint32_t>();
    if (v->holds<std::uint64_t>()) return v->as<std::uint64_t>();
    if (v->holds<std::uint16_t>()) return v->as<std::uint16_t>();
    if (v->holds<std::uint8_t>()) return v->as<std::uint8_t>();
    if (v->holds<std::int32_t>()) return v->as<std::int32_t>() < 0 ? bad("is negative") : static_cast<std::uint64_t>(v->as<std::int32_t>());
    if (v->holds<std::int64_t>()) return v->as<std::int64_t>() < 0 ? bad("is negative") : static_cast<std::uint64_t>(v->as<std::int64_t>());
    return bad("must be an integer");
}

inline std::uint64_t get_count(const gguf::file& f, std::string_view key) {
    if (auto v = find_count(f, key)) return *v;
    throw error(errc::missing, "metadata key '" + std::string(key) + "' not found", {f.name(), {}, {}});
}

inline std::size_t bounded(const gguf::file& f, std::string_view key, std::uint64_t v, std::uint64_t hi) {
    if (v == 0 || v > hi)
        throw error(errc::format, "metadata key '" + std::string(key) + "' = " + std::to_string(v) + " is outside [1, " +
                                      std::to_string(hi) + "]", {f.name(), {}, {}});
    return static_cast<std::size_t>(v);
}

} // namespace gguf_model_detail

inline model_params params_from(const gguf::file& f) {
    using namespace gguf_model_detail;
    const error_location where{f.name(), {}, {}};
    const auto arch = f.get<std::string_view>("general.architecture");
    if (arch != "llama")
        throw error(errc::unsupported, "general.architecture '" + std::string(arch) + "' is not supported (only 'llama')", where);
    model_params p;
    p.seq_len = bounded(f, "llama.context_length", get_count(f, "llama.context_length"), 1u << 22);
    p.dim = bounded(f, "llama.embedding_length", get_count(f, "llama.embedding_length"), 1u << 16);
    p.hidden = bounded(f, "llama.feed_forward_length", get_count(f, "llama.feed_forward_length"), 1u << 18);
    p.n_layers = bounded(f, "llama.block_count", get_count(f, "llama.block_count"), 1024);
    p.n_heads = bounded(f, "llama.attention.head_count", get_count(f, "llama.attention.head_count"), 1024);
    p.n_kv_heads = bounded(f, "llama.attention.head_count_kv",
                           find_count(f, "llama.attention.head_count_kv").value_or(p.n_heads), 1024);
    p.eps = f.get<float>("llama.attention.layer_norm_rms_epsilon");
    p.rope_theta = f.find<float>("llama.rope.freq_base").value_or(10000.0f);
    p.rope = rope_layout::adjacent; // llama.cpp's LLAMA architecture: LLAMA_ROPE_TYPE_NORM
    if (const auto scaling = f.find<std::string_view>("llama.rope.scaling.type"); scaling && *scaling != "none")
        throw error(errc::unsupported, "RoPE scaling '" + std::string(*scaling) + "' is not supported", where);
    // Vocabulary: the tokenizer's token count, llama.vocab_size and token_embd's rows must agree.
    std::optional<std::uint64_t> vocab = find_count(f, "llama.vocab_size");
    if (const gguf::value* toks = f.find_value("tokenizer.ggml.tokens")) {
        if (!toks->holds<gguf::array>())
            throw error(errc::type, "metadata key 'tokenizer.ggml.tokens' must be an array", where);
        const std::uint64_t n = toks->as<gguf::array>().size();
        if (vocab && *vocab != n)
            throw error(errc::format, "llama.vocab_size = " + std::to_string(*vocab) + " but tokenizer.ggml.tokens has " +
                                          std::to_string(n) + " tokens", where);
        vocab = n;
    }
    const gguf::tensor_info* embd = f.find_tensor("token_embd.weight");
    if (!embd) throw error(errc::missing, "the model has no tensor named 'token_embd.weight'", {f.name(), "token_embd.weight", {}});
    if (embd->n_dims != 2)
        throw error(errc::shape, "token_embd.weight must be 2-D", {f.name(), "token_embd.weight", {}});
    if (vocab && *vocab != embd->ne[1])
        throw error(errc::shape, "the vocabulary has " + std::to_string(*vocab) + " tokens but the embedding has " +
                                     std::to_string(embd->ne[1]) + " rows", {f.name(), "token_embd.weight", {}});
    p.vocab = bounded(f, "vocabulary size", embd->ne[1], 1u << 22);
    p.validate(f.name());
    if (const auto rd = find_count(f, "llama.rope.dimension_count"); rd && *rd != p.head_dim())
        throw error(errc::unsupported, "llama.rope.dimension_count = " + std::to_string(*rd) +
                                           " differs from the head dimension " + std::to_string(p.head_dim()) +
                                           " (partial RoPE is not supported)", where);
    return p;
}

// The file's tensors as a weight source (zero-copy: `f` must outlive every engine loaded from it).
inline weight_source weights_from(const gguf::file& f) {
    weight_source s;
    s.file = f.name();
    s.mapped = f.memory_mapped();
    s.params = params_from(f);
    for (const auto& t : f.tensors()) {
        tensor_info i;
        i.name = t.name;
        i.type = t.type_id;
        i.n_dims = t.n_dims;
        for (std::size_t d = 0; d < 4; ++d) i.ne[d] = static_cast<std::size_t>(t.ne[d]);
        i.data = t.data.data();
        i.bytes = t.data.size();
        s.tensors.push_back(i);
    }
    return s;
}

} // namespace qforge
