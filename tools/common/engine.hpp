// tools/common/engine.hpp: a GGUF model loaded into the runtime-dispatched engine, for the tools that run
// models (bench, eval): the mapped file, its tokenizer and the engine on the threaded cpu_auto backend, plus
// the measurements they share (greedy argmax, peak RSS, pp/tg timing).
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "qforge/backend.hpp"
#include "qforge/io/gguf.hpp"
#include "qforge/io/tokenizer.hpp"
#include "qforge/model/gguf_model.hpp"
#include "qforge/model/llama.hpp"

namespace qforge::tools {

using engine_backend = threads<0, cpu_auto>;
using engine_type = runtime_llama<engine_backend>;

struct loaded_model {
    std::string path;
    gguf::file file;
    spm_tokenizer tokenizer;
    engine_type engine;
    std::uint64_t file_bytes = 0;

    std::uint64_t params() const {
        std::uint64_t n = 0;
        for (const auto& t : file.tensors()) n += t.n_elements;
        return n;
    }
    std::uint64_t tensor_bytes() const {
        std::uint64_t n = 0;
        for (const auto& t : file.tensors()) n += t.n_bytes;
        return n;
    }
    std::string name() const {
        if (const auto n = file.find<std::string_view>("general.name")) return std::string(*n);
        return std::filesystem::path(path).stem().string();
    }
    // The most common type of the 2-D weights, e.g. "Q4_0" ("F32" when all are f32).
    std::string main_type() const {
        std::vector<std::pair<std::string, std::uint64_t>> bytes;
        for (const auto& t : file.tensors()) {
            if (t.n_dims < 2) continue;
            const std::string n(t.type_name());
            auto it = std::find_if(bytes.begin(), bytes.end(), [&](const auto& p) { return p.first == n; });
            if (it == bytes.end()) bytes.emplace_back(n, t.n_elements);
            else it->second += t.n_elements;
        }
        if (bytes.empty()) return "-";
        return std::max_element(bytes.begin(), bytes.end(), [](const auto& a, const auto& b) { return a.second < b.second; })->first;
    }
};

// Loads `path` with `threads` worker threads (0 = all cores) and a KV cache of `n_ctx` positions (0 = the
// model's context length).
// interleave = false keeps every tensor in the file's layout (load_options::interleave).
inline std::unique_ptr<loaded_model> load_model(const std::string& path, std::size_t threads, std::size_t n_ctx,
                                                bool interleave = true) {
    auto file = gguf::open(path);
    auto tok = spm_tokenizer::from_gguf(file);
    const engine_backend be(threads ? threads : engine_backend::default_count());
    auto eng = engine_type::load(weights_from(file), {.n_ctx = n_ctx, .max_batch = 64, .interleave = interleave}, be);
    const auto bytes = std::filesystem::file_size(path);
    return std::unique_ptr<loaded_model>(new loaded_model{path, std::move(file), std::move(tok), std::move(eng), bytes});
}

// Greedy choice: the first index of the largest logit.
inline token_id argmax(std::span<const float> logits) {
    return static_cast<token_id>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// Peak resident set size of this process so far, in bytes.
inline std::uint64_t peak_rss_bytes() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<std::uint64_t>(u.ru_maxrss) * 1024u; // Linux reports KiB
}

// Deterministic prompt tokens (a fixed LCG over the non-special ids), so runs compare.
inline std::vector<token_id> bench_tokens(std::size_t n, std::size_t vocab) {
    std::vector<token_id> t(n);
    std::uint64_t s = 12345;
    const std::uint64_t span = vocab > 3 ? vocab - 3 : 1;
    for (auto& x : t) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x = static_cast<token_id>(3 + (s >> 33) % span);
    }
    return t;
}

// Prompt processing: `n` tokens in one forward pass from an empty cache; tokens/s.
inline double time_pp(engine_type& eng, std::size_t n) {
    const auto toks = bench_tokens(n, eng.params().vocab);
    const auto t0 = std::chrono::steady_clock::now();
    eng.forward(toks, 0);
    return static_cast<double>(n) / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Text generation: `n` single-token passes from an empty cache, each feeding back the argmax; tokens/s.
inline double time_tg(engine_type& eng, std::size_t n, token_id first) {
    token_id t = first;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) t = argmax(eng.forward({&t, 1}, i));
    return static_cast<double>(n) / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace qforge::tools
