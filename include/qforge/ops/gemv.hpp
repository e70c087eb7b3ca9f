// qforge/ops/gemv.hpp: y = W x for a quantized weight matrix (the text-generation path).
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "qforge/block/matrix.hpp"
#include "qforge/ops/quantize_act.hpp"

namespace qforge {

// y[r] = dot(row r of w, x); x.size() == w.cols, y.size() == w.rows. x is quantized to F::dot_partner on
// the fly (in a per-thread scratch buffer), then every row is dotted on backend `be`.
template <Backend B, BlockFormat F>
void gemv(const B& be, qmatrix_view<F> w, std::span<const float> x, std::span<float> y) {
    using P = typename F::dot_partner;
    if (x.size() != w.cols || y.size() != w.rows)
        throw error(errc::shape, std::string("gemv (") + std::string(F::name) + "): weight " +
                                     std::to_string(w.rows) + "x" + std::to_string(w.cols) + ", x has " +
                                     std::to_string(x.size()) + " values, y has " + std::to_string(y.size()));
    if (w.cols % P::block_size != 0)
        throw error(errc::shape, std::string("gemv (") + std::string(F::name) + "): row length " +
                                     std::to_string(w.cols) + " is not a multiple of the activation block " +
                                     std::to_string(P::block_size));
    if (w.rows == 0) return;
    const auto xq = activation_scratch<P>(w.cols / P::block_size);
    invoke<op::quantize, P>(be, x, xq);
    invoke<op::gemv, F>(be, w, static_cast<const typename P::block*>(xq.data()), y.data(), std::size_t{0}, w.rows);
}

} // namespace qforge
