// Example 03: a fully static Llama engine for aidreams260K.
//
// Every dimension is a compile-time constant (llama_dims), every weight's format is fixed by the recipe, and
// the backend is a type: the compiler sees one concrete model. The weights come straight from Karpathy's
// llama2.c checkpoint; the tokenizer from its tokenizer.bin. Needs ../shared (skips politely without it).
#include <qforge/backend.hpp>
#include <qforge/io/llama2c.hpp>
#include <qforge/io/tokenizer.hpp>
#include <qforge/model/llama.hpp>
#include <qforge/model/sampler.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <iostream>

namespace qf = qforge;

//                          dim hidden layers heads kv_heads vocab
using dims = qf::llama_dims<64, 172, 4, 4, 4, 512>;
using recipe = qf::recipe<qf::f32>; // llama2.c checkpoints are float32 (see example 04 for quantized files)
using engine = qf::llama<dims, recipe, qf::cpu_auto>;

int main() {
    const char* env = std::getenv("QFORGE_SHARED_DIR");
    const std::filesystem::path shared = env ? env : "../shared", models = shared / "models";
    if (!std::filesystem::exists(models / "aidreams260K.bin")) {
        std::printf("example 03 skipped: %s not found (the shared models are not available)\n",
                    (models / "aidreams260K.bin").c_str());
        return 0;
    }
    const auto checkpoint = qf::llama2c::checkpoint::read(models / "aidreams260K.bin");
    const auto tok = qf::spm_tokenizer::from_llama2c(
        qf::llama2c::read_tokenizer(models / "aidreams260K.tok512.bin", checkpoint.cfg().vocab_size));
    // load() checks that the file has exactly the shape and formats of the engine type (else a clear error).
    auto eng = engine::load(qf::weights_from(checkpoint));

    const auto prompt = tok.encode("I dreamed of");
    std::string text = tok.decode(prompt);
    qf::token_id prev = prompt.back();
    eng.generate(prompt, qf::greedy{}, 120, [&](qf::token_id t) {
        text += tok.decode(prev, t);
        prev = t;
    });
    std::cout << text << "\n";
    // Greedy decoding is deterministic: this is, byte for byte, what llama2.c's run.c prints for this prompt.
    std::ifstream golden(shared / "golden" / "llm" / "aidreams260K.i-dreamed-of-n120.txt", std::ios::binary);
    const std::string want{std::istreambuf_iterator<char>(golden), std::istreambuf_iterator<char>()};
    const bool same = want == text + "\n";
    std::printf("%s\n", same ? "identical to llama2.c's output" : "DIFFERS from llama2.c's output");
    return same ? 0 : 1;
}
