// qforge/block/row.hpp: quantize a whole row-major f32 matrix into a block format, row by row, as
// ggml_quantize_chunk does (GGUF's layout of a 2-D weight: ne0 = cols values per row, each row
// cols / block_size consecutive blocks). With an importance matrix there is one importance per column.
//
// Rows are independent in every format (the imatrix quantizers of q4_0..q5_1 use statistics of their own row
// only), so threads take contiguous row ranges and the output is bit-identical for any thread count.
#pragma once

#include <cstddef>
#include <exception>
#include <limits>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"

namespace qforge {

// How to run a whole-matrix quantization.
struct quantize_policy {
    unsigned threads = 1; // worker threads; 0 = std::thread::hardware_concurrency()
};

namespace block_detail {

template <BlockFormat F>
void check_matrix(std::size_t x_size, std::size_t rows, std::size_t cols, std::size_t out_size) {
    const std::string fmt(F::name);
    if (cols % F::block_size != 0)
        throw error(errc::shape, fmt + ": row length " + std::to_string(cols) + " is not a multiple of the block size " +
                                     std::to_string(F::block_size));
    if (cols != 0 && rows > std::numeric_limits<std::size_t>::max() / cols)
        throw error(errc::shape, fmt + ": " + std::to_string(rows) + " x " + std::to_string(cols) + " overflows");
    if (x_size != rows * cols)
        throw error(errc::shape, fmt + ": " + std::to_string(x_size) + " values for a " + std::to_string(rows) + " x " +
                                     std::to_string(cols) + " matrix");
    if (out_size != rows * (cols / F::block_size))
        throw error(errc::shape, fmt + ": " + std::to_string(out_size) + " blocks for a " + std::to_string(rows) + " x " +
                                     std::to_string(cols) + " matrix (need " +
                                     std::to_string(rows * (cols / F::block_size)) + ")");
}

// Runs body(first_row, end_row) over [0, rows) split into contiguous ranges, one per thread, the calling
// thread taking the first. An exception from any range is rethrown after all threads have joined.
template <class Body>
void for_row_ranges(std::size_t rows, quantize_policy policy, const Body& body) {
    std::size_t n = policy.threads != 0 ? policy.threads : std::thread::hardware_concurrency();
    if (n == 0) n = 1;
    if (n > rows) n = rows;
    if (n <= 1) {
        body(std::size_t{0}, rows);
        return;
    }
    std::vector<std::exception_ptr> failures(n);
    std::vector<std::thread> workers;
    workers.reserve(n - 1);
    // Range t starts at t * (rows / n) plus one extra row for each earlier range among the first rows % n.
    const std::size_t base = rows / n, extra = rows % n;
    const auto start = [&](std::size_t t) { return t * base + (t < extra ? t : extra); };
    const auto range = [&](std::size_t t) {
        try {
            body(start(t), start(t + 1));
        } catch (...) {
            failures[t] = std::current_exception();
        }
    };
    try {
        for (std::size_t t = 1; t < n; ++t) workers.emplace_back(range, t);
    } catch (...) { // could not start a thread: finish what runs, then report
        for (auto& w : workers) w.join();
        throw;
    }
    range(0);
    for (auto& w : workers) w.join();
    for (const auto& f : failures)
        if (f) std::rethrow_exception(f);
}

} // namespace block_detail

// Quantizes rows x cols values (row-major) into rows * cols / F::block_size blocks.
template <BlockFormat F>
void quantize_rows(std::span<const float> x, std::size_t rows, std::size_t cols, std::span<typename F::block> out,
                   quantize_policy policy = {}) {
    block_detail::check_matrix<F>(x.size(), rows, cols, out.size());
    const std::size_t per_row = cols / F::block_size;
    block_detail::for_row_ranges(rows, policy, [&](std::size_t first, std::size_t end) {
        for (std::size_t r = first; r < end; ++r)
            F::quantize(x.subspan(r * cols, cols), out.subspan(r * per_row, per_row));
    });
}

// The same with an importance matrix: imatrix[c] weighs column c in every row (llama-quantize's imatrix).
template <ImatrixFormat F>
void quantize_rows(std::span<const float> x, std::size_t rows, std::size_t cols, std::span<typename F::block> out,
                   std::span<const float> imatrix, quantize_policy policy = {}) {
    block_detail::check_matrix<F>(x.size(), rows, cols, out.size());
    if (imatrix.size() != cols)
        throw error(errc::shape, std::string(F::name) + ": importance matrix has " + std::to_string(imatrix.size()) +
                                     " weights for rows of " + std::to_string(cols));
    const std::size_t per_row = cols / F::block_size;
    block_detail::for_row_ranges(rows, policy, [&](std::size_t first, std::size_t end) {
        for (std::size_t r = first; r < end; ++r)
            F::quantize(x.subspan(r * cols, cols), out.subspan(r * per_row, per_row), imatrix);
    });
}

} // namespace qforge
