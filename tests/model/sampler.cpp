// Samplers against known distributions: frequencies of many seeded draws match the analytic probabilities
// after temperature, top-k, top-p and min-p; greedy tie-breaking; repetition penalty; determinism by seed.
#include <qforge/model/sampler.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace qforge;

namespace {

// Frequencies of `draws` samples from logits = log(p).
std::vector<double> frequencies(sampler_params sp, std::vector<float> p, int draws = 200000) {
    sampler s(sp, p.size());
    std::vector<double> f(p.size(), 0.0);
    std::vector<float> logits(p.size());
    for (int i = 0; i < draws; ++i) {
        for (std::size_t j = 0; j < p.size(); ++j) logits[j] = std::log(p[j]);
        f[static_cast<std::size_t>(s(logits))] += 1.0 / draws;
    }
    return f;
}

void expect_dist(const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 0.006) << "token " << i;
}

sampler_params plain(float temp) { return {.temperature = temp, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f}; }

} // namespace

TEST(sampler, greedy_lowest_id_wins_ties) {
    const std::vector<float> l{0.5f, 2.0f, 2.0f, -1.0f};
    EXPECT_EQ(greedy{}(l), 1);
    EXPECT_EQ(argmax(std::vector<float>{3.0f}), 0);
    std::vector<float> m = l;
    sampler s(plain(0.0f), 4);
    EXPECT_EQ(s(m), 1);
}

TEST(sampler, temperature_one_reproduces_the_distribution) {
    expect_dist(frequencies(plain(1.0f), {0.5f, 0.3f, 0.2f}), {0.5, 0.3, 0.2});
}

TEST(sampler, temperature_sharpens_and_flattens) {
    // p^(1/T) renormalized: T = 0.5 squares, T = 2 takes square roots.
    expect_dist(frequencies(plain(0.5f), {0.5f, 0.3f, 0.2f}), {0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38});
    const double a = std::sqrt(0.5), b = std::sqrt(0.3), c = std::sqrt(0.2);
    expect_dist(frequencies(plain(2.0f), {0.5f, 0.3f, 0.2f}), {a / (a + b + c), b / (a + b + c), c / (a + b + c)});
}

TEST(sampler, top_k_top_p_min_p_truncate) {
    auto sp = plain(1.0f);
    sp.top_k = 2;
    expect_dist(frequencies(sp, {0.2f, 0.5f, 0.3f}), {0.0, 0.625, 0.375});
    sp = plain(1.0f);
    sp.top_k = 1;
    expect_dist(frequencies(sp, {0.2f, 0.5f, 0.3f}, 2000), {0.0, 1.0, 0.0});
    sp = plain(1.0f);
    sp.top_p = 0.6f; // 0.5 < 0.6 <= 0.5 + 0.3: the two most likely remain
    expect_dist(frequencies(sp, {0.5f, 0.3f, 0.2f}), {0.625, 0.375, 0.0});
    sp.top_p = 0.5f; // the first token alone reaches 0.5
    expect_dist(frequencies(sp, {0.5f, 0.3f, 0.2f}, 2000), {1.0, 0.0, 0.0});
    sp = plain(1.0f);
    sp.min_p = 0.5f; // keep p >= 0.25
    expect_dist(frequencies(sp, {0.5f, 0.3f, 0.2f}), {0.625, 0.375, 0.0});
    sp.min_p = 0.7f; // keep p >= 0.35
    expect_dist(frequencies(sp, {0.5f, 0.3f, 0.2f}, 2000), {1.0, 0.0, 0.0});
}

TEST(sampler, repetition_penalty_divides_positive_and_multiplies_negative_logits) {
    auto sp = plain(0.0f);
    sp.repeat_penalty = 2.0f;
    sampler s(sp, 3);
    std::vector<float> l{2.0f, 1.5f, -1.0f};
    const std::vector<token_id> hist{0, 2, 0};
    EXPECT_EQ(s(l, hist), 1);
    EXPECT_EQ(l, (std::vector<float>{1.0f, 1.5f, -2.0f})); // token 0 penalized once although seen twice
    sp.repeat_last_n = 1; // only the last token (0) counts
    sampler s1(sp, 3);
    std::vector<float> l1{2.0f, 1.5f, -1.0f};
    s1(l1, hist);
    EXPECT_EQ(l1, (std::vector<float>{1.0f, 1.5f, -1.0f}));
}

TEST(sampler, seeded_and_deterministic) {
    auto sp = plain(1.0f);
    sp.seed = 42;
    auto draw = [](sampler_params p) {
        sampler s(p, 8);
        std::vector<token_id> v;
        std::vector<float> l(8, 0.0f);
        for (int i = 0; i < 64; ++i) v.push_back(s(l));
        return v;
    };
    EXPECT_EQ(draw(sp), draw(sp));
    auto other = sp;
    other.seed = 43;
    EXPECT_NE(draw(sp), draw(other));
}

TEST(sampler, invalid_parameters_are_errors) {
    EXPECT_THROW(sampler(plain(-1.0f), 3), error);
    EXPECT_THROW(sampler(plain(1.0f), 0), error);
    auto sp = plain(1.0f);
    sp.top_p = 0.0f;
    EXPECT_THROW(sampler(sp, 3), error);
    sp = plain(1.0f);
    sp.repeat_penalty = 0.0f;
    EXPECT_THROW(sampler(sp, 3), error);
    sampler s(plain(1.0f), 3);
    std::vector<float> l(4);
    EXPECT_THROW(s(l), error);
}
