// qforge-bench: llama-bench-like throughput table: prompt processing (pp) and text generation (tg) tokens/s,
// mean ± standard deviation over repetitions, per model and thread count; Markdown or JSON; peak RSS.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/engine.hpp"

namespace {

using namespace qforge;
using tools::usage_error;

constexpr const char* usage = R"(usage: qforge-bench -m MODEL.gguf[,MODEL2.gguf...] [-p 128] [-n 128] [-t 1,2] [-r 5] [-o md|json]

Measures the runtime-dispatched engine (cpu_auto backend) like llama-bench:
  pp<N>  one forward pass over N prompt tokens on an empty KV cache (batched, gemm)
  tg<N>  N single-token passes from an empty cache, each feeding back the argmax (gemv)
Each test runs once to warm up, then -r times; the table shows tokens/s as mean ± stddev.

  -m, --model LIST     GGUF models (comma-separated)
  -p, --n-prompt LIST  prompt lengths (default 128; 0 skips pp)
  -n, --n-gen LIST     generation lengths (default 128; 0 skips tg)
  -t, --threads LIST   thread counts (default: all cores)
  -r, --repetitions N  timed runs per test (default 5)
  -o, --output FMT     md (default) or json
  --no-warmup          skip the warm-up run
  --no-interleave      keep q4_k/q6_k matrices in the file's layout (by default they are re-laid 8 rows
                       interleaved at load on AVX-512 VNNI, as llama.cpp repacks its weights)

Columns: size = tensor bytes, params = number of weights, peak RSS = the process's maximum resident set
so far (measure one model per run for a per-model figure).
)";

std::vector<std::size_t> numbers(const std::string& list, const char* what) {
    std::vector<std::size_t> v;
    for (const auto& s : tools::split_list(list)) v.push_back(tools::args::parse_number<std::size_t>(s, what));
    if (v.empty()) throw usage_error(std::string(what) + " is empty");
    return v;
}

struct result {
    std::string model, type, backend, test;
    std::uint64_t size = 0, params = 0, rss = 0;
    std::size_t threads = 0, n_prompt = 0, n_gen = 0;
    std::vector<double> samples;
    double mean() const {
        double s = 0;
        for (double x : samples) s += x;
        return s / static_cast<double>(samples.size());
    }
    double stddev() const {
        if (samples.size() < 2) return 0;
        const double m = mean();
        double s = 0;
        for (double x : samples) s += (x - m) * (x - m);
        return std::sqrt(s / static_cast<double>(samples.size() - 1));
    }
};

std::string json_string(const std::string& s) {
    std::string o = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        o += c;
    }
    return o + "\"";
}

int run(int argc, char** argv) {
    tools::args a(argc, argv);
    if (a.flag("--help") || a.flag("-h")) {
        std::cout << usage;
        return 0;
    }
    const auto models = tools::split_list(a.value("--model", "-m").value_or(""));
    const auto pps = numbers(a.value("--n-prompt", "-p").value_or("128"), "-p");
    const auto tgs = numbers(a.value("--n-gen", "-n").value_or("128"), "-n");
    const auto threads = numbers(a.value("--threads", "-t").value_or(std::to_string(tools::engine_backend::default_count())), "-t");
    const std::size_t reps = a.number<std::size_t>("--repetitions", "-r").value_or(5);
    const std::string fmt = a.value("--output", "-o").value_or("md");
    const bool warmup = !a.flag("--no-warmup");
    const bool interleave = !a.flag("--no-interleave");
    const auto rest = a.positionals();
    if (!rest.empty()) throw usage_error("unexpected argument '" + rest[0] + "'");
    if (models.empty()) throw usage_error("-m MODEL.gguf is required");
    if (reps == 0) throw usage_error("-r must be at least 1");
    if (fmt != "md" && fmt != "json") throw usage_error("-o must be md or json, not '" + fmt + "'");
    for (const auto t : threads)
        if (t == 0 || t > 256) throw usage_error("-t: thread counts must be in [1, 256]");

    const std::string backend = "cpu_auto/" + std::string(to_string(cpu_auto_level()));
    std::vector<result> results;
    if (fmt == "md") {
        std::printf("| model | type | size | params | backend | threads | test | t/s | peak RSS |\n");
        std::printf("|---|---|---|---|---|---|---|---|---|\n");
        std::fflush(stdout);
    }
    for (const auto& path : models) {
        for (const auto nt : threads) {
            std::size_t ctx = 1;
            for (const auto p : pps) ctx = std::max(ctx, p);
            for (const auto n : tgs) ctx = std::max(ctx, n);
            auto m = tools::load_model(path, nt, 0, interleave);
            if (ctx > m->engine.n_ctx())
                throw error(errc::invalid_argument, "a test needs " + std::to_string(ctx) + " positions, the model's context is " +
                                                        std::to_string(m->engine.n_ctx()), {path, {}, {}});
            const auto add = [&](const std::string& test, std::size_t np, std::size_t ng, auto&& once) {
                result r{m->name(), m->main_type(), backend, test, m->tensor_bytes(), m->params(), 0, nt, np, ng, {}};
                if (warmup) once();
                tools::progress prog("qforge-bench: " + test, reps);
                for (std::size_t i = 0; i < reps; ++i) {
                    r.samples.push_back(once());
                    prog.step(i + 1);
                }
                r.rss = tools::peak_rss_bytes();
                if (fmt == "md") {
                    std::printf("| %s | %s | %s | %.2f M | %s | %zu | %s | %.2f ± %.2f | %s |\n", r.model.c_str(), r.type.c_str(),
                                tools::human_bytes(r.size).c_str(), static_cast<double>(r.params) / 1e6, r.backend.c_str(),
                                r.threads, r.test.c_str(), r.mean(), r.stddev(), tools::human_bytes(r.rss).c_str());
                    std::fflush(stdout);
                }
                results.push_back(std::move(r));
            };
            for (const auto p : pps)
                if (p) add("pp" + std::to_string(p), p, 0, [&] { return tools::time_pp(m->engine, p); });
            for (const auto n : tgs)
                if (n) add("tg" + std::to_string(n), 0, n, [&] { return tools::time_tg(m->engine, n, m->tokenizer.bos()); });
        }
    }
    if (fmt == "json") {
        std::printf("[\n");
        for (std::size_t i = 0; i < results.size(); ++i) {
            const auto& r = results[i];
            std::printf("  {\"model\": %s, \"type\": %s, \"size_bytes\": %llu, \"params\": %llu, \"backend\": %s, "
                        "\"threads\": %zu, \"test\": %s, \"n_prompt\": %zu, \"n_gen\": %zu, \"avg_ts\": %.4f, "
                        "\"stddev_ts\": %.4f, \"samples_ts\": [",
                        json_string(r.model).c_str(), json_string(r.type).c_str(), static_cast<unsigned long long>(r.size),
                        static_cast<unsigned long long>(r.params), json_string(r.backend).c_str(), r.threads,
                        json_string(r.test).c_str(), r.n_prompt, r.n_gen, r.mean(), r.stddev());
            for (std::size_t k = 0; k < r.samples.size(); ++k) std::printf("%s%.4f", k ? ", " : "", r.samples[k]);
            std::printf("], \"peak_rss_bytes\": %llu}%s\n", static_cast<unsigned long long>(r.rss),
                        i + 1 < results.size() ? "," : "");
        }
        std::printf("]\n");
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qforge::tools::run_tool("qforge-bench", [&] { return run(argc, argv); });
}
