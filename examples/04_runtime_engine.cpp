// Example 04: a runtime-dispatched engine for any Llama GGUF file.
//
// runtime_llama reads the shape from the file's metadata and each tensor's block format from its type: the
// format is chosen once per matrix from the closed list of formats (block/all.hpp), and below that choice runs
// the same statically specialized code as example 03. Usage: example_04_runtime_engine [model.gguf] [prompt]
#include <qforge/backend.hpp>
#include <qforge/io/gguf.hpp>
#include <qforge/model/gguf_model.hpp>
#include <qforge/model/llama.hpp>
#include <qforge/model/sampler.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

namespace qf = qforge;

int main(int argc, char** argv) {
    std::filesystem::path path;
    if (argc > 1) {
        path = argv[1];
    } else {
        const char* env = std::getenv("QFORGE_SHARED_DIR");
        path = std::filesystem::path(env ? env : "../shared") / "models" / "aidreams260K-ffpad192-Q4_0.gguf";
        if (!std::filesystem::exists(path)) {
            std::printf("example 04 skipped: %s not found; pass a GGUF file as the first argument\n", path.c_str());
            return 0;
        }
    }
    try {
        const auto file = qf::gguf::open(path); // mmap + full validation
        std::map<std::string, int> formats;
        for (const auto& t : file.tensors()) ++formats[std::string(t.type_name())];
        std::printf("%s: %zu tensors:", path.filename().c_str(), file.tensors().size());
        for (const auto& [name, n] : formats) std::printf(" %d x %s", n, name.c_str());
        std::printf("\n");

        auto eng = qf::runtime_llama<qf::cpu_auto>::load(qf::weights_from(file)); // zero-copy views
        const auto tok = qf::spm_tokenizer::from_gguf(file);
        const auto& p = eng.params();
        std::printf("dim %zu, hidden %zu, layers %zu, heads %zu/%zu, vocab %zu, context %zu\n", p.dim, p.hidden,
                    p.n_layers, p.n_heads, p.n_kv_heads, p.vocab, eng.n_ctx());

        const auto prompt = tok.encode(argc > 2 ? argv[2] : "The");
        qf::sampler sample({.temperature = 0.7f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f, .seed = 1}, p.vocab);
        std::string text = tok.decode(prompt);
        qf::token_id prev = prompt.back();
        const std::size_t n = eng.generate(prompt, sample, 48, [&](qf::token_id t) {
            text += tok.decode(prev, t);
            prev = t;
        });
        std::cout << text << "\n";
        return n > 0 ? 0 : 1;
    } catch (const qf::error& e) {
        std::fprintf(stderr, "%s\n", e.what()); // every load error names the file, tensor or key
        return 1;
    }
}
