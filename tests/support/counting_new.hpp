// tests/support/counting_new.hpp: replaces the global operator new/delete with malloc-based versions that
// count allocations, so that a test can prove a code path never touches the heap. Include it in exactly one
// translation unit of a test program (each test program is one .cpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

// GCC flags free() in a replaced operator delete as mismatched with the replaced operator new (which is
// malloc-based, so it is not): a known false positive of -Wmismatched-new-delete.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace qforge_test {
inline std::atomic<std::size_t> heap_allocations{0};

inline void* counted_alloc(std::size_t n, std::size_t align) {
    heap_allocations.fetch_add(1, std::memory_order_relaxed);
    if (n == 0) n = 1;
    void* p = align <= alignof(std::max_align_t) ? std::malloc(n)
                                                 : std::aligned_alloc(align, (n + align - 1) / align * align);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}
} // namespace qforge_test

void* operator new(std::size_t n) { return qforge_test::counted_alloc(n, 1); }
void* operator new[](std::size_t n) { return qforge_test::counted_alloc(n, 1); }
void* operator new(std::size_t n, std::align_val_t a) { return qforge_test::counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return qforge_test::counted_alloc(n, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
