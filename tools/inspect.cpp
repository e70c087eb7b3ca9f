// qforge-inspect: shows what is in a GGUF file (metadata and a tensor table, like gguf-dump), or the same as
// JSON; writes a small sample GGUF on request. Any defect of the file is reported as one clear line.
#include <charconv>
#include <cmath>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/block/q8_0.hpp"
#include "qforge/io/gguf.hpp"
#include "qforge/io/gguf_print.hpp"
#include "qforge/io/gguf_writer.hpp"

namespace gg = qforge::gguf;

namespace {

constexpr std::string_view usage = R"(usage: qforge-inspect [options] FILE.gguf
       qforge-inspect --write-sample FILE.gguf

Validates a GGUF file (v2/v3) and prints its metadata and tensor table.

options:
  --json             print one JSON document (full metadata values, all tensors) instead of text
  --array-items N    text output: array elements shown before "..." (default 6)
  --write-sample F   write a small valid GGUF (f32 and q8_0 tensors, metadata of several types) to F
  -h, --help         show this help

exit status: 0 on success, 1 if the file is missing or invalid, 2 on a usage error.
)";

// A tiny llama-shaped model: enough for tools and demos to have something to open without ../shared.
void write_sample(const std::string& path) {
    const std::size_t dim = 64, vocab = 16;
    gg::writer w;
    w.add("general.architecture", "llama");
    w.add("general.name", "qforge-sample");
    w.add("general.description", "A small file written by qforge-inspect --write-sample: not a trained model.");
    w.add("general.file_type", std::uint32_t{7}); // mostly Q8_0, as llama.cpp numbers file types
    w.add("llama.context_length", std::uint32_t{128});
    w.add("llama.embedding_length", std::uint32_t{dim});
    w.add("llama.block_count", std::uint32_t{1});
    w.add("llama.attention.head_count", std::uint32_t{4});
    w.add("llama.rope.freq_base", 10000.0f);
    w.add("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
    for (std::size_t i = tokens.size(); i < vocab; ++i) tokens.push_back("tok" + std::to_string(i));
    w.add("tokenizer.ggml.model", "llama");
    w.add("tokenizer.ggml.tokens", tokens);
    w.add("tokenizer.ggml.scores", std::vector<float>(vocab, 0.0f));
    w.add("tokenizer.ggml.token_type", std::vector<std::int32_t>(vocab, 1));
    w.add("tokenizer.ggml.bos_token_id", std::uint32_t{1});
    w.add("tokenizer.ggml.add_bos_token", true);

    // Deterministic smooth weights.
    auto values = [](std::size_t n, float phase) {
        std::vector<float> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = 0.5f * std::sin(0.1f * static_cast<float>(i) + phase);
        return v;
    };
    const auto emb = values(dim * vocab, 0.0f);
    const std::uint64_t emb_ne[] = {dim, vocab};
    w.add_tensor("token_embd.weight", qforge::ggml_type::f32, emb_ne, std::span<const float>(emb));
    const auto norm = std::vector<float>(dim, 1.0f);
    const std::uint64_t norm_ne[] = {dim};
    w.add_tensor("blk.0.attn_norm.weight", qforge::ggml_type::f32, norm_ne, std::span<const float>(norm));
    const auto wq = values(dim * dim, 1.0f);
    std::vector<qforge::q8_0::block> q(dim * dim / qforge::q8_0::block_size);
    qforge::q8_0::quantize(wq, q);
    const std::uint64_t wq_ne[] = {dim, dim};
    w.add_tensor("blk.0.attn_q.weight", qforge::ggml_type::q8_0, wq_ne,
                 std::span<const qforge::q8_0::block>(q));
    w.add_tensor("output_norm.weight", qforge::ggml_type::f32, norm_ne, std::span<const float>(norm));
    w.write(path);
}

} // namespace

int main(int argc, char** argv) {
    bool as_json = false;
    gg::print_options options;
    std::string path, sample;
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto a = args[i];
        if (a == "-h" || a == "--help") {
            std::cout << usage;
            return 0;
        } else if (a == "--json") {
            as_json = true;
        } else if (a == "--array-items" && i + 1 < args.size()) {
            const auto n = args[++i];
            const auto r = std::from_chars(n.data(), n.data() + n.size(), options.array_items);
            if (r.ec != std::errc{} || r.ptr != n.data() + n.size()) {
                std::cerr << "qforge-inspect: --array-items needs a count, got '" << n << "'\n";
                return 2;
            }
        } else if (a == "--write-sample" && i + 1 < args.size()) {
            sample = std::string(args[++i]);
        } else if (!a.empty() && a[0] == '-') {
            std::cerr << "qforge-inspect: unknown option '" << a << "'\n" << usage;
            return 2;
        } else if (path.empty()) {
            path = std::string(a);
        } else {
            std::cerr << "qforge-inspect: more than one file given\n" << usage;
            return 2;
        }
    }
    try {
        if (!sample.empty()) {
            write_sample(sample);
            std::cerr << "qforge-inspect: wrote " << sample << "\n";
            if (path.empty()) return 0;
        }
        if (path.empty()) {
            std::cerr << usage;
            return 2;
        }
        const auto f = gg::open(path);
        if (as_json) gg::print_json(f, std::cout);
        else gg::print_text(f, std::cout, options);
        return 0;
    } catch (const qforge::error& e) {
        std::cerr << "qforge-inspect: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "qforge-inspect: " << e.what() << "\n";
        return 1;
    }
}
