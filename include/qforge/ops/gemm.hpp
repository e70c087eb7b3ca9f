// qforge/ops/gemm.hpp: Y = X W^T for a quantized weight matrix and n activation rows (the prompt path).
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "qforge/block/matrix.hpp"
#include "qforge/ops/quantize_act.hpp"

namespace qforge {

// X is n x w.cols row-major, Y is n x w.rows row-major: Y[j][r] = dot(row r of w, row j of X).
// Each activation row is quantized to F::dot_partner once (per-thread scratch), then the backend's tiled
// GEMM runs; the results equal n separate gemv calls bit for bit.
template <Backend B, BlockFormat F>
void gemm(const B& be, qmatrix_view<F> w, std::span<const float> x, std::size_t n, std::span<float> y) {
    using P = typename F::dot_partner;
    if (x.size() != n * w.cols || y.size() != n * w.rows)
        throw error(errc::shape, std::string("gemm (") + std::string(F::name) + "): weight " +
                                     std::to_string(w.rows) + "x" + std::to_string(w.cols) + ", n = " +
                                     std::to_string(n) + ", X has " + std::to_string(x.size()) +
                                     " values, Y has " + std::to_string(y.size()));
    if (w.cols % P::block_size != 0)
        throw error(errc::shape, std::string("gemm (") + std::string(F::name) + "): row length " +
                                     std::to_string(w.cols) + " is not a multiple of the activation block " +
                                     std::to_string(P::block_size));
    if (w.rows == 0 || n == 0) return;
    const auto xq = quantize_rows<P>(be, x, n, w.cols); // over the pool on threads<>: 3 % of a Q4_0 prompt
    invoke<op::gemm, F>(be, w, static_cast<const typename P::block*>(xq.data()), n, y.data(), std::size_t{0},
                        w.rows);
}

} // namespace qforge
