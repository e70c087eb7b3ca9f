// qforge-mkmodel: writes a deterministic synthetic Llama GGUF of a given shape, for benchmarks and tests.
// Weights are seeded Gaussians from our own generator (splitmix64 + Box-Muller), so the file is the same on
// every platform and standard library; the vocabulary is byte-level plus placeholders, which both qforge and
// llama.cpp load.
#include <cmath>
#include <cstdint>
#include <iostream>
#include <numbers>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "qforge/io/gguf_writer.hpp"

namespace {

using namespace qforge;
using qforge::tools::usage_error;

constexpr const char* usage = R"(usage: qforge-mkmodel OUT.gguf [--preset 15M|110M] [shape options] [--seed N] [--std S] [--untied]

Writes a synthetic Llama model (all weights F32) to OUT.gguf.

  --preset 15M     dim 288, hidden 768, layers 6, heads 6, kv heads 6, vocab 32000, seq 256
  --preset 110M    dim 768, hidden 2048, layers 12, heads 12, kv heads 12, vocab 32000, seq 1024
  --dim N --hidden N --layers N --heads N --kv-heads N --vocab N --seq N
                   explicit shape (each overrides the preset; without a preset all are required)
  --seed N         generator seed (default 42); the same seed gives the same file, byte for byte
  --std S          standard deviation of the weight matrices (default 0.02); norm weights are 1
  --untied         also write output.weight (default: tied classifier, as llama2.c's models)
  --name NAME      general.name (default synthetic-<preset or shape>)

The vocabulary has <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then placeholders <t259>, ...;
so the vocabulary needs at least 259 tokens. Text is tokenized into byte tokens.
)";

// splitmix64: tiny, fast, and fully specified, unlike std::normal_distribution.
struct rng {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; } // in (0, 1)
};

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return h;
}

// Each tensor has its own stream (seed mixed with its name), so tensors do not depend on each other.
std::vector<float> gaussian(std::uint64_t seed, std::string_view name, std::size_t n, double std_dev) {
    rng r{seed ^ fnv1a(name)};
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; i += 2) {
        const double rad = std::sqrt(-2.0 * std::log(r.uniform()));
        const double ang = 2.0 * std::numbers::pi * r.uniform();
        v[i] = static_cast<float>(std_dev * rad * std::cos(ang));
        if (i + 1 < n) v[i + 1] = static_cast<float>(std_dev * rad * std::sin(ang));
    }
    return v;
}

struct shape {
    std::size_t dim = 0, hidden = 0, layers = 0, heads = 0, kv_heads = 0, vocab = 0, seq = 0;
};

int run(int argc, char** argv) {
    tools::args a(argc, argv);
    if (a.flag("--help") || a.flag("-h")) {
        std::cout << usage;
        return 0;
    }
    shape s;
    std::string label;
    if (const auto p = a.value("--preset")) {
        if (*p == "15M") s = {288, 768, 6, 6, 6, 32000, 256};
        else if (*p == "110M") s = {768, 2048, 12, 12, 12, 32000, 1024};
        else throw usage_error("unknown preset '" + *p + "' (known: 15M, 110M)");
        label = *p;
    }
    const auto set = [&](const char* opt, std::size_t& field) {
        if (const auto v = a.number<std::size_t>(opt)) {
            field = *v;
            label.clear();
        }
    };
    set("--dim", s.dim);
    set("--hidden", s.hidden);
    set("--layers", s.layers);
    set("--heads", s.heads);
    set("--kv-heads", s.kv_heads);
    set("--vocab", s.vocab);
    set("--seq", s.seq);
    const std::uint64_t seed = a.number<std::uint64_t>("--seed").value_or(42);
    const double std_dev = a.number<double>("--std").value_or(0.02);
    const bool untied = a.flag("--untied");
    auto name = a.value("--name");
    const auto pos = a.positionals();
    if (pos.size() != 1) throw usage_error("expected exactly one output file, got " + std::to_string(pos.size()));

    const std::pair<const char*, std::size_t> fields[] = {{"--dim", s.dim},       {"--hidden", s.hidden},
                                                          {"--layers", s.layers}, {"--heads", s.heads},
                                                          {"--kv-heads", s.kv_heads}, {"--vocab", s.vocab},
                                                          {"--seq", s.seq}};
    for (const auto& [opt, v] : fields)
        if (v == 0) throw usage_error(std::string(opt) + " is missing or zero (give it or use --preset)");
    if (s.dim % s.heads != 0) throw usage_error("--dim must be a multiple of --heads");
    if (s.heads % s.kv_heads != 0) throw usage_error("--heads must be a multiple of --kv-heads");
    if ((s.dim / s.heads) % 2 != 0) throw usage_error("the head dimension (dim / heads) must be even for RoPE");
    if (s.vocab < 259) throw usage_error("--vocab must be at least 259 (3 special and 256 byte tokens)");
    if (!(std_dev > 0 && std::isfinite(std_dev))) throw usage_error("--std must be a positive number");
    if (label.empty())
        label = std::to_string(s.dim) + "d" + std::to_string(s.layers) + "l" + std::to_string(s.hidden) + "h";
    if (!name) name = "synthetic-" + label;

    const std::size_t head_dim = s.dim / s.heads, kv_dim = s.kv_heads * head_dim;
    gguf::writer w;
    w.add("general.architecture", "llama");
    w.add("general.name", *name);
    w.add("general.description", std::string("qforge-mkmodel synthetic model: N(0, ") + tools::fixed(std_dev, 4) +
                                     ") weights, seed " + std::to_string(seed) +
                                     "; byte-level + placeholder vocabulary, not a trained model");
    w.add("general.file_type", std::uint32_t{0}); // LLAMA_FTYPE_ALL_F32
    w.add("llama.context_length", static_cast<std::uint32_t>(s.seq));
    w.add("llama.embedding_length", static_cast<std::uint32_t>(s.dim));
    w.add("llama.feed_forward_length", static_cast<std::uint32_t>(s.hidden));
    w.add("llama.block_count", static_cast<std::uint32_t>(s.layers));
    w.add("llama.attention.head_count", static_cast<std::uint32_t>(s.heads));
    w.add("llama.attention.head_count_kv", static_cast<std::uint32_t>(s.kv_heads));
    w.add("llama.rope.dimension_count", static_cast<std::uint32_t>(head_dim));
    w.add("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    w.add("llama.rope.freq_base", 10000.0f);
    w.add("llama.vocab_size", static_cast<std::uint32_t>(s.vocab));

    std::vector<std::string> tokens;
    std::vector<float> scores(s.vocab, 0.0f);
    std::vector<std::int32_t> types;
    tokens.reserve(s.vocab);
    tokens.insert(tokens.end(), {"<unk>", "<s>", "</s>"});
    types.insert(types.end(), {2, 3, 3}); // UNKNOWN, CONTROL, CONTROL
    for (int b = 0; b < 256; ++b) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        tokens.emplace_back(buf);
        types.push_back(6); // BYTE
    }
    for (std::size_t i = tokens.size(); i < s.vocab; ++i) {
        tokens.push_back("<t" + std::to_string(i) + ">");
        types.push_back(1); // NORMAL
    }
    w.add("tokenizer.ggml.model", "llama");
    w.add("tokenizer.ggml.tokens", tokens);
    w.add("tokenizer.ggml.scores", scores);
    w.add("tokenizer.ggml.token_type", types);
    w.add("tokenizer.ggml.unknown_token_id", std::uint32_t{0});
    w.add("tokenizer.ggml.bos_token_id", std::uint32_t{1});
    w.add("tokenizer.ggml.eos_token_id", std::uint32_t{2});
    w.add("tokenizer.ggml.add_bos_token", true);
    w.add("tokenizer.ggml.add_eos_token", false);

    struct item {
        std::string name;
        std::size_t cols, rows; // ne[0], ne[1] (rows 0: a vector)
    };
    std::vector<item> items{{"token_embd.weight", s.dim, s.vocab}, {"output_norm.weight", s.dim, 0}};
    if (untied) items.push_back({"output.weight", s.dim, s.vocab});
    for (std::size_t l = 0; l < s.layers; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        items.push_back({b + "attn_norm.weight", s.dim, 0});
        items.push_back({b + "attn_q.weight", s.dim, s.dim});
        items.push_back({b + "attn_k.weight", s.dim, kv_dim});
        items.push_back({b + "attn_v.weight", s.dim, kv_dim});
        items.push_back({b + "attn_output.weight", s.dim, s.dim});
        items.push_back({b + "ffn_norm.weight", s.dim, 0});
        items.push_back({b + "ffn_gate.weight", s.dim, s.hidden});
        items.push_back({b + "ffn_up.weight", s.dim, s.hidden});
        items.push_back({b + "ffn_down.weight", s.hidden, s.dim});
    }
    tools::progress prog("qforge-mkmodel: generating", items.size());
    std::size_t done = 0, n_params = 0;
    for (const item& it : items) {
        if (it.rows == 0) {
            const std::vector<float> ones(it.cols, 1.0f);
            const std::uint64_t ne[] = {it.cols};
            w.add_tensor(it.name, ggml_type::f32, ne, std::span<const float>(ones));
        } else {
            const auto v = gaussian(seed, it.name, it.cols * it.rows, std_dev);
            const std::uint64_t ne[] = {it.cols, it.rows};
            w.add_tensor(it.name, ggml_type::f32, ne, std::span<const float>(v));
        }
        n_params += it.cols * (it.rows ? it.rows : 1);
        prog.step(++done, it.name);
    }
    w.write(pos[0]);
    std::cout << "wrote " << pos[0] << ": " << *name << ", " << items.size() << " tensors, " << n_params
              << " parameters (dim " << s.dim << ", hidden " << s.hidden << ", layers " << s.layers << ", heads "
              << s.heads << ", kv heads " << s.kv_heads << ", vocab " << s.vocab << ", seq " << s.seq << ", "
              << (untied ? "untied" : "tied") << " classifier)\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qforge::tools::run_tool("qforge-mkmodel", [&] { return run(argc, argv); });
}
