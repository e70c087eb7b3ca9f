// qforge/io/llama2c.hpp: Karpathy's llama2.c checkpoint (`model.bin`) and tokenizer (`tokenizer.bin`) files.
//
// Checkpoint: a header of 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
// seq_len; a negative vocab_size means the classifier is stored separately at the end), then float32 tensors
// in llama2.c's order: token embedding, attention norms, wq, wk, wv, wo, FFN norms, w1, w2, w3, final norm,
// two unused RoPE tables (seq_len * head_dim / 2 each), and the classifier if it is not shared.
// Every matrix is row-major with one row per output (GGUF's layout, ne0 = input width), and wq/wk rotate
// adjacent pairs, so the tensors map one-to-one onto llama.cpp's LLAMA tensors without any permutation.
//
// Tokenizer: int32 max_token_length, then per token float32 score, int32 byte length, the bytes. The file has
// no token count: the model's vocab_size says how many tokens to read.
//
// Both readers validate everything (sizes, counts, exact file length) and throw qforge::error naming the file.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/io/gguf_writer.hpp"

namespace qforge::llama2c {

namespace detail {

inline std::vector<std::byte> read_file(const std::filesystem::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw error(errc::io, "cannot open file", {path.string(), {}, {}});
    f.seekg(0, std::ios::end);
    const auto size = f.tellg();
    if (size < 0) throw error(errc::io, "cannot determine the file size", {path.string(), {}, {}});
    f.seekg(0, std::ios::beg);
    std::vector<std::byte> bytes(static_cast<std::size_t>(size));
    if (!bytes.empty() && !f.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
        throw error(errc::io, "read failed", {path.string(), {}, {}});
    return bytes;
}

// A bounds-checked little-endian cursor over a byte buffer.
class reader {
public:
    reader(std::span<const std::byte> bytes, std::string file) : bytes_(bytes), file_(std::move(file)) {}

    std::int32_t i32(const char* what) { return load<std::int32_t>(what); }
    float f32(const char* what) { return load<float>(what); }
    std::span<const std::byte> take(std::size_t n, const char* what) {
        need(n, what);
        auto s = bytes_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    std::size_t pos() const noexcept { return pos_; }
    std::size_t left() const noexcept { return bytes_.size() - pos_; }
    [[noreturn]] void fail(errc code, const std::string& msg) const {
        throw error(code, msg, {file_, {}, pos_});
    }

private:
    void need(std::size_t n, const char* what) const {
        if (n > left())
            fail(errc::format, std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
                                   std::to_string(left()) + " left");
    }
    template <class T>
    T load(const char* what) {
        static_assert(std::endian::native == std::endian::little, "llama2.c files are little-endian");
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }

    std::span<const std::byte> bytes_;
    std::string file_;
    std::size_t pos_ = 0;
};

} // namespace detail

// The 7-int header, validated. Sizes are bounded so that every product below fits comfortably in 64 bits.
struct config {
    std::size_t dim = 0;
    std::size_t hidden_dim = 0;
    std::size_t n_layers = 0;
    std::size_t n_heads = 0;
    std::size_t n_kv_heads = 0;
    std::size_t vocab_size = 0;
    std::size_t seq_len = 0;
    bool shared_classifier = true; // header's vocab_size > 0

    std::size_t head_dim() const noexcept { return dim / n_heads; }
    std::size_t kv_dim() const noexcept { return n_kv_heads * head_dim(); }
};

inline constexpr std::size_t header_bytes = 7 * 4;

// One tensor of a checkpoint, named and shaped as GGUF names it (ne0 first: ne = {cols, rows}).
struct tensor {
    std::string name;
    std::size_t ne0 = 0;
    std::size_t ne1 = 1; // 1 for vectors
    std::span<const float> data;
};

class checkpoint {
public:
    // Reads and validates a whole checkpoint file.
    static checkpoint read(const std::filesystem::path& path) {
        checkpoint c;
        c.file_ = path.string();
        const auto bytes = detail::read_file(path);
        c.parse(bytes);
        return c;
    }
    // Validates and copies checkpoint bytes (for in-memory data; `name` is used in error messages).
    static checkpoint from_bytes(std::span<const std::byte> bytes, std::string name = "<memory>") {
        checkpoint c;
        c.file_ = std::move(name);
        c.parse(bytes);
        return c;
    }

    const config& cfg() const noexcept { return cfg_; }
    const std::string& file() const noexcept { return file_; }
    // Every weight, named as in GGUF ("token_embd.weight", "blk.3.attn_q.weight", ...). A shared classifier
    // has no "output.weight" (llama.cpp then uses token_embd.weight), as in the converted GGUF files.
    const std::vector<tensor>& tensors() const noexcept { return tensors_; }
    const tensor* find(std::string_view name) const noexcept {
        for (const auto& t : tensors_)
            if (t.name == name) return &t;
        return nullptr;
    }

private:
    void parse(std::span<const std::byte> bytes) {
        detail::reader r(bytes, file_);
        std::int32_t h[7];
        static constexpr const char* names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads",
                                                 "vocab_size", "seq_len"};
        for (int i = 0; i < 7; ++i) h[i] = r.i32(names[i]);
        auto bad = [&](const std::string& m) { throw error(errc::format, "header: " + m, {file_, {}, {}}); };
        auto in_range = [&](int i, std::int64_t v, std::int64_t lo, std::int64_t hi) {
            if (v < lo || v > hi)
                bad(std::string(names[i]) + " = " + std::to_string(h[i]) + " is outside [" + std::to_string(lo) +
                    ", " + std::to_string(hi) + "]");
        };
        in_range(0, h[0], 1, 1 << 16);
        in_range(1, h[1], 1, 1 << 18);
        in_range(2, h[2], 1, 1024);
        in_range(3, h[3], 1, 1024);
        in_range(4, h[4], 1, 1024);
        in_range(5, h[5] < 0 ? -static_cast<std::int64_t>(h[5]) : h[5], 1, 1 << 20);
        in_range(6, h[6], 1, 1 << 20);
        cfg_.dim = static_cast<std::size_t>(h[0]);
        cfg_.hidden_dim = static_cast<std::size_t>(h[1]);
        cfg_.n_layers = static_cast<std::size_t>(h[2]);
        cfg_.n_heads = static_cast<std::size_t>(h[3]);
        cfg_.n_kv_heads = static_cast<std::size_t>(h[4]);
        cfg_.shared_classifier = h[5] > 0;
        cfg_.vocab_size = static_cast<std::size_t>(h[5] < 0 ? -static_cast<std::int64_t>(h[5]) : h[5]);
        cfg_.seq_len = static_cast<std::size_t>(h[6]);
        if (cfg_.dim % cfg_.n_heads != 0)
            bad("dim " + std::to_string(cfg_.dim) + " is not a multiple of n_heads " + std::to_string(cfg_.n_heads));
        if (cfg_.head_dim() % 2 != 0) bad("head dimension " + std::to_string(cfg_.head_dim()) + " is odd (RoPE rotates pairs)");
        if (cfg_.n_kv_heads > cfg_.n_heads || cfg_.n_heads % cfg_.n_kv_heads != 0)
            bad("n_heads " + std::to_string(cfg_.n_heads) + " is not a multiple of n_kv_heads " +
                std::to_string(cfg_.n_kv_heads));

        const std::size_t d = cfg_.dim, hd = cfg_.hidden_dim, L = cfg_.n_layers, kv = cfg_.kv_dim();
        const std::size_t V = cfg_.vocab_size;
        struct part {
            const char* gguf; // GGUF role name; per-layer when `layered`
            bool layered;
            std::size_t ne0, ne1;
        };
        // llama2.c's storage order. w1 = gate, w2 = down, w3 = up.
        const part parts[] = {
            {"token_embd.weight", false, d, V}, {"attn_norm.weight", true, d, 1},
            {"attn_q.weight", true, d, d},      {"attn_k.weight", true, d, kv},
            {"attn_v.weight", true, d, kv},     {"attn_output.weight", true, d, d},
            {"ffn_norm.weight", true, d, 1},    {"ffn_gate.weight", true, d, hd},
            {"ffn_down.weight", true, hd, d},   {"ffn_up.weight", true, d, hd},
            {"output_norm.weight", false, d, 1},
        };
        std::size_t total = 0;
        for (const auto& p : parts) total += (p.layered ? L : 1) * p.ne0 * p.ne1;
        const std::size_t rope_tables = cfg_.seq_len * cfg_.head_dim(); // real + imaginary halves
        total += rope_tables;
        if (!cfg_.shared_classifier) total += V * d;
        const std::size_t want = header_bytes + total * sizeof(float);
        if (bytes.size() != want)
            throw error(errc::format,
                        "file has " + std::to_string(bytes.size()) + " bytes but its header describes " +
                            std::to_string(want) + " (" + std::to_string(total) + " floats after the 28-byte header)",
                        {file_, {}, {}});

        data_.resize(total);
        std::memcpy(data_.data(), bytes.data() + header_bytes, total * sizeof(float));
        std::size_t off = 0;
        auto add = [&](std::string name, std::size_t ne0, std::size_t ne1) {
            tensors_.push_back({std::move(name), ne0, ne1, std::span<const float>(data_).subspan(off, ne0 * ne1)});
            off += ne0 * ne1;
        };
        for (const auto& p : parts) {
            if (!p.layered) {
                add(p.gguf, p.ne0, p.ne1);
                continue;
            }
            for (std::size_t l = 0; l < L; ++l) add("blk." + std::to_string(l) + "." + p.gguf, p.ne0, p.ne1);
        }
        off += rope_tables; // llama2.c's precomputed RoPE tables: unused, we compute RoPE ourselves
        if (!cfg_.shared_classifier) add("output.weight", d, V);
        for (const auto& t : tensors_)
            for (float v : t.data)
                if (!std::isfinite(v))
                    throw error(errc::format, "non-finite weight value", {file_, t.name, {}});
    }

    std::string file_;
    config cfg_;
    std::vector<float> data_;
    std::vector<tensor> tensors_;
};

// The tokenizer file: token byte strings and merge scores, as llama2.c stores them.
struct vocabulary {
    std::size_t max_token_length = 0;
    std::vector<std::string> tokens;
    std::vector<float> scores;
};

inline vocabulary parse_tokenizer(std::span<const std::byte> bytes, std::size_t vocab_size,
                                  const std::string& name = "<memory>") {
    if (vocab_size == 0 || vocab_size > (1u << 20))
        throw error(errc::invalid_argument, "tokenizer vocab_size " + std::to_string(vocab_size) + " out of range",
                    {name, {}, {}});
    detail::reader r(bytes, name);
    vocabulary v;
    const std::int32_t mtl = r.i32("max_token_length");
    if (mtl <= 0 || mtl > 4096) r.fail(errc::format, "max_token_length " + std::to_string(mtl) + " out of range");
    v.max_token_length = static_cast<std::size_t>(mtl);
    v.tokens.reserve(vocab_size);
    v.scores.reserve(vocab_size);
    for (std::size_t i = 0; i < vocab_size; ++i) {
        const std::string id = "token " + std::to_string(i);
        const float score = r.f32("score");
        if (!std::isfinite(score)) r.fail(errc::format, id + ": non-finite score");
        const std::int32_t len = r.i32("length");
        if (len <= 0 || len > mtl)
            r.fail(errc::format, id + ": length " + std::to_string(len) + " outside [1, max_token_length " +
                                     std::to_string(mtl) + "]");
        const auto b = r.take(static_cast<std::size_t>(len), "token bytes");
        v.tokens.emplace_back(reinterpret_cast<const char*>(b.data()), b.size());
        v.scores.push_back(score);
    }
    if (r.left() != 0)
        r.fail(errc::format, std::to_string(r.left()) + " trailing bytes after " + std::to_string(vocab_size) +
                                 " tokens (does the tokenizer belong to this model?)");
    return v;
}

inline vocabulary read_tokenizer(const std::filesystem::path& path, std::size_t vocab_size) {
    const auto bytes = detail::read_file(path);
    return parse_tokenizer(bytes, vocab_size, path.string());
}

struct gguf_options {
    std::string name;              // general.name (empty: not written)
    std::string description;       // general.description (empty: not written)
    std::size_t pad_ff_to = 0;     // > 0: zero-pad the FFN width up to a multiple of this (exact: silu(0)*0 = 0)
};

// A llama2.c checkpoint and its tokenizer as an F32 GGUF that llama.cpp loads (architecture "llama",
// SentencePiece vocabulary). wq/wk need no permutation: llama2.c rotates adjacent pairs, which is llama.cpp's
// LLAMA rope type. A shared classifier is written once (token_embd.weight; llama.cpp reuses it as output).
// Token types: 0 UNKNOWN, 1/2 CONTROL ("<s>", "</s>"), <0xXX> BYTE, the rest NORMAL with ' ' as U+2581.
inline gguf::writer to_gguf(const checkpoint& c, const vocabulary& v, const gguf_options& o = {}) {
    const config& h = c.cfg();
    if (v.tokens.size() != h.vocab_size)
        throw error(errc::shape, "the tokenizer has " + std::to_string(v.tokens.size()) + " tokens, the model " +
                                     std::to_string(h.vocab_size), {c.file(), {}, {}});
    const std::size_t ff = o.pad_ff_to ? (h.hidden_dim + o.pad_ff_to - 1) / o.pad_ff_to * o.pad_ff_to : h.hidden_dim;
    gguf::writer w;
    w.add("general.architecture", "llama");
    if (!o.name.empty()) w.add("general.name", o.name);
    if (!o.description.empty()) w.add("general.description", o.description);
    w.add("general.file_type", std::uint32_t{0}); // ALL_F32
    auto u32 = [](std::size_t x) { return static_cast<std::uint32_t>(x); };
    w.add("llama.context_length", u32(h.seq_len));
    w.add("llama.embedding_length", u32(h.dim));
    w.add("llama.block_count", u32(h.n_layers));
    w.add("llama.feed_forward_length", u32(ff));
    w.add("llama.attention.head_count", u32(h.n_heads));
    w.add("llama.attention.head_count_kv", u32(h.n_kv_heads));
    w.add("llama.rope.dimension_count", u32(h.head_dim()));
    w.add("llama.rope.freq_base", 10000.0f);
    w.add("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    w.add("llama.vocab_size", u32(h.vocab_size));
    std::vector<std::string> tokens(v.tokens.size());
    std::vector<std::int32_t> types(v.tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const std::string& t = v.tokens[i];
        const bool byte = t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>';
        if (i == 0) { tokens[i] = "<unk>"; types[i] = 2; }
        else if (i == 1) { tokens[i] = "<s>"; types[i] = 3; }
        else if (i == 2) { tokens[i] = "</s>"; types[i] = 3; }
        else if (byte) { tokens[i] = t; types[i] = 6; }
        else {
            for (const char ch : t) tokens[i] += ch == ' ' ? std::string("\xE2\x96\x81") : std::string(1, ch);
            types[i] = 1;
        }
    }
    w.add("tokenizer.ggml.model", "llama");
    w.add("tokenizer.ggml.tokens", std::move(tokens));
    w.add("tokenizer.ggml.scores", v.scores);
    w.add("tokenizer.ggml.token_type", std::move(types));
    w.add("tokenizer.ggml.bos_token_id", std::uint32_t{1});
    w.add("tokenizer.ggml.eos_token_id", std::uint32_t{2});
    w.add("tokenizer.ggml.unknown_token_id", std::uint32_t{0});
    w.add("tokenizer.ggml.add_bos_token", true);
    w.add("tokenizer.ggml.add_eos_token", false);

    auto put = [&](const std::string& name, std::size_t ne0, std::size_t ne1, std::span<const float> data) {
        std::vector<std::uint64_t> ne{ne0};
        if (ne1 != 1) ne.push_back(ne1);
        w.add_tensor(name, ggml_type::f32, ne, data);
    };
    auto tensor_of = [&](const std::string& name) -> const tensor& {
        const tensor* t = c.find(name);
        if (!t) throw error(errc::missing, "no tensor " + name, {c.file(), name, {}});
        return *t;
    };
    auto copy = [&](const std::string& name) {
        const tensor& t = tensor_of(name);
        if (ff != h.hidden_dim && (name.ends_with("ffn_gate.weight") || name.ends_with("ffn_up.weight"))) {
            std::vector<float> p(ff * t.ne0, 0.0f); // extra rows are zero
            std::copy(t.data.begin(), t.data.end(), p.begin());
            put(name, t.ne0, ff, p);
        } else if (ff != h.hidden_dim && name.ends_with("ffn_down.weight")) {
            std::vector<float> p(ff * t.ne1, 0.0f); // extra columns are zero
            for (std::size_t r = 0; r < t.ne1; ++r)
                std::copy_n(t.data.begin() + static_cast<std::ptrdiff_t>(r * t.ne0), t.ne0, p.begin() + static_cast<std::ptrdiff_t>(r * ff));
            put(name, ff, t.ne1, p);
        } else {
            put(name, t.ne0, t.ne1, t.data);
        }
    };
    copy("token_embd.weight");
    for (std::size_t l = 0; l < h.n_layers; ++l)
        for (const char* role : {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down", "ffn_up"})
            copy("blk." + std::to_string(l) + "." + role + ".weight");
    copy("output_norm.weight");
    if (!h.shared_classifier) copy("output.weight");
    return w;
}

} // namespace qforge::llama2c
