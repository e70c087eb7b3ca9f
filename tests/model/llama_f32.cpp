// The F32 engine against the llama2.c / llama.cpp goldens (../shared/golden/llm): greedy ids token for token,
// first-step logits within 1e-4, for the static engine and the runtime-dispatched engine, batched prompt
// processing and token-by-token.
#include <qforge/io/llama2c.hpp>
#include <qforge/model/llama.hpp>
#include <qforge/model/sampler.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "support/golden.hpp"

using namespace qforge;
namespace fs = std::filesystem;

namespace {

struct golden_case {
    std::vector<token_id> prompt, gen;
    std::vector<float> logits;
};

std::vector<token_id> parse_ids(const std::string& line, const std::string& tag) {
    EXPECT_EQ(line.rfind(tag, 0), 0u) << line;
    std::istringstream is(line.substr(tag.size()));
    std::vector<token_id> v;
    token_id t;
    while (is >> t) v.push_back(t);
    return v;
}

golden_case read_case(const std::string& model, const std::string& c) {
    golden_case g;
    std::ifstream f(qforge_test::golden_llm_dir() / (model + "." + c + ".ids"));
    std::string a, b;
    std::getline(f, a);
    std::getline(f, b);
    g.prompt = parse_ids(a, "prompt: ");
    g.gen = parse_ids(b, "gen: ");
    g.logits = qforge_test::read_f32(qforge_test::golden_llm_dir() / (model + "." + c + ".logits.f32"));
    // The case name says how many tokens it generates ("-n120"): the files must have been read fully.
    EXPECT_EQ(g.gen.size(), std::stoul(c.substr(c.rfind("-n") + 2)));
    EXPECT_EQ(g.logits.size(), 512u);
    EXPECT_FALSE(g.prompt.empty());
    return g;
}

template <class Engine>
void check_case(Engine& eng, const golden_case& g, const std::string& what) {
    SCOPED_TRACE(what);
    // First-step logits: the whole prompt in one batch.
    const auto logits = eng.forward(g.prompt, 0);
    ASSERT_EQ(logits.size(), g.logits.size());
    float maxdiff = 0.0f;
    for (std::size_t i = 0; i < logits.size(); ++i) maxdiff = std::max(maxdiff, std::fabs(logits[i] - g.logits[i]));
    EXPECT_LT(maxdiff, 1e-4f);
    std::cout << "  " << what << ": first-step max |logit diff| " << maxdiff << "\n";
    std::vector<token_id> got;
    eng.generate(g.prompt, greedy{}, g.gen.size(), [&](token_id t) { got.push_back(t); });
    EXPECT_EQ(got, g.gen);
}

using stories_dims = llama_dims<64, 172, 5, 8, 4, 512>;
using aidreams_dims = llama_dims<64, 172, 4, 4, 4, 512>;

} // namespace

TEST(llama_f32, stories260K_static_and_runtime) {
    QFORGE_REQUIRE_SHARED();
    const auto ck = llama2c::checkpoint::read(qforge_test::models_dir() / "stories260K.bin");
    const auto src = weights_from(ck);
    auto ref = llama<stories_dims, recipe<f32>, reference>::load(src);
    auto stat = llama<stories_dims, recipe<f32>>::load(src);
    auto stat2 = llama<stories_dims, recipe<f32>, threads<2, cpu_auto>>::load(src);
    auto rt = runtime_llama<>::load(src);
    auto rt2 = runtime_llama<threads<2, cpu_auto>>::load(src);
    for (const std::string c : {"bos-n64", "bos-n256"}) {
        const auto g = read_case("stories260K", c);
        check_case(ref, g, "static reference " + c);
        check_case(stat, g, "static cpu_auto " + c);
        check_case(stat2, g, "static 2 threads " + c);
        check_case(rt, g, "runtime cpu_auto " + c);
        check_case(rt2, g, "runtime 2 threads " + c);
    }
}

TEST(llama_f32, aidreams260K_static_and_runtime) {
    QFORGE_REQUIRE_SHARED();
    const auto ck = llama2c::checkpoint::read(qforge_test::models_dir() / "aidreams260K.bin");
    const auto src = weights_from(ck);
    auto ref = llama<aidreams_dims, recipe<f32>, reference>::load(src);
    auto stat = llama<aidreams_dims, recipe<f32>>::load(src);
    auto stat2 = llama<aidreams_dims, recipe<f32>, threads<2, cpu_auto>>::load(src);
    auto rt = runtime_llama<>::load(src);
    auto rt2 = runtime_llama<threads<2, cpu_auto>>::load(src);
    for (const std::string c : {"bos-n120", "the-n120", "i-dreamed-of-n120"}) {
        const auto g = read_case("aidreams260K", c);
        check_case(ref, g, "static reference " + c);
        check_case(stat, g, "static cpu_auto " + c);
        check_case(stat2, g, "static 2 threads " + c);
        check_case(rt, g, "runtime cpu_auto " + c);
        check_case(rt2, g, "runtime 2 threads " + c);
    }
}

TEST(llama_f32, batched_prompt_equals_token_by_token) {
    QFORGE_REQUIRE_SHARED();
    const auto ck = llama2c::checkpoint::read(qforge_test::models_dir() / "aidreams260K.bin");
    const auto src = weights_from(ck);
    auto batched = llama<aidreams_dims, recipe<f32>>::load(src);
    auto single = llama<aidreams_dims, recipe<f32>>::load(src, {.n_ctx = 0, .max_batch = 1});
    auto chunked = llama<aidreams_dims, recipe<f32>>::load(src, {.n_ctx = 0, .max_batch = 3});
    const auto g = read_case("aidreams260K", "i-dreamed-of-n120");
    const auto a = std::vector<float>(batched.forward(g.prompt, 0).begin(), batched.forward(g.prompt, 0).end());
    const auto b = single.forward(g.prompt, 0);
    const auto c = chunked.forward(g.prompt, 0);
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_NEAR(a[i], b[i], 1e-5f);
        EXPECT_NEAR(a[i], c[i], 1e-5f);
    }
    std::vector<token_id> got;
    single.generate(g.prompt, greedy{}, g.gen.size(), [&](token_id t) { got.push_back(t); });
    EXPECT_EQ(got, g.gen);
}

TEST(llama_f32, reduced_precision_kv_caches_stay_close) {
    QFORGE_REQUIRE_SHARED();
    const auto ck = llama2c::checkpoint::read(qforge_test::models_dir() / "aidreams260K.bin");
    const auto src = weights_from(ck);
    auto f16kv = llama<aidreams_dims, recipe<f32>, reference, kv_f16>::load(src);
    auto q8kv = runtime_llama<reference, kv_q8_0>::load(src);
    const auto g = read_case("aidreams260K", "the-n120");
    // Golden logits are for an f32 cache; the first step sees its own position only through the cache too.
    const auto a = f16kv.forward(g.prompt, 0);
    float d16 = 0.0f;
    for (std::size_t i = 0; i < a.size(); ++i) d16 = std::max(d16, std::fabs(a[i] - g.logits[i]));
    EXPECT_LT(d16, 2e-2f);
    EXPECT_GT(d16, 0.0f); // f16 rounding must be visible: the cache really stores halves
    const auto b = q8kv.forward(g.prompt, 0);
    float d8 = 0.0f;
    for (std::size_t i = 0; i < b.size(); ++i) d8 = std::max(d8, std::fabs(b[i] - g.logits[i]));
    EXPECT_LT(d8, 0.2f);
    EXPECT_GT(d8, d16);
}

TEST(llama_f32, static_shape_mismatch_is_a_clear_error) {
    QFORGE_REQUIRE_SHARED();
    const auto ck = llama2c::checkpoint::read(qforge_test::models_dir() / "stories260K.bin");
    const auto src = weights_from(ck);
    try {
        (void)llama<aidreams_dims, recipe<f32>>::load(src);
        FAIL() << "expected an error";
    } catch (const error& e) {
        EXPECT_EQ(e.code(), errc::shape);
        EXPECT_NE(std::string(e.what()).find("block count = 4, the file has 5"), std::string::npos) << e.what();
    }
    try {
        (void)llama<stories_dims, recipe<q8_0>>::load(src);
        FAIL() << "expected an error";
    } catch (const error& e) {
        EXPECT_EQ(e.code(), errc::type);
        EXPECT_NE(std::string(e.what()).find("tensor 'token_embd.weight': type error: the engine type expects q8_0, the file has F32"),
                  std::string::npos) << e.what();
    }
}

TEST(llama_f32, forward_rejects_bad_tokens_and_positions) {
    QFORGE_REQUIRE_SHARED();
    const auto ck = llama2c::checkpoint::read(qforge_test::models_dir() / "aidreams260K.bin");
    auto eng = runtime_llama<>::load(weights_from(ck), {.n_ctx = 16, .max_batch = 8});
    const std::vector<token_id> bad{1, 512};
    EXPECT_THROW(eng.forward(bad, 0), error);
    const std::vector<token_id> ok{1, 2};
    EXPECT_THROW(eng.forward(ok, 15), error);
    EXPECT_NO_THROW(eng.forward(ok, 14));
}

TEST(llama_f32, aidreams260K_text_end_to_end) {
    QFORGE_REQUIRE_SHARED();
    const auto ck = llama2c::checkpoint::read(qforge_test::models_dir() / "aidreams260K.bin");
    const auto tok = spm_tokenizer::from_llama2c(
        llama2c::read_tokenizer(qforge_test::models_dir() / "aidreams260K.tok512.bin", ck.cfg().vocab_size));
    auto eng = runtime_llama<>::load(weights_from(ck));
    const std::pair<const char*, const char*> cases[] = {{"bos-n120", ""}, {"the-n120", "The"}, {"i-dreamed-of-n120", "I dreamed of"}};
    for (const auto& [c, prompt] : cases) {
        const auto ids = tok.encode(prompt);
        EXPECT_EQ(ids, read_case("aidreams260K", c).prompt) << c;
        std::string text = tok.decode(ids);
        token_id prev = ids.back();
        eng.generate(ids, greedy{}, 120, [&](token_id t) {
            text += tok.decode(prev, t);
            prev = t;
        });
        const auto want = qforge_test::read_bytes(qforge_test::golden_llm_dir() / (std::string("aidreams260K.") + c + ".txt"));
        EXPECT_EQ(text + "\n", std::string(want.begin(), want.end())) << c;
    }
}
