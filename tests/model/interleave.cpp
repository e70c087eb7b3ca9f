// The engine's re-laid weights (load_options::interleave): q4_k/q6_k 8 rows interleaved and f32 in 16-row panels.
// Which matrices are re-laid and on which backends, results against the original layout, thread invariance, and
// the same logits after the file's pages were released. The models are small synthetic Llamas from our own tools:
// one quantized to Q4_K_M, one F32 whose FFN width and vocabulary are not multiples of 16 (partial panels).
#include <gtest/gtest.h>

#include <qforge/model/gguf_model.hpp>
#include <qforge/model/llama.hpp>
#include <qforge/model/sampler.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <iostream>

#include "tools/tool_runner.hpp"

using namespace qforge;
using namespace qforge_test;

namespace {

const std::filesystem::path& q4_k_m_model() {
    static const std::filesystem::path m = [] {
        const auto f32 = scratch_dir() / "il.gguf", q = scratch_dir() / "il-q4_k_m.gguf";
        EXPECT_EQ(run_tool("mkmodel", quote(f32) + " --dim 256 --hidden 512 --layers 2 --heads 4 --kv-heads 2 "
                                                   "--vocab 600 --seq 64").code, 0);
        EXPECT_EQ(run_tool("quantize", quote(f32) + " " + quote(q) + " Q4_K_M").code, 0);
        return q;
    }();
    return m;
}

const std::filesystem::path& f32_model() {
    static const std::filesystem::path m = [] {
        const auto f32 = scratch_dir() / "il-f32.gguf";
        EXPECT_EQ(run_tool("mkmodel", quote(f32) + " --dim 128 --hidden 360 --layers 2 --heads 4 --kv-heads 2 "
                                                   "--vocab 600 --seq 64").code, 0);
        return f32;
    }();
    return m;
}

const std::vector<token_id> prompt{1, 17, 99, 250, 3, 42, 7};

template <class Engine>
std::vector<float> logits(Engine& e, std::span<const token_id> t, std::size_t pos) {
    const auto l = e.forward(t, pos);
    return {l.begin(), l.end()};
}

// This process's resident bytes of its mappings of `path` (from /proc/self/smaps); -1 where unavailable.
long long mapped_rss(const std::filesystem::path& path) {
    std::ifstream in("/proc/self/smaps");
    if (!in) return -1;
    const std::string want = std::filesystem::canonical(path).string();
    long long total = 0;
    bool inside = false;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') != std::string::npos &&
            line.find(':') > line.find(' ')) {
            inside = line.size() >= want.size() && line.compare(line.size() - want.size(), want.size(), want) == 0;
            continue;
        }
        if (inside && line.rfind("Rss:", 0) == 0) {
            std::istringstream v(line.substr(4));
            long long kb = 0;
            v >> kb;
            total += kb * 1024;
        }
    }
    return total;
}

float max_abs(std::span<const float> a) {
    float m = 0;
    for (const float v : a) m = std::max(m, std::fabs(v));
    return m;
}

} // namespace

TEST(interleave, q4_k_matrices_are_relaid_where_the_backend_runs_them) {
    const auto f = gguf::open(q4_k_m_model());
    const auto src = weights_from(f);
    auto on = runtime_llama<>::load(src);
    auto off = runtime_llama<>::load(src, {.interleave = false});
    auto ref = runtime_llama<reference>::load(src);
    EXPECT_EQ(off.interleaved_matrices(), 0u);
    EXPECT_EQ(ref.interleaved_matrices(), 0u);
    if (!interleaved_usable(cpu_auto{})) GTEST_SKIP() << "the interleaved layout needs AVX-512 VNNI (not this build/CPU)";
    // Q4_K_M: every matrix is q4_k or q6_k (attn_v and ffn_down of some layers, the tied classifier): 7 per
    // layer and the classifier.
    EXPECT_EQ(on.interleaved_matrices(), 7u * 2u + 1u);

    // The same per-block terms as the original layout, summed in another order: logits agree to float rounding.
    const auto a = logits(on, prompt, 0), b = logits(off, prompt, 0), c = logits(ref, prompt, 0);
    float d_off = 0, d_ref = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        d_off = std::max(d_off, std::fabs(a[i] - b[i]));
        d_ref = std::max(d_ref, std::fabs(a[i] - c[i]));
    }
    std::cout << on.interleaved_matrices() << " matrices interleaved; max |logit difference| against the original "
              << "layout " << d_off << ", against the reference backend " << d_ref << " (max |logit| " << max_abs(c) << ")\n";
    EXPECT_LT(d_off, 1e-4f * std::max(1.0f, max_abs(b)));
    EXPECT_LT(d_ref, 1e-4f * std::max(1.0f, max_abs(c)));

    // One token (the GEMV path: its own float order, the same per-block terms).
    const auto a1 = logits(on, {prompt.data(), 1}, 0), b1 = logits(off, {prompt.data(), 1}, 0);
    float d1 = 0;
    for (std::size_t i = 0; i < a1.size(); ++i) d1 = std::max(d1, std::fabs(a1[i] - b1[i]));
    std::cout << "one token: max |logit difference| " << d1 << "\n";
    EXPECT_LT(d1, 1e-4f * std::max(1.0f, max_abs(b1)));

    // Generation (GEMV) after the prompt (GEMM), one token at a time, against the original layout.
    std::vector<token_id> g_on, g_off;
    on.generate(prompt, greedy{}, 16, [&](token_id t) { g_on.push_back(t); });
    off.generate(prompt, greedy{}, 16, [&](token_id t) { g_off.push_back(t); });
    EXPECT_EQ(g_on.size(), 16u);
    // Greedy ids agree unless two logits are within rounding of each other; count agreement, not equality.
    std::size_t same = 0;
    while (same < g_on.size() && g_on[same] == g_off[same]) ++same;
    EXPECT_GE(same, 8u);
}

// Logits of a prompt (the GEMM path), then of one token (the GEMV path), with 1, 2 and 3 threads: the same bits.
static void expect_same_bits_at_any_thread_count(const std::filesystem::path& model) {
    const auto f = gguf::open(model);
    const auto src = weights_from(f);
    auto one = runtime_llama<>::load(src);
    auto two = runtime_llama<threads<2, cpu_auto>>::load(src);
    auto three = runtime_llama<threads<0, cpu_auto>>::load(src, {}, threads<0, cpu_auto>(3));
    EXPECT_EQ(one.interleaved_matrices(), two.interleaved_matrices());
    EXPECT_EQ(one.interleaved_matrices(), three.interleaved_matrices());
    const auto a = logits(one, prompt, 0), b = logits(two, prompt, 0), c = logits(three, prompt, 0);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)), 0);
    const token_id next = 5;
    const auto g1 = logits(one, {&next, 1}, prompt.size()), g2 = logits(two, {&next, 1}, prompt.size()),
               g3 = logits(three, {&next, 1}, prompt.size());
    EXPECT_EQ(std::memcmp(g1.data(), g2.data(), g1.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(g1.data(), g3.data(), g1.size() * sizeof(float)), 0);
}

TEST(interleave, any_thread_count_gives_the_same_bits) { expect_same_bits_at_any_thread_count(q4_k_m_model()); }

// A second engine on the same file after the first released the pages of its q4_k tensors: the data comes back
// from the file, the results are unchanged, and an engine that reads those tensors in place still works.
TEST(interleave, released_pages_come_back_from_the_file) {
    const auto f = gguf::open(q4_k_m_model());
    const auto src = weights_from(f);
    auto off1 = runtime_llama<>::load(src, {.interleave = false});
    const auto before = logits(off1, prompt, 0);
    auto on = runtime_llama<>::load(src); // releases the pages (when the layout is usable)
    auto off2 = runtime_llama<>::load(src, {.interleave = false});
    const auto after = off2.forward(prompt, 0);
    EXPECT_EQ(std::memcmp(before.data(), after.data(), before.size() * sizeof(float)), 0);
    // A file parsed from a buffer (not mapped) is never released: the engine still works on it.
    const auto bytes = slurp(q4_k_m_model());
    std::vector<std::byte> buf(bytes.size());
    std::memcpy(buf.data(), bytes.data(), bytes.size());
    const auto fm = gguf::file::parse(std::move(buf));
    EXPECT_FALSE(fm.memory_mapped());
    EXPECT_TRUE(f.memory_mapped());
    const auto srcm = weights_from(fm);
    EXPECT_FALSE(srcm.mapped);
    auto onm = runtime_llama<>::load(srcm);
    auto offm = runtime_llama<>::load(srcm, {.interleave = false});
    const auto lm = offm.forward(prompt, 0);
    EXPECT_EQ(std::memcmp(before.data(), lm.data(), before.size() * sizeof(float)), 0);
    (void)onm.forward(prompt, 0);
}

// After the interleaved copies are made, the file's pages of the q4_k/q6_k tensors leave this process's resident set
// (that copy replaces them; the peak-RSS bound of tests/tools/bench.cpp depends on it).
TEST(interleave, the_file_pages_of_relaid_tensors_are_released) {
    if (!interleaved_usable(cpu_auto{})) GTEST_SKIP() << "the interleaved layout needs AVX-512 VNNI (not this build/CPU)";
    const auto f = gguf::open(q4_k_m_model());
    const auto src = weights_from(f);
    if (mapped_rss(q4_k_m_model()) < 0) GTEST_SKIP() << "no /proc/self/smaps";
    std::size_t q4k = 0; // q4_k and q6_k bytes (token_embd included: it is the tied classifier)
    for (const auto& t : src.tensors)
        if (t.type == static_cast<std::uint32_t>(ggml_type::q4_k) || t.type == static_cast<std::uint32_t>(ggml_type::q6_k))
            q4k += t.bytes;
    ASSERT_GT(q4k, 64u * 1024);
    auto off = runtime_llama<>::load(src, {.interleave = false});
    (void)off.forward(prompt, 0); // reads every tensor from the mapping
    const long long before = mapped_rss(q4_k_m_model());
    auto on = runtime_llama<>::load(src);
    const long long after = mapped_rss(q4_k_m_model());
    std::cout << "mapped RSS " << before << " -> " << after << " bytes; q4_k/q6_k tensors " << q4k << " bytes\n";
    // Each tensor keeps at most its two partial pages.
    EXPECT_GE(before - after, static_cast<long long>(q4k) - 2 * 4096 * 15);
    // The engine runs without them, the embedding lookup included (it reads the tied classifier's copy).
    (void)on.forward(prompt, 0);
    EXPECT_EQ(mapped_rss(q4_k_m_model()), after);
}

TEST(interleave, f32_matrices_are_relaid_in_panels_where_the_backend_runs_them) {
    const auto f = gguf::open(f32_model());
    const auto src = weights_from(f);
    auto on = runtime_llama<>::load(src);
    auto off = runtime_llama<>::load(src, {.interleave = false});
    auto ref = runtime_llama<reference>::load(src);
    EXPECT_EQ(off.interleaved_matrices(), 0u);
    EXPECT_EQ(ref.interleaved_matrices(), 0u);
    if (!f32_x16_usable(cpu_auto{})) GTEST_SKIP() << "the f32 panel layout needs AVX-512 (not this build/CPU)";
    EXPECT_EQ(on.interleaved_matrices(), 7u * 2u + 1u); // every matrix, the tied classifier included

    // The prompt (GEMM) and one token (GEMV): one FMA chain per output, against the original layout's GEMV
    // (16 lane-wise partial sums) and GEMM (the same chain on a per-call panel) and the reference backend.
    const auto a = logits(on, prompt, 0), b = logits(off, prompt, 0), c = logits(ref, prompt, 0);
    const auto a1 = logits(on, {prompt.data(), 1}, 0), b1 = logits(off, {prompt.data(), 1}, 0),
               c1 = logits(ref, {prompt.data(), 1}, 0);
    float d = 0, d1 = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        d = std::max({d, std::fabs(a[i] - b[i]), std::fabs(a[i] - c[i])});
        d1 = std::max({d1, std::fabs(a1[i] - b1[i]), std::fabs(a1[i] - c1[i])});
    }
    std::cout << "f32 panels: max |logit difference| prompt " << d << ", one token " << d1 << " (max |logit| "
              << max_abs(c) << ")\n";
    EXPECT_LT(d, 1e-4f * std::max(1.0f, max_abs(c)));
    EXPECT_LT(d1, 1e-4f * std::max(1.0f, max_abs(c1)));

    std::vector<token_id> g_on, g_ref;
    on.generate(prompt, greedy{}, 16, [&](token_id t) { g_on.push_back(t); });
    ref.generate(prompt, greedy{}, 16, [&](token_id t) { g_ref.push_back(t); });
    std::size_t same = 0;
    while (same < g_on.size() && g_on[same] == g_ref[same]) ++same;
    EXPECT_GE(same, 8u);
}

TEST(interleave, f32_panels_give_the_same_bits_at_any_thread_count) { expect_same_bits_at_any_thread_count(f32_model()); }

// The f32 copies replace the file's pages, and running the engine maps none of them again: the norm vectors
// were copied out too, and the embedding reads the tied classifier's panels.
TEST(interleave, f32_file_pages_are_released_and_stay_released) {
    if (!f32_x16_usable(cpu_auto{})) GTEST_SKIP() << "the f32 panel layout needs AVX-512 (not this build/CPU)";
    const auto f = gguf::open(f32_model());
    const auto src = weights_from(f);
    if (mapped_rss(f32_model()) < 0) GTEST_SKIP() << "no /proc/self/smaps";
    std::size_t bytes = 0;
    for (const auto& t : src.tensors) bytes += t.bytes;
    auto off = runtime_llama<>::load(src, {.interleave = false});
    (void)off.forward(prompt, 0); // reads every tensor from the mapping
    const long long before = mapped_rss(f32_model());
    auto on = runtime_llama<>::load(src);
    const long long after = mapped_rss(f32_model());
    std::cout << "mapped RSS " << before << " -> " << after << " bytes; tensors " << bytes << " bytes\n";
    // Each tensor keeps at most its two partial pages.
    EXPECT_GE(before - after, static_cast<long long>(bytes) - 2 * 4096 * 21);
    (void)on.forward(prompt, 0);
    const token_id next = 9;
    (void)on.forward({&next, 1}, prompt.size());
    EXPECT_EQ(mapped_rss(f32_model()), after);
}

// With f32 panels every matrix product is one FMA chain per output whether it runs as a GEMM (prompt) or a GEMV
// (one token), and prompt attention (queries side by side, ops/attention.hpp) has the bits of one query at a time:
// a prompt run in one pass gives the logits of the same tokens fed one at a time, bit for bit.
TEST(interleave, f32_prompt_in_one_pass_equals_token_by_token) {
    if (!f32_x16_usable(cpu_auto{})) GTEST_SKIP() << "the f32 panel layout needs AVX-512 (not this build/CPU)";
    const auto f = gguf::open(f32_model());
    const auto src = weights_from(f);
    std::vector<token_id> longer;
    for (std::size_t i = 0; i < 37; ++i) longer.push_back(static_cast<token_id>((i * 131 + 7) % 600));
    for (const std::size_t batch : {std::size_t{64}, std::size_t{16}, std::size_t{5}}) {
        auto a = runtime_llama<threads<2, cpu_auto>>::load(src, {.max_batch = batch});
        auto b = runtime_llama<>::load(src);
        const auto pass = logits(a, longer, 0);
        std::vector<float> step;
        for (std::size_t i = 0; i < longer.size(); ++i) step = logits(b, {&longer[i], 1}, i);
        EXPECT_EQ(std::memcmp(pass.data(), step.data(), pass.size() * sizeof(float)), 0) << "max_batch " << batch;
    }
}
