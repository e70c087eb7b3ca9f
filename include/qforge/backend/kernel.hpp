// qforge/backend/kernel.hpp: the one extension point of the backends.
//
// kernel<Op, Backend, Format> is a kernel for operation Op on weights of Format run by Backend. The primary
// template means "not provided"; a backend provides a kernel by specializing it with `available = true` and a
// static `run`. Selection (backend/fallback.hpp) reads only `available`: no "is this type complete" tricks.
//
// The operations and the signature of their `run`, with P = Format::dot_partner (the activation format):
//   op::quantize   Format is the activation format itself:
//                  run(const B&, std::span<const float> x, std::span<typename Format::block> out)
//   op::gemv       y[r] = dot(row r of w, xq) for r in [r0, r1):
//                  run(const B&, qmatrix_view<Format> w, const typename P::block* xq, float* y,
//                      std::size_t r0, std::size_t r1)
//   op::gemm       n activation rows of w.blocks_per_row() blocks each; y is n x w.rows, row-major;
//                  computes y[j * w.rows + r] for every j < n and r in [r0, r1):
//                  run(const B&, qmatrix_view<Format> w, const typename P::block* xq, std::size_t n, float* y,
//                      std::size_t r0, std::size_t r1)
// Row ranges let threads<> split the work; a kernel must give the same bits for a row whatever range it
// belongs to (results do not depend on the thread count).
#pragma once

#include "qforge/backend/tags.hpp"
#include "qforge/core/concepts.hpp"

namespace qforge {

namespace op {
struct quantize { static constexpr const char* name = "quantize"; };
struct gemv { static constexpr const char* name = "gemv"; };
struct gemm { static constexpr const char* name = "gemm"; };
} // namespace op

template <class Op, class Backend, class Format>
struct kernel {
    static constexpr bool available = false;
};

// How threads<> shares a GEMV's rows for format F: false (the default) gives each thread one contiguous range,
// which suits kernels that prefetch their own weight stream far ahead (the panel and interleaved GEMVs); true
// lets the threads claim shrinking ranges (guided self-scheduling, backend/threads.hpp), which suits plain
// row streams left to the hardware prefetchers (f32, f16, bf16: cpu/f32.hpp, cpu/half.hpp). Measured on the
// 110M model, tg on two threads, alternating: F32 guided 67-90 against 61-84 tok/s static in every round,
// Q8_0 guided 163-192 against 195-237. The choice never changes a result's bits.
template <class Format>
inline constexpr bool guided_gemv_rows = false;

} // namespace qforge
