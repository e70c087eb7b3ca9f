// qforge/ops/quantize_act.hpp: activations quantized on the fly to a weight format's dot partner.
// quantize_act() writes into caller storage; activation_scratch() is the per-thread buffer that gemv/gemm use
// so that a steady-state call allocates nothing (it grows only when a larger activation arrives).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "qforge/backend.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"

namespace qforge {

// Quantizes x (a multiple of P::block_size values) to blocks of the activation format P on backend `be`.
template <Backend B, BlockFormat P>
void quantize_act(const B& be, std::span<const float> x, std::span<typename P::block> out) {
    if (x.size() != out.size() * P::block_size)
        throw error(errc::shape, std::string("quantize_act to ") + std::string(P::name) + ": " +
                                     std::to_string(x.size()) + " values do not fill " +
                                     std::to_string(out.size()) + " blocks");
    invoke<op::quantize, P>(be, x, out);
}

// A per-thread buffer of at least `blocks` blocks of P.
template <BlockFormat P>
std::span<typename P::block> activation_scratch(std::size_t blocks) {
    thread_local std::vector<typename P::block> buffer;
    if (buffer.size() < blocks) buffer.resize(blocks);
    return {buffer.data(), blocks};
}

// The n rows of X (n x cols, cols a multiple of P::block_size) quantized to P in the calling thread's scratch:
// row j's blocks at [j * cols / P::block_size, ...). Rows are independent, so on a threads<> backend they are
// shared out over the pool (parallel_for; the same bits). For the GEMMs (ops/gemm.hpp, ops/interleaved.hpp).
template <BlockFormat P, Backend B>
std::span<typename P::block> quantize_rows(const B& be, std::span<const float> x, std::size_t n, std::size_t cols) {
    const std::size_t nb = cols / P::block_size;
    const auto xq = activation_scratch<P>(n * nb);
    parallel_for(be, n, [&](std::size_t, std::size_t j0, std::size_t j1) {
        for (std::size_t j = j0; j < j1; ++j)
            invoke<op::quantize, P>(be, x.subspan(j * cols, cols), xq.subspan(j * nb, nb));
    });
    return xq;
}

} // namespace qforge
