// qforge-convert: a llama2.c checkpoint and its tokenizer to an F32 GGUF that llama.cpp (and qforge) load.
#include <qforge/io/llama2c.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char* usage = R"(usage: qforge-convert MODEL.bin TOKENIZER.bin OUT.gguf [options]

Converts a llama2.c checkpoint (model.bin) and its tokenizer (tokenizer.bin) to an F32 GGUF with
llama.cpp-compatible metadata (architecture "llama", SentencePiece vocabulary).

options:
  --name TEXT          general.name (default: the checkpoint's file name without extension)
  --description TEXT   general.description
  --pad-ff N           zero-pad the FFN width to a multiple of N (exact), e.g. 32 so that Q8_0/Q4_0 can
                       quantize ffn_down
  -h, --help           this text
)";

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> pos;
    qforge::llama2c::gguf_options o;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
                return argv[++i];
            };
            if (a == "-h" || a == "--help") {
                std::cout << usage;
                return 0;
            } else if (a == "--name") {
                o.name = value();
            } else if (a == "--description") {
                o.description = value();
            } else if (a == "--pad-ff") {
                const std::string v = value();
                std::size_t used = 0;
                const unsigned long n = std::stoul(v, &used);
                if (used != v.size() || n == 0 || n > 4096) throw std::invalid_argument("--pad-ff must be in [1, 4096]");
                o.pad_ff_to = n;
            } else if (!a.empty() && a[0] == '-') {
                throw std::invalid_argument("unknown option " + a);
            } else {
                pos.push_back(a);
            }
        }
        if (pos.size() != 3) throw std::invalid_argument("expected MODEL.bin TOKENIZER.bin OUT.gguf");
    } catch (const std::exception& e) {
        std::cerr << "qforge-convert: " << e.what() << "\n\n" << usage;
        return 2;
    }
    try {
        std::cerr << "reading " << pos[0] << "\n";
        const auto ck = qforge::llama2c::checkpoint::read(pos[0]);
        const auto voc = qforge::llama2c::read_tokenizer(pos[1], ck.cfg().vocab_size);
        if (o.name.empty()) o.name = std::filesystem::path(pos[0]).stem().string();
        const auto& h = ck.cfg();
        std::cerr << "dim " << h.dim << ", hidden " << h.hidden_dim << ", layers " << h.n_layers << ", heads " << h.n_heads
                  << " (kv " << h.n_kv_heads << "), vocab " << h.vocab_size << ", seq_len " << h.seq_len << ", classifier "
                  << (h.shared_classifier ? "tied" : "separate") << "\n";
        qforge::llama2c::to_gguf(ck, voc, o).write(pos[2]);
        std::cerr << "wrote " << pos[2] << "\n";
    } catch (const std::exception& e) {
        std::cerr << "qforge-convert: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
