// qforge-eval: how good a (quantized) model is: perplexity over a text, and against a base model (the F32
// original) the mean KL divergence, top-1 agreement and the field's quality gates.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/engine.hpp"

namespace {

using namespace qforge;
using tools::usage_error;

constexpr const char* usage = R"(usage: qforge-eval -m MODEL.gguf (-f TEXT | --greedy-steps N) [--base BASE.gguf] [options]

Text mode (-f): perplexity of MODEL over the text. The text is tokenized with the model's tokenizer and
cut into windows of --ctx tokens (BOS + ctx-1 text tokens, non-overlapping, the last one shorter); every
token of a window is predicted from the tokens before it in that window. PPL = exp(mean negative
log-likelihood) over all predictions.

Greedy mode (--greedy-steps N, needs --base): from BOS, the base model decodes N tokens greedily; both
models are fed that same sequence and their next-token distributions compared at every step (the
issue's quality judgement: does the quantized model pick what the original picks?).

With --base (the reference, normally the F32 file) at every predicted position:
  KL       KL(P_base || P_model) in nats, averaged over positions
  top-1    fraction of positions where both models' argmax agree
and then the quality gates, each printed as PASS or FAIL:
  accuracy  top-1 agreement >= 0.95, or (text mode) PPL(model) / PPL(base) <= 1.05
  memory    file bytes of MODEL <= 50% of BASE's
  speed     tg tokens/s of MODEL >= 2x BASE's, both measured in this run (--speed-tokens single-token
            passes from an empty cache, after one warm-up, best of 3)

  -m, --model FILE        the model to judge
  --base FILE             the reference model (same vocabulary)
  -f, --file TEXT         text file for perplexity
  --greedy-steps N        greedy mode with N steps
  -c, --ctx N             window length (default min(512, the model's context))
  --max-tokens N          use at most N text tokens (default: all)
  --speed-tokens N        tokens per speed run (default 32; 0 skips the speed gate)
  -t, --threads N         threads (default: all cores)
  --strict                exit with status 3 when a gate fails
)";

// log p_i of one logits vector, in double.
void log_softmax(std::span<const float> logits, std::vector<double>& out) {
    out.resize(logits.size());
    double mx = -INFINITY;
    for (const float v : logits) mx = std::max(mx, static_cast<double>(v));
    double s = 0;
    for (const float v : logits) s += std::exp(static_cast<double>(v) - mx);
    const double lse = mx + std::log(s);
    for (std::size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<double>(logits[i]) - lse;
}

double kl(const std::vector<double>& lp_base, const std::vector<double>& lp_model) {
    double k = 0;
    for (std::size_t i = 0; i < lp_base.size(); ++i) {
        const double p = std::exp(lp_base[i]);
        if (p > 0) k += p * (lp_base[i] - lp_model[i]);
    }
    return std::max(0.0, k);
}

double best_tg(tools::loaded_model& m, std::size_t n) {
    tools::time_tg(m.engine, std::min<std::size_t>(n, 4), m.tokenizer.bos()); // warm-up
    double best = 0;
    for (int i = 0; i < 3; ++i) best = std::max(best, tools::time_tg(m.engine, n, m.tokenizer.bos()));
    return best;
}

int run(int argc, char** argv) {
    tools::args a(argc, argv);
    if (a.flag("--help") || a.flag("-h")) {
        std::cout << usage;
        return 0;
    }
    const auto model_path = a.value("--model", "-m");
    const auto base_path = a.value("--base");
    const auto text_path = a.value("--file", "-f");
    const auto greedy = a.number<std::size_t>("--greedy-steps");
    const auto ctx_opt = a.number<std::size_t>("--ctx", "-c");
    const auto max_tokens = a.number<std::size_t>("--max-tokens");
    const std::size_t speed_tokens = a.number<std::size_t>("--speed-tokens").value_or(32);
    const std::size_t threads = a.number<std::size_t>("--threads", "-t").value_or(0);
    const bool strict = a.flag("--strict");
    const auto rest = a.positionals();
    if (!rest.empty()) throw usage_error("unexpected argument '" + rest[0] + "'");
    if (!model_path) throw usage_error("-m MODEL.gguf is required");
    if (!text_path && !greedy) throw usage_error("give -f TEXT (perplexity) or --greedy-steps N");
    if (text_path && greedy) throw usage_error("-f and --greedy-steps are different modes; give one");
    if (greedy && !base_path) throw usage_error("--greedy-steps needs --base");
    if (greedy && *greedy == 0) throw usage_error("--greedy-steps must be at least 1");
    if (ctx_opt && *ctx_opt < 2) throw usage_error("--ctx must be at least 2");
    if (threads > 256) throw usage_error("-t: at most 256 threads");

    // Peek at the context lengths to size the KV caches once.
    std::size_t ctx = 0;
    {
        const auto f = gguf::open(*model_path);
        std::size_t model_ctx = params_from(f).seq_len;
        if (base_path) model_ctx = std::min(model_ctx, params_from(gguf::open(*base_path)).seq_len);
        if (greedy) {
            if (*greedy + 1 > model_ctx)
                throw usage_error("--greedy-steps " + std::to_string(*greedy) + " needs " + std::to_string(*greedy + 1) +
                                  " positions; the context is " + std::to_string(model_ctx));
            ctx = *greedy + 1;
        } else {
            ctx = ctx_opt.value_or(std::min<std::size_t>(512, model_ctx));
            if (ctx > model_ctx)
                throw usage_error("--ctx " + std::to_string(ctx) + " exceeds the context " + std::to_string(model_ctx));
        }
    }
    const std::size_t kv_ctx = std::max(ctx, speed_tokens);
    auto model = tools::load_model(*model_path, threads, 0);
    std::unique_ptr<tools::loaded_model> base;
    if (base_path) {
        base = tools::load_model(*base_path, threads, 0);
        if (base->engine.params().vocab != model->engine.params().vocab)
            throw error(errc::shape, "the base model has " + std::to_string(base->engine.params().vocab) +
                                         " tokens, the model " + std::to_string(model->engine.params().vocab));
    }
    if (kv_ctx > model->engine.n_ctx() || (base && kv_ctx > base->engine.n_ctx()))
        throw usage_error("--speed-tokens exceeds the context");

    // The sequences to score: each starts with BOS; position i predicts token i+1.
    std::vector<std::vector<token_id>> windows;
    if (greedy) {
        std::vector<token_id> seq{base->tokenizer.bos()};
        for (std::size_t i = 0; i < *greedy; ++i) seq.push_back(tools::argmax(base->engine.forward({&seq.back(), 1}, i)));
        windows.push_back(std::move(seq));
    } else {
        std::ifstream in(*text_path, std::ios::binary);
        if (!in) throw error(errc::io, "cannot open text file", {*text_path, {}, {}});
        const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        std::vector<token_id> toks = model->tokenizer.encode(text, false);
        if (max_tokens && toks.size() > *max_tokens) toks.resize(*max_tokens);
        if (toks.empty()) throw error(errc::invalid_argument, "the text has no tokens", {*text_path, {}, {}});
        for (std::size_t i = 0; i < toks.size(); i += ctx - 1) {
            std::vector<token_id> w{model->tokenizer.bos()};
            w.insert(w.end(), toks.begin() + static_cast<std::ptrdiff_t>(i),
                     toks.begin() + static_cast<std::ptrdiff_t>(std::min(toks.size(), i + ctx - 1)));
            windows.push_back(std::move(w));
        }
    }

    std::size_t total = 0;
    for (const auto& w : windows) total += w.size() - 1;
    double nll = 0, nll_base = 0, kl_sum = 0, kl_max = 0;
    std::size_t agree = 0, done = 0;
    std::vector<double> lp, lpb;
    tools::progress prog("qforge-eval", total);
    for (const auto& w : windows) {
        for (std::size_t i = 0; i + 1 < w.size(); ++i) {
            const auto logits = model->engine.forward({&w[i], 1}, i);
            log_softmax(logits, lp);
            nll -= lp[static_cast<std::size_t>(w[i + 1])];
            if (base) {
                const auto bl = base->engine.forward({&w[i], 1}, i);
                log_softmax(bl, lpb);
                nll_base -= lpb[static_cast<std::size_t>(w[i + 1])];
                const double k = kl(lpb, lp);
                kl_sum += k;
                kl_max = std::max(kl_max, k);
                if (tools::argmax(logits) == tools::argmax(bl)) ++agree;
            }
            prog.step(++done);
        }
    }
    const double n = static_cast<double>(total);
    std::printf("model: %s (%s, %s)\n", model_path->c_str(), model->main_type().c_str(), tools::human_bytes(model->file_bytes).c_str());
    if (base) std::printf("base:  %s (%s, %s)\n", base_path->c_str(), base->main_type().c_str(), tools::human_bytes(base->file_bytes).c_str());
    if (greedy) {
        std::printf("mode: greedy, %zu steps from BOS along the base model's greedy path\n", *greedy);
    } else {
        std::printf("mode: perplexity, %zu tokens in %zu windows of up to %zu\n", total, windows.size(), ctx);
        std::printf("ppl: %.4f\n", std::exp(nll / n));
        if (base) std::printf("ppl_base: %.4f\nppl_ratio: %.4f\n", std::exp(nll_base / n), std::exp((nll - nll_base) / n));
    }
    if (!base) return 0;
    const double top1 = static_cast<double>(agree) / n;
    std::printf("kl_mean: %.6f\nkl_max: %.6f\ntop1_agreement: %.4f (%zu/%zu)\n", kl_sum / n, kl_max, top1, agree, total);

    bool all = true;
    const auto gate = [&](const char* name, bool pass, const std::string& detail) {
        std::printf("%s %s: %s\n", pass ? "PASS" : "FAIL", name, detail.c_str());
        all = all && pass;
    };
    const double ratio = greedy ? INFINITY : std::exp((nll - nll_base) / n);
    gate("accuracy", top1 >= 0.95 || ratio <= 1.05,
         "top-1 agreement " + tools::fixed(top1, 4) + " (need >= 0.95)" +
             (greedy ? std::string() : " or ppl ratio " + tools::fixed(ratio, 4) + " (need <= 1.05)"));
    const double mem = static_cast<double>(model->file_bytes) / static_cast<double>(base->file_bytes);
    gate("memory", mem <= 0.5, tools::human_bytes(model->file_bytes) + " = " + tools::fixed(100 * mem, 1) + "% of " +
                                   tools::human_bytes(base->file_bytes) + " (need <= 50%)");
    if (speed_tokens) {
        const double tm = best_tg(*model, speed_tokens), tb = best_tg(*base, speed_tokens);
        gate("speed", tm >= 2 * tb, "tg " + tools::fixed(tm, 1) + " vs " + tools::fixed(tb, 1) + " tokens/s = " +
                                        tools::fixed(tm / tb, 2) + "x (need >= 2x)");
    }
    return strict && !all ? 3 : 0;
}

} // namespace

int main(int argc, char** argv) {
    return qforge::tools::run_tool("qforge-eval", [&] { return run(argc, argv); });
}
