// The hot path never touches the heap: a counting global operator new sees no allocation while the engine
// generates tokens (after load() and one warm-up pass, which may size per-thread scratch buffers).
#include <qforge/io/llama2c.hpp>
#include <qforge/model/gguf_model.hpp>
#include <qforge/model/llama.hpp>
#include <qforge/model/sampler.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "support/golden.hpp"
#include "tools/tool_runner.hpp"

#include "support/counting_new.hpp"

using qforge_test::heap_allocations;

using namespace qforge;

template <class Engine, class Sampler>
void expect_no_allocation(Engine& eng, Sampler& s) {
    const std::vector<token_id> prompt{1, 303, 281, 269};
    std::vector<token_id> out;
    out.reserve(64);
    eng.generate(prompt, s, 8, [&](token_id t) { out.push_back(t); }); // warm-up
    out.clear();
    const std::size_t before = heap_allocations.load();
    eng.generate(prompt, s, 40, [&](token_id t) { out.push_back(t); });
    EXPECT_EQ(heap_allocations.load() - before, 0u);
    EXPECT_EQ(out.size(), 40u);
    // The counter works: an allocation is seen.
    const std::size_t b2 = heap_allocations.load();
    auto* probe = new std::vector<int>(3);
    delete probe;
    EXPECT_GE(heap_allocations.load() - b2, 1u);
}

TEST(no_alloc, generation_does_not_allocate) {
    QFORGE_REQUIRE_SHARED();
    const auto ck = llama2c::checkpoint::read(qforge_test::models_dir() / "aidreams260K.bin");
    const auto src = weights_from(ck);
    auto stat = llama<llama_dims<64, 172, 4, 4, 4, 512>, recipe<f32>, reference, kv_q8_0>::load(src);
    auto rt = runtime_llama<>::load(src);
    greedy g;
    sampler s({.temperature = 0.9f, .top_k = 40, .top_p = 0.9f, .min_p = 0.05f, .repeat_penalty = 1.1f, .seed = 1}, 512);
    expect_no_allocation(stat, g);
    expect_no_allocation(rt, s);
}

// A Q4_K_M model (our tools write it): q4_k matrices in the interleaved layout where the backend runs it, the
// rest as in the file; one and two threads.
TEST(no_alloc, interleaved_q4_k_generation_does_not_allocate) {
    using qforge_test::quote;
    using qforge_test::run_tool;
    const auto f32 = qforge_test::scratch_dir() / "na.gguf", q = qforge_test::scratch_dir() / "na-q4_k_m.gguf";
    ASSERT_EQ(run_tool("mkmodel", quote(f32) + " --dim 256 --hidden 512 --layers 2 --heads 4 --kv-heads 4 --vocab 600 --seq 128").code, 0);
    ASSERT_EQ(run_tool("quantize", quote(f32) + " " + quote(q) + " Q4_K_M").code, 0);
    const auto f = gguf::open(q);
    const auto src = weights_from(f);
    auto one = runtime_llama<>::load(src);
    auto two = runtime_llama<threads<2, cpu_auto>>::load(src);
    greedy g;
    expect_no_allocation(one, g);
    expect_no_allocation(two, g);
}
