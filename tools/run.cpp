// qforge-run: generate text with a Llama GGUF model (any supported tensor formats, chosen at load).
#include <qforge/backend.hpp>
#include <qforge/io/gguf.hpp>
#include <qforge/model/gguf_model.hpp>
#include <qforge/model/llama.hpp>
#include <qforge/model/sampler.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

namespace {

constexpr const char* usage = R"(usage: qforge-run -m MODEL.gguf [options]

Generates text with a Llama-architecture GGUF model, streaming it to stdout; prompt processing (pp) and
generation (tg) speeds go to stderr.

options:
  -m, --model FILE        the GGUF model (required)
  -p, --prompt TEXT       the prompt; "" (the default) means BOS only
  -n, --n-predict N       tokens to generate (default 128); stops early when the context is full
  --temp T                temperature (default 0.8); 0 is greedy (argmax, lowest id on ties)
  --top-k K               keep the K most likely tokens (default 40; 0 = off)
  --top-p P               keep the smallest set with probability mass >= P (default 0.95; 1 = off)
  --min-p P               keep tokens with p >= P * p_max (default 0.05; 0 = off)
  --repeat-penalty R      penalty for tokens of the last 64 (default 1.0 = off)
  --seed S                RNG seed (default 0)
  -t, --threads N         threads (default: all cores)
  -c, --ctx-size N        context (KV cache) length (default: the model's)
  --ignore-eos            do not stop at the end-of-sequence token
  --ids                   print the generated token ids (whitespace-separated) instead of text
  -h, --help              this text
)";

struct options {
    std::string model, prompt;
    std::size_t n = 128, threads = 0, ctx = 0;
    qforge::sampler_params sp{};
    bool ids = false, ignore_eos = false;
};

template <class T>
T parse_number(const std::string& opt, const std::string& v) {
    std::size_t used = 0;
    T x{};
    try {
        if constexpr (std::is_floating_point_v<T>) x = static_cast<T>(std::stod(v, &used));
        else {
            if (!v.empty() && v[0] == '-') throw std::invalid_argument("negative");
            x = static_cast<T>(std::stoull(v, &used));
        }
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != v.size() || v.empty()) throw std::invalid_argument(opt + ": '" + v + "' is not a valid number");
    return x;
}

options parse(int argc, char** argv) {
    options o;
    o.sp.seed = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "-h" || a == "--help") {
            std::cout << usage;
            std::exit(0);
        } else if (a == "-m" || a == "--model") o.model = value();
        else if (a == "-p" || a == "--prompt") o.prompt = value();
        else if (a == "-n" || a == "--n-predict") o.n = parse_number<std::size_t>(a, value());
        else if (a == "--temp") o.sp.temperature = parse_number<float>(a, value());
        else if (a == "--top-k") o.sp.top_k = parse_number<std::size_t>(a, value());
        else if (a == "--top-p") o.sp.top_p = parse_number<float>(a, value());
        else if (a == "--min-p") o.sp.min_p = parse_number<float>(a, value());
        else if (a == "--repeat-penalty") o.sp.repeat_penalty = parse_number<float>(a, value());
        else if (a == "--seed") o.sp.seed = parse_number<std::uint64_t>(a, value());
        else if (a == "-t" || a == "--threads") o.threads = parse_number<std::size_t>(a, value());
        else if (a == "-c" || a == "--ctx-size") o.ctx = parse_number<std::size_t>(a, value());
        else if (a == "--ids") o.ids = true;
        else if (a == "--ignore-eos") o.ignore_eos = true;
        else throw std::invalid_argument("unknown argument " + a);
    }
    if (o.model.empty()) throw std::invalid_argument("-m MODEL.gguf is required");
    if (o.threads > 256) throw std::invalid_argument("-t: at most 256 threads");
    return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
    options o;
    try {
        o = parse(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "qforge-run: " << e.what() << "\n\n" << usage;
        return 2;
    }
    try {
        using backend = qforge::threads<0, qforge::cpu_auto>;
        const backend be(o.threads ? o.threads : backend::default_count());
        const auto file = qforge::gguf::open(o.model);
        const auto tok = qforge::spm_tokenizer::from_gguf(file);
        auto eng = qforge::runtime_llama<backend>::load(qforge::weights_from(file), {.n_ctx = o.ctx, .max_batch = 64}, be);
        if (tok.size() != eng.params().vocab)
            throw qforge::error(qforge::errc::shape, "the tokenizer has " + std::to_string(tok.size()) +
                                                         " tokens, the model " + std::to_string(eng.params().vocab));
        qforge::sampler sample(o.sp, eng.params().vocab);
        std::vector<qforge::token_id> seq = tok.encode(o.prompt, tok.add_bos());
        if (seq.empty()) seq.push_back(tok.bos()); // generation needs at least one token
        if (seq.size() >= eng.n_ctx())
            throw qforge::error(qforge::errc::invalid_argument, "the prompt (" + std::to_string(seq.size()) +
                                                                    " tokens) does not fit the context of " + std::to_string(eng.n_ctx()));
        seq.reserve(eng.n_ctx());
        if (!o.ids) std::cout << tok.decode(seq) << std::flush;

        auto t0 = std::chrono::steady_clock::now();
        auto logits = eng.forward(seq, 0);
        const double pp_s = seconds_since(t0);
        const std::size_t n_prompt = seq.size();
        t0 = std::chrono::steady_clock::now();
        std::size_t generated = 0, fed = 0;
        std::vector<float> work(logits.size());
        while (generated < o.n) {
            std::copy(logits.begin(), logits.end(), work.begin());
            const qforge::token_id t = sample(work, seq);
            ++generated;
            if (o.ids) std::cout << (generated > 1 ? " " : "") << t;
            else std::cout << tok.decode(seq.back(), t);
            std::cout << std::flush;
            if (!o.ignore_eos && t == tok.eos()) break;
            if (generated == o.n || seq.size() >= eng.n_ctx()) break;
            seq.push_back(t);
            logits = eng.forward({&seq.back(), 1}, seq.size() - 1);
            ++fed;
        }
        const double tg_s = seconds_since(t0);
        std::cout << "\n";
        std::fprintf(stderr, "\nqforge-run: %zu threads (%s), context %zu\n", be.count(), "cpu_auto", eng.n_ctx());
        std::fprintf(stderr, "prompt:     %zu tokens in %.3f s = %.1f tokens/s (pp)\n", n_prompt, pp_s, n_prompt / pp_s);
        std::fprintf(stderr, "generation: %zu tokens in %.3f s = %.1f tokens/s (tg)\n", generated, tg_s,
                     fed ? static_cast<double>(fed) / tg_s : 0.0);
    } catch (const std::exception& e) {
        std::cout << std::flush;
        std::cerr << "\nqforge-run: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
