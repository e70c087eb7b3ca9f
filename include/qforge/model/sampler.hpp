// qforge/model/sampler.hpp: choosing the next token from logits.
//
// greedy: argmax, the lowest id winning ties (llama2.c's and the goldens' rule).
// sampler: llama.cpp's default chain order: repetition penalty -> top-k -> top-p -> min-p -> temperature ->
// a draw from the softmax with a seeded RNG. Temperature 0 means greedy (after the penalty). Buffers are
// sized at construction, so sampling never allocates.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/io/tokenizer.hpp"

namespace qforge {

inline token_id argmax(std::span<const float> logits) {
    require(!logits.empty(), errc::invalid_argument, "argmax: empty logits");
    std::size_t best = 0;
    for (std::size_t i = 1; i < logits.size(); ++i)
        if (logits[i] > logits[best]) best = i; // strict: the first (lowest) id keeps a tie
    return static_cast<token_id>(best);
}

struct greedy {
    token_id operator()(std::span<const float> logits, std::span<const token_id> = {}) const { return argmax(logits); }
};

struct sampler_params {
    float temperature = 0.8f;
    std::size_t top_k = 40;       // 0 = off
    float top_p = 0.95f;          // 1 = off
    float min_p = 0.05f;          // 0 = off
    float repeat_penalty = 1.0f;  // 1 = off; > 1 discourages tokens seen in the last repeat_last_n
    std::size_t repeat_last_n = 64;
    std::uint64_t seed = 0;
};

class sampler {
public:
    sampler(sampler_params p, std::size_t vocab) : p_(p), rng_(p.seed), cand_(vocab) {
        require(vocab > 0, errc::invalid_argument, "sampler: empty vocabulary");
        require(std::isfinite(p.temperature) && p.temperature >= 0.0f, errc::invalid_argument, "sampler: temperature must be >= 0");
        require(p.top_p > 0.0f && p.top_p <= 1.0f, errc::invalid_argument, "sampler: top_p must be in (0, 1]");
        require(p.min_p >= 0.0f && p.min_p <= 1.0f, errc::invalid_argument, "sampler: min_p must be in [0, 1]");
        require(std::isfinite(p.repeat_penalty) && p.repeat_penalty > 0.0f, errc::invalid_argument,
                "sampler: repeat_penalty must be > 0");
    }

    const sampler_params& params() const noexcept { return p_; }

    // `logits` is modified (penalties); `history` is the tokens so far (prompt included).
    token_id operator()(std::span<float> logits, std::span<const token_id> history = {}) {
        if (logits.size() != cand_.size())
            throw error(errc::shape, "sampler: " + std::to_string(logits.size()) + " logits for a vocabulary of " +
                                         std::to_string(cand_.size()));
        penalize(logits, history);
        if (p_.temperature == 0.0f) return argmax(logits);

        // Candidates sorted by logit (descending, lower id first on ties).
        for (std::size_t i = 0; i < cand_.size(); ++i) cand_[i] = {static_cast<token_id>(i), logits[i], 0.0f};
        std::size_t n = cand_.size();
        const std::size_t k = p_.top_k == 0 ? n : std::min(p_.top_k, n);
        auto by_logit = [](const cand& a, const cand& b) { return a.logit > b.logit || (a.logit == b.logit && a.id < b.id); };
        std::partial_sort(cand_.begin(), cand_.begin() + static_cast<std::ptrdiff_t>(k), cand_.end(), by_logit);
        n = k;
        softmax_candidates(n, 1.0f);
        if (p_.top_p < 1.0f) { // smallest prefix whose mass reaches top_p
            double cum = 0.0;
            std::size_t keep = n;
            for (std::size_t i = 0; i < n; ++i) {
                cum += cand_[i].p;
                if (cum >= p_.top_p) {
                    keep = i + 1;
                    break;
                }
            }
            n = keep;
        }
        if (p_.min_p > 0.0f) { // keep tokens with p >= min_p * p_max
            const float bar = p_.min_p * cand_[0].p;
            std::size_t keep = 1;
            while (keep < n && cand_[keep].p >= bar) ++keep;
            n = keep;
        }
        softmax_candidates(n, p_.temperature);
        // Inverse CDF of one uniform draw in [0, 1) (53 random bits: the same on every platform).
        const double u = static_cast<double>(rng_() >> 11) * 0x1p-53;
        double cum = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            cum += cand_[i].p;
            if (u < cum) return cand_[i].id;
        }
        return cand_[n - 1].id;
    }

private:
    struct cand {
        token_id id;
        float logit;
        float p;
    };

    void penalize(std::span<float> logits, std::span<const token_id> history) const {
        if (p_.repeat_penalty == 1.0f || p_.repeat_last_n == 0) return;
        const std::size_t from = history.size() > p_.repeat_last_n ? history.size() - p_.repeat_last_n : 0;
        // Each distinct token is penalized once (a token repeated in the window is not penalized twice).
        for (std::size_t i = from; i < history.size(); ++i) {
            const token_id t = history[i];
            if (t < 0 || static_cast<std::size_t>(t) >= logits.size()) continue;
            bool seen = false;
            for (std::size_t j = from; j < i && !seen; ++j) seen = history[j] == t;
            if (seen) continue;
            float& l = logits[static_cast<std::size_t>(t)];
            l = l > 0.0f ? l / p_.repeat_penalty : l * p_.repeat_penalty;
        }
    }

    // p_i = softmax(logit_i / temperature) over the first n candidates (sorted, so the first is the max).
    void softmax_candidates(std::size_t n, float temperature) {
        const float mx = cand_[0].logit;
        double sum = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            cand_[i].p = std::exp((cand_[i].logit - mx) / temperature);
            sum += cand_[i].p;
        }
        for (std::size_t i = 0; i < n; ++i) cand_[i].p = static_cast<float>(cand_[i].p / sum);
    }

    sampler_params p_;
    std::mt19937_64 rng_;
    std::vector<cand> cand_;
};

} // namespace qforge
