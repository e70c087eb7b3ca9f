// q8_0 CPU kernels against the reference backend (quantization: quantize.cpp): GEMV/GEMM on random
// and edge inputs, every arch, odd shapes, 1..4 threads, ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

TEST(backend_q8_0, gemv_gemm_match_reference) {
    // 37 rows (not a multiple of any tile), 7 blocks per row (odd: the AVX-512 tail step).
    const std::size_t rows = 37, cols = 7 * 32;
    const auto m = make_matrix<q8_0>(random_floats(rows * cols, 2), rows, cols);
    for (std::size_t n : {1u, 2u, 5u, 8u}) {
        const auto x = random_floats(n * cols, 3 + static_cast<unsigned>(n));
        for_each_backend([&](const auto& be, const std::string& name) {
            SCOPED_TRACE(name + ", n = " + std::to_string(n));
            check_against_reference(be, m, x, n, cols / 32);
        });
    }
}

TEST(backend_q8_0, edge_inputs) {
    const std::size_t rows = 9, cols = 4 * 32;
    // zeros: exactly zero everywhere
    {
        const auto m = make_matrix<q8_0>(std::vector<float>(rows * cols, 0.0f), rows, cols);
        const auto x = random_floats(cols, 4);
        for_each_backend([&](const auto& be, const std::string& name) {
            std::vector<float> y(rows, 1.0f);
            gemv(be, m.view(), x, std::span<float>(y));
            for (float v : y) EXPECT_EQ(v, 0.0f) << name;
        });
    }
    // max magnitudes: quants at -128 and 127 (-128 is not produced by the quantizer but valid in a file),
    // the largest finite f16 scale; activations at +-1e4.
    {
        test_matrix<q8_0> m{rows, cols, std::vector<q8_0::block>(rows * cols / 32), std::vector<float>(rows * cols)};
        for (std::size_t b = 0; b < m.blocks.size(); ++b) {
            m.blocks[b].d = f16::from_bits(0x7bff); // 65504
            for (int j = 0; j < 32; ++j) m.blocks[b].qs[j] = static_cast<std::int8_t>((j + b) % 3 == 0 ? -128 : 127);
        }
        q8_0::dequantize(m.blocks, m.deq);
        std::vector<float> x(2 * cols);
        for (std::size_t j = 0; j < x.size(); ++j) x[j] = (j % 5 == 0) ? -1e4f : 1e4f;
        for_each_backend([&](const auto& be, const std::string& name) {
            SCOPED_TRACE(name);
            check_against_reference(be, m, x, 2, cols / 32);
        });
    }
}

TEST(backend_q8_0, results_do_not_depend_on_thread_count) {
    const std::size_t rows = 301, cols = 5 * 32, n = 7;
    const auto m = make_matrix<q8_0>(random_floats(rows * cols, 5), rows, cols);
    check_thread_invariance(m, random_floats(n * cols, 6), n);
}

TEST(backend_q8_0, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    for_each_backend([&](const auto& be, const std::string& name) {
        SCOPED_TRACE(name);
        check_golden_dot<q8_0>(be, "q8_0");
    });
}

TEST(backend_q8_0, shape_errors_are_clear) {
    const auto m = make_matrix<q8_0>(random_floats(64, 7), 2, 32);
    std::vector<float> x(31), y(2);
    EXPECT_THROW(gemv(cpu_auto{}, m.view(), x, std::span<float>(y)), qforge::error);
    std::vector<float> x2(64), y2(3);
    EXPECT_THROW(gemm(cpu_auto{}, m.view(), x2, 2, y2), qforge::error);
}
