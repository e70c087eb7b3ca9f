// The hot path never touches the heap: a counting global operator new sees no allocation while the engine
// generates tokens (after load() and one warm-up pass, which may size per-thread scratch buffers).
#include <qforge/io/llama2c.hpp>
#include <qforge/model/llama.hpp>
#include <qforge/model/sampler.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "support/golden.hpp"

// GCC flags free() in a replaced operator delete as mismatched with the replaced operator new (which is
// malloc-based, so it is not): a known false positive of -Wmismatched-new-delete.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<std::size_t> g_allocations{0};
}

void* operator new(std::size_t n) {
    ++g_allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
    ++g_allocations;
    const std::size_t al = static_cast<std::size_t>(a);
    if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace qforge;

template <class Engine, class Sampler>
void expect_no_allocation(Engine& eng, Sampler& s) {
    const std::vector<token_id> prompt{1, 303, 281, 269};
    std::vector<token_id> out;
    out.reserve(64);
    eng.generate(prompt, s, 8, [&](token_id t) { out.push_back(t); }); // warm-up
    out.clear();
    const std::size_t before = g_allocations.load();
    eng.generate(prompt, s, 40, [&](token_id t) { out.push_back(t); });
    EXPECT_EQ(g_allocations.load() - before, 0u);
    EXPECT_EQ(out.size(), 40u);
    // The counter works: an allocation is seen.
    const std::size_t b2 = g_allocations.load();
    auto* probe = new std::vector<int>(3);
    delete probe;
    EXPECT_GE(g_allocations.load() - b2, 1u);
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
