// tests/model/golden_case.hpp: reading ../shared/golden/llm cases (ids and first-step logits).
#pragma once

#include <qforge/io/tokenizer.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/golden.hpp"

namespace qforge_test {

struct golden_case {
    std::vector<qforge::token_id> prompt, gen;
    std::vector<float> logits;
};

inline std::vector<qforge::token_id> parse_ids(const std::string& line, const std::string& tag) {
    EXPECT_EQ(line.rfind(tag, 0), 0u) << line;
    std::istringstream is(line.substr(std::min(tag.size(), line.size())));
    std::vector<qforge::token_id> v;
    for (qforge::token_id t; is >> t;) v.push_back(t);
    return v;
}

// `c` is e.g. "the-n120": the generated count is its suffix, checked against the file.
inline golden_case read_case(const std::string& model, const std::string& c) {
    golden_case g;
    std::ifstream f(golden_llm_dir() / (model + "." + c + ".ids"));
    std::string a, b;
    std::getline(f, a);
    std::getline(f, b);
    g.prompt = parse_ids(a, "prompt: ");
    g.gen = parse_ids(b, "gen: ");
    g.logits = read_f32(golden_llm_dir() / (model + "." + c + ".logits.f32"));
    EXPECT_EQ(g.gen.size(), std::stoul(c.substr(c.rfind("-n") + 2)));
    EXPECT_EQ(g.logits.size(), 512u);
    EXPECT_FALSE(g.prompt.empty());
    return g;
}

inline float max_abs_diff(std::span<const float> a, std::span<const float> b) {
    EXPECT_EQ(a.size(), b.size());
    float m = 0.0f;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

// Index of the first difference, or a.size() when equal.
inline std::size_t first_difference(const std::vector<qforge::token_id>& a, const std::vector<qforge::token_id>& b) {
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    return i;
}

} // namespace qforge_test
