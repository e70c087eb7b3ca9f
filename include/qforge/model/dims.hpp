// qforge/model/dims.hpp: the shape of a Llama model, fixed at compile time (llama_dims) or read from the
// file (dynamic_dims). The engine is written once against `dims.dim`, `dims.n_heads`, ...: with llama_dims
// these are constants the compiler folds into every loop; with dynamic_dims they are members set at load.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include "qforge/core/error.hpp"
#include "qforge/ops/rope.hpp"

namespace qforge {

// Everything a Llama file says about its shape and numerics, validated.
struct model_params {
    std::size_t dim = 0;        // embedding width
    std::size_t hidden = 0;     // FFN width
    std::size_t n_layers = 0;
    std::size_t n_heads = 0;
    std::size_t n_kv_heads = 0;
    std::size_t vocab = 0;
    std::size_t seq_len = 0;    // training context length
    float rope_theta = 10000.0f;
    float eps = 1e-5f;          // RMSNorm epsilon
    rope_layout rope = rope_layout::adjacent;

    std::size_t head_dim() const noexcept { return dim / n_heads; }
    std::size_t kv_dim() const noexcept { return n_kv_heads * head_dim(); }

    // Throws qforge::error (naming `where`) unless the numbers describe a model we can run.
    void validate(const std::string& where) const {
        auto bad = [&](const std::string& m) { throw error(errc::format, "model parameters: " + m, {where, {}, {}}); };
        auto bounded = [&](const char* what, std::size_t v, std::size_t hi) {
            if (v == 0 || v > hi) bad(std::string(what) + " = " + std::to_string(v) + " is outside [1, " + std::to_string(hi) + "]");
        };
        bounded("embedding length", dim, 1u << 16);
        bounded("feed-forward length", hidden, 1u << 18);
        bounded("block count", n_layers, 1024);
        bounded("head count", n_heads, 1024);
        bounded("kv head count", n_kv_heads, 1024);
        bounded("vocabulary size", vocab, 1u << 22);
        bounded("context length", seq_len, 1u << 22);
        if (dim % n_heads != 0) bad("embedding length " + std::to_string(dim) + " is not a multiple of head count " + std::to_string(n_heads));
        if (head_dim() % 2 != 0) bad("head dimension " + std::to_string(head_dim()) + " is odd (RoPE rotates pairs)");
        if (n_kv_heads > n_heads || n_heads % n_kv_heads != 0)
            bad("head count " + std::to_string(n_heads) + " is not a multiple of kv head count " + std::to_string(n_kv_heads));
        if (!std::isfinite(eps) || eps <= 0.0f || eps > 1.0f) bad("RMSNorm epsilon " + std::to_string(eps) + " is not in (0, 1]");
        if (!std::isfinite(rope_theta) || rope_theta <= 1.0f) bad("RoPE base " + std::to_string(rope_theta) + " is not finite and > 1");
    }
};

// A model shape known at compile time. seq_len, RoPE base and epsilon still come from the file.
template <std::size_t Dim, std::size_t Hidden, std::size_t Layers, std::size_t Heads, std::size_t KvHeads, std::size_t Vocab>
struct llama_dims {
    static_assert(Dim > 0 && Heads > 0 && KvHeads > 0 && Dim % Heads == 0, "llama_dims: Dim must be a multiple of Heads");
    static_assert(Heads % KvHeads == 0, "llama_dims: Heads must be a multiple of KvHeads");
    static_assert((Dim / Heads) % 2 == 0, "llama_dims: the head dimension must be even");
    static constexpr bool is_static = true;
    static constexpr std::size_t dim = Dim, hidden = Hidden, n_layers = Layers, n_heads = Heads, n_kv_heads = KvHeads,
                                 vocab = Vocab, head_dim = Dim / Heads, kv_dim = KvHeads * (Dim / Heads);

    // Checks that the file has exactly this shape.
    static void bind(const model_params& p, const std::string& where) {
        auto same = [&](const char* what, std::size_t want, std::size_t got) {
            if (want != got)
                throw error(errc::shape, std::string("the engine type expects ") + what + " = " + std::to_string(want) +
                                             ", the file has " + std::to_string(got), {where, {}, {}});
        };
        same("embedding length", dim, p.dim);
        same("feed-forward length", hidden, p.hidden);
        same("block count", n_layers, p.n_layers);
        same("head count", n_heads, p.n_heads);
        same("kv head count", n_kv_heads, p.n_kv_heads);
        same("vocabulary size", vocab, p.vocab);
    }
};

// A model shape read from the file.
struct dynamic_dims {
    static constexpr bool is_static = false;
    std::size_t dim = 0, hidden = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, vocab = 0, head_dim = 0, kv_dim = 0;

    void bind(const model_params& p, const std::string&) {
        dim = p.dim;
        hidden = p.hidden;
        n_layers = p.n_layers;
        n_heads = p.n_heads;
        n_kv_heads = p.n_kv_heads;
        vocab = p.vocab;
        head_dim = p.head_dim();
        kv_dim = p.kv_dim();
    }
};

} // namespace qforge
