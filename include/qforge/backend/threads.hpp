// qforge/backend/threads.hpp: threads<N, Inner>: runs Inner's kernels on a persistent pool of N threads
// (N = 0: a count chosen at run time, by default std::thread::hardware_concurrency()).
//
// GEMV/GEMM rows are shared out in contiguous ranges aligned to `row_grain` rows: one range per thread, or, for
// the GEMV of a format with guided_gemv_rows (f32, f16, bf16), ranges claimed by guided self-scheduling (long
// first, single grains last). Each output row is computed by exactly one thread with the same code path as in
// a single-threaded call, so results are bit-identical for any thread count. The GEMV's activation
// quantization runs on the calling thread (one row); ops::gemm shares a prompt's rows out with parallel_for.
// The pool is shared by copies of the backend value (construct once, reuse); a call allocates nothing.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <tuple>
#include <type_traits>

#include "qforge/backend/fallback.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/backend/tags.hpp"
#include "qforge/backend/thread_pool.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/core/error.hpp"

namespace qforge {

template <std::size_t N = 0, Backend Inner = cpu_auto>
struct threads {
    static constexpr bool is_backend = true;
    static constexpr std::string_view backend_name = "threads";
    using inner_backend = Inner;

    Inner inner{};
    std::shared_ptr<thread_pool> pool;

    threads() : pool(std::make_shared<thread_pool>(N != 0 ? N : default_count())) {}
    // A run-time thread count (only for N = 0).
    explicit threads(std::size_t count, Inner in = {})
        requires(N == 0)
        : inner(std::move(in)), pool(std::make_shared<thread_pool>(count)) {
        require(count > 0, errc::invalid_argument, "threads<>: the thread count must be at least 1");
    }

    std::size_t count() const noexcept { return pool->size(); }

    static std::size_t default_count() noexcept {
        const unsigned h = std::thread::hardware_concurrency();
        return h == 0 ? 1 : h;
    }
};

namespace backend_detail {

// Rows per unit of the split: a multiple of every tile height, so that no tile is cut by a thread boundary.
inline constexpr std::size_t row_grain = 16;

// The rows of participant `index` among `count`, for rows [0, rows): contiguous, grain-aligned.
inline void split_rows(std::size_t rows, std::size_t index, std::size_t count, std::size_t& r0, std::size_t& r1) {
    const std::size_t units = (rows + row_grain - 1) / row_grain;
    r0 = std::min(rows, units * index / count * row_grain);
    r1 = std::min(rows, units * (index + 1) / count * row_grain);
}

// Guided self-scheduling of [0, units): each claim takes max(1, remaining / (2 * count)) units, so a thread's
// first range is a long contiguous stream (a quarter of the rows with two threads) and the last ranges are one
// unit each: a thread that started late, or that the memory system served more slowly, is caught up by the
// others instead of being waited for. Which thread computes a row does not change its bits.
class guided_units {
public:
    guided_units(std::size_t units, std::size_t count) noexcept : units_(units), div_(2 * (count == 0 ? 1 : count)) {}
    // The next range [u0, u1); false when all units are claimed.
    bool claim(std::size_t& u0, std::size_t& u1) noexcept {
        std::size_t cur = next_.load(std::memory_order_relaxed);
        for (;;) {
            if (cur >= units_) return false;
            const std::size_t take = std::max<std::size_t>(1, (units_ - cur) / div_);
            if (next_.compare_exchange_weak(cur, cur + take, std::memory_order_relaxed)) {
                u0 = cur;
                u1 = cur + take;
                return true;
            }
        }
    }

private:
    std::size_t units_, div_;
    std::atomic<std::size_t> next_{0};
};

// One split_rows range per participant, or guided claims for a GEMV of a format that asks for them
// (guided_gemv_rows, backend/kernel.hpp). A GEMM is compute-bound and its kernels repack weights into panels
// of up to 48 rows: one range per thread, so that no panel is cut short.
template <class Op, class F, class Inner, class... Args>
struct row_job {
    const Inner* inner;
    qmatrix_view<F> w;
    std::tuple<Args...> args;
    guided_units work;

    row_job(const Inner* in, qmatrix_view<F> m, std::tuple<Args...> a, std::size_t count)
        : inner(in), w(m), args(a), work((m.rows + row_grain - 1) / row_grain, count) {}

    void rows(std::size_t r0, std::size_t r1) const {
        std::apply([&](auto... a) { invoke<Op, F>(*inner, w, a..., r0, r1); }, args);
    }

    static void call(void* ctx, std::size_t index, std::size_t count) {
        auto& self = *static_cast<row_job*>(ctx);
        if constexpr (std::is_same_v<Op, op::gemv> && guided_gemv_rows<F>) {
            std::size_t u0 = 0, u1 = 0;
            while (self.work.claim(u0, u1)) self.rows(u0 * row_grain, std::min(self.w.rows, u1 * row_grain));
        } else {
            std::size_t r0 = 0, r1 = 0;
            split_rows(self.w.rows, index, count, r0, r1);
            if (r0 < r1) self.rows(r0, r1);
        }
    }
};

} // namespace backend_detail

template <std::size_t N, class Inner, class F>
struct kernel<op::quantize, threads<N, Inner>, F> {
    static constexpr bool available = has_kernel<op::quantize, Inner, F>;
    template <class... Args>
    static void run(const threads<N, Inner>& be, Args... args) {
        invoke<op::quantize, F>(be.inner, args...);
    }
};

template <std::size_t N, class Inner, class F>
struct kernel<op::gemv, threads<N, Inner>, F> {
    static constexpr bool available = has_kernel<op::gemv, Inner, F>;
    using partner_block = typename F::dot_partner::block;
    static void run(const threads<N, Inner>& be, qmatrix_view<F> w, const partner_block* xq, float* y,
                    std::size_t r0, std::size_t r1) {
        if (r0 != 0 || r1 != w.rows) { // a sub-range: already split by the caller
            invoke<op::gemv, F>(be.inner, w, xq, y, r0, r1);
            return;
        }
        backend_detail::row_job<op::gemv, F, Inner, const partner_block*, float*> job{&be.inner, w, {xq, y},
                                                                                       be.count()};
        be.pool->run(&decltype(job)::call, &job);
    }
};

template <std::size_t N, class Inner, class F>
struct kernel<op::gemm, threads<N, Inner>, F> {
    static constexpr bool available = has_kernel<op::gemm, Inner, F>;
    using partner_block = typename F::dot_partner::block;
    static void run(const threads<N, Inner>& be, qmatrix_view<F> w, const partner_block* xq, std::size_t n,
                    float* y, std::size_t r0, std::size_t r1) {
        if (r0 != 0 || r1 != w.rows) {
            invoke<op::gemm, F>(be.inner, w, xq, n, y, r0, r1);
            return;
        }
        backend_detail::row_job<op::gemm, F, Inner, const partner_block*, std::size_t, float*> job{
            &be.inner, w, {xq, n, y}, be.count()};
        be.pool->run(&decltype(job)::call, &job);
    }
};

// The number of participants parallel_for uses on backend `be` (1 for a single-threaded backend).
template <Backend B>
std::size_t parallel_count(const B& be) noexcept {
    if constexpr (requires { be.pool->size(); }) return be.pool->size();
    else return 1;
}

// Runs fn(worker, i0, i1) on contiguous, disjoint ranges covering [0, n), one per participant of be's pool
// (worker in [0, parallel_count(be))), or fn(0, 0, n) inline for a single-threaded backend. For work outside
// the kernels (the engine's attention over prompt positions); allocates nothing.
template <Backend B, class Fn>
void parallel_for(const B& be, std::size_t n, Fn&& fn) {
    if constexpr (requires { be.pool->size(); }) {
        if (be.pool->size() > 1 && n > 1) {
            struct ctx_t {
                std::remove_reference_t<Fn>* fn;
                std::size_t n;
            } ctx{&fn, n};
            be.pool->run(
                [](void* c, std::size_t index, std::size_t count) {
                    auto* x = static_cast<ctx_t*>(c);
                    const std::size_t i0 = x->n * index / count, i1 = x->n * (index + 1) / count;
                    if (i0 < i1) (*x->fn)(index, i0, i1);
                },
                &ctx);
            return;
        }
    }
    if (n > 0) fn(std::size_t{0}, std::size_t{0}, n);
}

// Runs fn(worker, i0, i1) on disjoint ranges covering [0, n) as guided_units claims them: a participant may
// get several ranges, long ones first. For GEMVs over weight streams outside the kernels (ops/interleaved.hpp).
template <Backend B, class Fn>
void parallel_for_guided(const B& be, std::size_t n, Fn&& fn) {
    if constexpr (requires { be.pool->size(); }) {
        if (be.pool->size() > 1 && n > 1) {
            struct ctx_t {
                std::remove_reference_t<Fn>* fn;
                backend_detail::guided_units work;
            } ctx{&fn, backend_detail::guided_units(n, be.pool->size())};
            be.pool->run(
                [](void* c, std::size_t index, std::size_t) {
                    auto* x = static_cast<ctx_t*>(c);
                    std::size_t u0 = 0, u1 = 0;
                    while (x->work.claim(u0, u1)) (*x->fn)(index, u0, u1);
                },
                &ctx);
            return;
        }
    }
    if (n > 0) fn(std::size_t{0}, std::size_t{0}, n);
}

} // namespace qforge
