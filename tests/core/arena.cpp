// arena: alignment, bump allocation, exhaustion, reset/mark/rewind, and no heap use after construction
// (this program replaces the global operator new to count calls).
#include <qforge/core/arena.hpp>
#include <qforge/core/half.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "support/counting_new.hpp"

using qforge_test::heap_allocations;
using namespace qforge;

namespace {
bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }
} // namespace

TEST(arena, footprint_rounds_to_the_alignment) {
    static_assert(arena::footprint<float>(1) == 64);
    static_assert(arena::footprint<float>(16) == 64);
    static_assert(arena::footprint<float>(17) == 128);
    static_assert(arena::footprint<f16>(0) == 0);
    EXPECT_THROW((void)arena::footprint<double>(static_cast<std::size_t>(-1) / 4), error);
}

TEST(arena, allocations_are_aligned_disjoint_and_counted) {
    const std::size_t need = arena::footprint<float>(100) + arena::footprint<f16>(7) + arena::footprint<std::int8_t>(1);
    arena a(need);
    EXPECT_EQ(a.capacity(), need);
    const std::size_t before = heap_allocations.load();
    const auto x = a.allocate<float>(100);
    const auto h = a.allocate<f16>(7);
    const auto b = a.allocate<std::int8_t>(1);
    EXPECT_EQ(heap_allocations.load(), before); // no heap use after construction
    EXPECT_TRUE(aligned64(x.data()) && aligned64(h.data()) && aligned64(b.data()));
    EXPECT_EQ(x.size(), 100u);
    EXPECT_EQ(h.size(), 7u);
    EXPECT_GE(reinterpret_cast<const std::byte*>(h.data()), reinterpret_cast<const std::byte*>(x.data() + 100));
    EXPECT_GE(reinterpret_cast<const std::byte*>(b.data()), reinterpret_cast<const std::byte*>(h.data() + 7));
    EXPECT_EQ(a.used(), need);
    EXPECT_EQ(a.remaining(), 0u);
    for (float& v : x) v = 1.0f; // the memory is usable (ASan would flag otherwise)
    b[0] = 3;
}

TEST(arena, exhaustion_is_a_clear_error_and_leaves_the_arena_usable) {
    arena a(256);
    (void)a.allocate<float>(32); // 128 bytes
    try {
        (void)a.allocate<double>(20); // 160 bytes
        FAIL() << "allocation past the capacity accepted";
    } catch (const error& e) {
        const std::string m = e.what();
        EXPECT_EQ(e.code(), errc::invalid_argument);
        EXPECT_NE(m.find("arena exhausted"), std::string::npos) << m;
        EXPECT_NE(m.find("20 x 8 bytes"), std::string::npos) << m;
        EXPECT_NE(m.find("128 of 256"), std::string::npos) << m;
    }
    EXPECT_EQ(a.used(), 128u);
    EXPECT_EQ(a.allocate<double>(16).size(), 16u); // exactly the rest
    EXPECT_THROW((void)a.allocate<char>(1), error);
    EXPECT_THROW((void)a.allocate<char>(static_cast<std::size_t>(-1)), error);
}

TEST(arena, reset_mark_and_rewind) {
    arena a(1024);
    const auto first = a.allocate<float>(10);
    const std::size_t m = a.mark();
    const auto second = a.allocate<float>(10);
    a.rewind(m);
    EXPECT_EQ(a.allocate<float>(10).data(), second.data()); // the same place again
    EXPECT_EQ(a.peak(), 128u);
    a.reset();
    EXPECT_EQ(a.used(), 0u);
    EXPECT_EQ(a.allocate<float>(1).data(), first.data());
    EXPECT_EQ(a.peak(), 128u);
    EXPECT_THROW(a.rewind(512), error); // beyond what is in use
    EXPECT_THROW(a.rewind(3), error);   // not a mark
}

TEST(arena, empty_and_moved) {
    arena none;
    EXPECT_EQ(none.capacity(), 0u);
    EXPECT_EQ(none.allocate<float>(0).size(), 0u);
    EXPECT_THROW((void)none.allocate<float>(1), error);
    arena a(100);
    EXPECT_EQ(a.capacity(), 128u); // rounded up to the alignment
    const float* p = a.allocate<float>(4).data();
    arena b = std::move(a);
    EXPECT_EQ(b.used(), 64u);
    EXPECT_EQ(a.capacity(), 0u); // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    b.reset();
    EXPECT_EQ(b.allocate<float>(4).data(), p);
}
