// tests/backend/generic_check.hpp: the conformance suite of the generic families' CPU kernels
// (backend/cpu/generic.hpp) against the reference backend. These formats have no ggml golden data.
#pragma once

#include "check.hpp"

namespace qforge_test {

// Float terms of the reference sum: one per q8_0 activation block.
template <qforge::BlockFormat F>
std::size_t generic_terms(std::size_t cols) {
    return cols / qforge::q8_0::block_size;
}

template <qforge::BlockFormat F>
void expect_simd_kernels() {
    using namespace qforge;
    static_assert(!isa_usable<xsimd::sse4_2> || (provides_kernel<op::gemv, cpu<xsimd::sse4_2>, F> &&
                                                 provides_kernel<op::gemm, cpu<xsimd::sse4_2>, F>));
    static_assert(!isa_usable<xsimd::avx2> ||
                  (provides_kernel<op::gemv, cpu<xsimd::avx2>, F> && provides_kernel<op::gemm, cpu<xsimd::avx2>, F>));
    static_assert(!isa_usable<xsimd::avx512bw> || (provides_kernel<op::gemv, cpu<xsimd::avx512bw>, F> &&
                                                   provides_kernel<op::gemm, cpu<xsimd::avx512bw>, F>));
    static_assert(!isa_usable<avx512_vnni> || (provides_kernel<op::gemv, cpu<avx512_vnni>, F> &&
                                               provides_kernel<op::gemm, cpu<avx512_vnni>, F>));
}

// Random weights (odd row count, blocks_per_row blocks per row), n = 1..8 activation rows, every backend;
// zero weights give exact zeros; thread-count invariance on a bigger matrix.
template <qforge::BlockFormat F>
void generic_suite(std::size_t blocks_per_row, float weight_scale = 1.0f, float weight_offset = 0.0f) {
    using namespace qforge;
    expect_simd_kernels<F>();
    expect_all_archs_run();
    const std::size_t rows = 37, cols = blocks_per_row * F::block_size;
    auto wv = random_floats(rows * cols, 2, weight_scale);
    for (auto& v : wv) v += weight_offset;
    const auto m = make_matrix<F>(wv, rows, cols);
    for (std::size_t n : {1u, 2u, 3u, 5u, 8u}) {
        const auto x = random_floats(n * cols, 3 + static_cast<unsigned>(n));
        for_each_backend([&](const auto& be, const std::string& name) {
            SCOPED_TRACE(name + ", n = " + std::to_string(n));
            check_against_reference(be, m, x, n, generic_terms<F>(cols));
        });
    }
    check_zeros_and_thread_invariance<F>(cols);
    const auto big = make_matrix<F>(random_floats(301 * cols, 5), 301, cols);
    check_thread_invariance(big, random_floats(cols, 7), 1);
}

// Every block byte set to `fill`, then set_params fixes what must stay sane; activations at +-1e4.
template <qforge::BlockFormat F, class SetParams>
void generic_extremes(std::uint8_t fill, SetParams set_params, std::size_t blocks_per_row = 3) {
    using namespace qforge;
    const std::size_t rows = 9, cols = blocks_per_row * F::block_size;
    test_matrix<F> m{rows, cols, std::vector<typename F::block>(rows * cols / F::block_size),
                     std::vector<float>(rows * cols)};
    for (auto& b : m.blocks) {
        std::memset(static_cast<void*>(&b), fill, sizeof(b));
        set_params(b);
    }
    F::dequantize(m.blocks, m.deq);
    std::vector<float> x(2 * cols);
    for (std::size_t j = 0; j < x.size(); ++j) x[j] = (j % 5 == 0) ? -1e4f : 1e4f;
    for_each_backend([&](const auto& be, const std::string& name) {
        SCOPED_TRACE(name + ", fill " + std::to_string(fill));
        check_against_reference(be, m, x, 2, generic_terms<F>(cols));
    });
}

} // namespace qforge_test
