// qforge/ops/dot.hpp: one dot product of a quantized weight row with quantized activations, on a backend.
#pragma once

#include <span>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/ops/quantize_act.hpp"

namespace qforge {

// dot(w, a) for w.size() blocks of F and the matching blocks of F::dot_partner: the backend's GEMV kernel
// on a one-row matrix (the same code, hence the same bits, as a row of gemv).
template <Backend B, BlockFormat F>
float dot(const B& be, std::span<const typename F::block> w, std::span<const typename F::dot_partner::block> a) {
    const std::size_t cols = w.size() * F::block_size;
    if (a.size() * F::dot_partner::block_size != cols)
        throw error(errc::shape, std::string("dot (") + std::string(F::name) + "): " + std::to_string(w.size()) +
                                     " weight blocks against " + std::to_string(a.size()) + " activation blocks");
    float y = 0.0f;
    invoke<op::gemv, F>(be, qmatrix_view<F>(w.data(), 1, cols), a.data(), &y, std::size_t{0}, std::size_t{1});
    return y;
}

} // namespace qforge
