// qforge/model/detail/reference_gemv.hpp: the engine's matrix products on the formats' reference dot
// products, as ggml's CPU backend computes them: activations are first quantized to the format's dot partner
// (q8_0 for q8_0/q4_0 weights, f32 for f32), then every output is one F::dot of a weight row with them.
// gemm quantizes each of the n activation rows once and reuses each weight row across all of them.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "qforge/block/matrix.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"

namespace qforge::model_detail {

// The portable backend the engine uses by default: reference kernels, one thread.
struct scalar_backend {
    static constexpr std::string_view name = "scalar";
};

// Bytes of partner blocks that n activation rows of `cols` values need.
template <BlockFormat F>
constexpr std::size_t activation_bytes(std::size_t cols, std::size_t n) noexcept {
    using P = typename F::dot_partner;
    return n * (cols / P::block_size) * sizeof(typename P::block);
}

// y[i * w.rows + r] = dot(w.row(r), x[i * w.cols ...]) for i < n. `scratch` holds the quantized activations.
template <BlockFormat F>
void gemm(const scalar_backend&, qmatrix_view<F> w, std::span<const float> x, std::size_t n, std::span<float> y,
          std::span<std::byte> scratch) {
    using P = typename F::dot_partner;
    using pblock = typename P::block;
    if (x.size() != n * w.cols || y.size() != n * w.rows || w.cols % P::block_size != 0 ||
        scratch.size() < activation_bytes<F>(w.cols, n))
        throw error(errc::shape, std::string(F::name) + " gemm: " + std::to_string(w.rows) + "x" + std::to_string(w.cols) +
                                     " weights against " + std::to_string(x.size()) + " activations for n = " + std::to_string(n));
    const std::size_t pb = w.cols / P::block_size;
    auto* xq = reinterpret_cast<pblock*>(scratch.data());
    for (std::size_t i = 0; i < n; ++i) P::quantize(x.subspan(i * w.cols, w.cols), {xq + i * pb, pb});
    for (std::size_t r = 0; r < w.rows; ++r) {
        const auto row = w.row(r);
        for (std::size_t i = 0; i < n; ++i) y[i * w.rows + r] = F::dot(row, {xq + i * pb, pb});
    }
}

template <BlockFormat F>
void gemv(const scalar_backend& be, qmatrix_view<F> w, std::span<const float> x, std::span<float> y,
          std::span<std::byte> scratch) {
    gemm(be, w, x, 1, y, scratch);
}

} // namespace qforge::model_detail
