// qforge/backend/reference/kernels.hpp: the reference backend: every (operation, format) pair, written only
// with the format's own reference functions (quantize and dot). It is the oracle of the SIMD kernels' tests.
#pragma once

#include <cstddef>
#include <span>

#include "qforge/backend/kernel.hpp"
#include "qforge/block/matrix.hpp"

namespace qforge {

// Activation quantization: the format's reference quantizer.
template <BlockFormat F>
struct kernel<op::quantize, reference, F> {
    static constexpr bool available = true;
    static void run(const reference&, std::span<const float> x, std::span<typename F::block> out) {
        F::quantize(x, out);
    }
};

template <BlockFormat F>
struct kernel<op::gemv, reference, F> {
    static constexpr bool available = true;
    using partner_block = typename F::dot_partner::block;
    static void run(const reference&, qmatrix_view<F> w, const partner_block* xq, float* y, std::size_t r0,
                    std::size_t r1) {
        const std::span<const partner_block> a(xq, w.blocks_per_row() * F::block_size /
                                                       F::dot_partner::block_size);
        for (std::size_t r = r0; r < r1; ++r) y[r] = F::dot(w.row(r), a);
    }
};

template <BlockFormat F>
struct kernel<op::gemm, reference, F> {
    static constexpr bool available = true;
    using partner_block = typename F::dot_partner::block;
    static void run(const reference&, qmatrix_view<F> w, const partner_block* xq, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        const std::size_t nb = w.cols / F::dot_partner::block_size;
        for (std::size_t j = 0; j < n; ++j) {
            const std::span<const partner_block> a(xq + j * nb, nb);
            for (std::size_t r = r0; r < r1; ++r) y[j * w.rows + r] = F::dot(w.row(r), a);
        }
    }
};

} // namespace qforge
