// qforge/backend/thread_pool.hpp: a small persistent thread pool for the threads<> backend.
// Workers are started once and wait between jobs (a short spin, then a futex wait through std::atomic::wait);
// a job is a plain function pointer and a context pointer, so dispatching one allocates nothing.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace qforge {

class thread_pool {
public:
    using job_fn = void (*)(void* ctx, std::size_t index, std::size_t count);

    // `count` participants in every job: the calling thread and count - 1 workers.
    explicit thread_pool(std::size_t count) : count_(count == 0 ? 1 : count) {
        workers_.reserve(count_ - 1);
        for (std::size_t i = 1; i < count_; ++i) workers_.emplace_back([this, i] { work(i); });
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        stop_.store(true, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        for (auto& t : workers_) t.join();
    }

    std::size_t size() const noexcept { return count_; }

    // Runs fn(ctx, i, size()) for every i in [0, size()) — i = 0 on the calling thread — and returns when all
    // are done. Calls from several threads are serialized; a job must not call run() on the same pool.
    void run(job_fn fn, void* ctx) {
        if (count_ == 1) {
            fn(ctx, 0, 1);
            return;
        }
        std::lock_guard<std::mutex> lock(run_mutex_);
        fn_ = fn;
        ctx_ = ctx;
        pending_.store(count_ - 1, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_seq_cst);
        // Wake sleepers only (a futex wake is a system call; spinning workers see the new generation). A worker
        // counts itself a sleeper before it re-reads the generation inside wait(), both sequentially
        // consistent: either it sees this bump and does not sleep, or this load sees it and wakes it.
        if (sleepers_.load(std::memory_order_seq_cst) != 0) generation_.notify_all();
        fn(ctx, 0, count_);
        for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
            if (spin < spin_limit) pause();
            else std::this_thread::yield();
        }
    }

private:
    static constexpr int spin_limit = 4000;

    static void pause() noexcept {
#if defined(__x86_64__) || defined(_M_X64)
        _mm_pause();
#endif
    }

    void work(std::size_t index) {
        unsigned seen = 0;
        for (;;) {
            unsigned g = generation_.load(std::memory_order_acquire);
            for (int spin = 0; g == seen && spin < spin_limit; ++spin) {
                pause();
                g = generation_.load(std::memory_order_acquire);
            }
            if (g == seen) {
                sleepers_.fetch_add(1, std::memory_order_seq_cst);
                generation_.wait(seen, std::memory_order_seq_cst);
                sleepers_.fetch_sub(1, std::memory_order_relaxed);
                continue;
            }
            seen = g;
            if (stop_.load(std::memory_order_relaxed)) return;
            fn_(ctx_, index, count_);
            pending_.fetch_sub(1, std::memory_order_acq_rel);
        }
    }

    std::size_t count_;
    std::vector<std::thread> workers_;
    std::mutex run_mutex_;
    std::atomic<unsigned> generation_{0};
    std::atomic<std::size_t> pending_{0};
    std::atomic<unsigned> sleepers_{0};
    std::atomic<bool> stop_{false};
    job_fn fn_ = nullptr; // written before the generation bump (release), read after it (acquire)
    void* ctx_ = nullptr;
};

} // namespace qforge
