// qforge/core/arena.hpp: a bump allocator for the hot path. It allocates its buffer once, at construction;
// allocate() then only moves an offset (no heap, no locks), reset() frees everything at once. Inference
// sizes it for the largest step (footprint() adds up the requests) and resets it between steps.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <utility>

#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"

namespace qforge {

class arena {
public:
    // Every allocation starts on this boundary: a cache line, and enough for any AVX-512 load.
    static constexpr std::size_t alignment = 64;

    // The bytes allocate<T>(n) takes from an arena: n elements rounded up to the alignment. Summing these
    // over a step's requests gives the capacity it needs.
    template <TensorElement T>
    static constexpr std::size_t footprint(std::size_t n) {
        if (n > (static_cast<std::size_t>(-1) - alignment) / sizeof(T))
            throw error(errc::invalid_argument, "arena: " + std::to_string(n) + " elements of " +
                                                    std::to_string(sizeof(T)) + " bytes overflow size_t");
        return round_up(n * sizeof(T));
    }

    arena() noexcept = default;
    explicit arena(std::size_t capacity_bytes) : capacity_(round_up_checked(capacity_bytes)) {
        if (capacity_ != 0) base_ = static_cast<std::byte*>(::operator new(capacity_, std::align_val_t{alignment}));
    }
    arena(const arena&) = delete;
    arena& operator=(const arena&) = delete;
    arena(arena&& o) noexcept
        : base_(std::exchange(o.base_, nullptr)), capacity_(std::exchange(o.capacity_, 0)),
          used_(std::exchange(o.used_, 0)), peak_(std::exchange(o.peak_, 0)) {}
    arena& operator=(arena&& o) noexcept {
        if (this != &o) {
            release();
            base_ = std::exchange(o.base_, nullptr);
            capacity_ = std::exchange(o.capacity_, 0);
            used_ = std::exchange(o.used_, 0);
            peak_ = std::exchange(o.peak_, 0);
        }
        return *this;
    }
    ~arena() { release(); }

    // n default-initialized elements of T (indeterminate values for scalars), 64-byte aligned. Throws
    // errc::invalid_argument naming the request and the arena's state when it does not fit; the arena is
    // unchanged then.
    template <TensorElement T>
    std::span<T> allocate(std::size_t n) {
        const std::size_t bytes = footprint<T>(n);
        if (bytes > capacity_ - used_)
            throw error(errc::invalid_argument,
                        "arena exhausted: " + std::to_string(n) + " x " + std::to_string(sizeof(T)) + " bytes (" +
                            std::to_string(bytes) + " with alignment) requested, " + std::to_string(used_) + " of " +
                            std::to_string(capacity_) + " bytes in use");
        T* p = reinterpret_cast<T*>(base_ + used_);
        used_ += bytes;
        if (used_ > peak_) peak_ = used_;
        std::uninitialized_default_construct_n(p, n); // starts the objects' lifetimes; no code for scalars
        return {p, n};
    }

    // Frees every allocation (their spans dangle afterwards). Keeps the buffer.
    void reset() noexcept { used_ = 0; }

    // A point to roll back to: allocations made after mark() are freed by rewind(mark), earlier ones stay.
    std::size_t mark() const noexcept { return used_; }
    void rewind(std::size_t m) {
        if (m > used_ || m % alignment != 0)
            throw error(errc::invalid_argument, "arena: rewind to " + std::to_string(m) +
                                                    " is not a mark of the current state (" + std::to_string(used_) +
                                                    " bytes in use)");
        used_ = m;
    }

    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t used() const noexcept { return used_; }
    std::size_t remaining() const noexcept { return capacity_ - used_; }
    // The most bytes ever in use at once: what the capacity could have been.
    std::size_t peak() const noexcept { return peak_; }

private:
    static constexpr std::size_t round_up(std::size_t bytes) noexcept {
        return (bytes + alignment - 1) / alignment * alignment;
    }
    static std::size_t round_up_checked(std::size_t bytes) {
        if (bytes > static_cast<std::size_t>(-1) - alignment)
            throw error(errc::invalid_argument, "arena: capacity " + std::to_string(bytes) + " overflows size_t");
        return round_up(bytes);
    }
    void release() noexcept {
        if (base_ != nullptr) ::operator delete(static_cast<void*>(base_), std::align_val_t{alignment});
        base_ = nullptr;
    }

    std::byte* base_ = nullptr;
    std::size_t capacity_ = 0;
    std::size_t used_ = 0;
    std::size_t peak_ = 0;
};

} // namespace qforge
