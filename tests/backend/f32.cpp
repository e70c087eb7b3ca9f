// f32 CPU kernels against the reference backend: every arch, odd shapes (tails of every vector width),
// 1..4 threads.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

TEST(backend_f32, gemv_gemm_match_reference) {
    expect_all_archs_run();
    // 117 rows = 48 + 48 + 16 + 5 (every panel height of the AVX-512 GEMM and its scalar tail); n >= 8 runs
    // that GEMM, 13 = 8 + 4 + 1 its activation tiles.
    for (std::size_t cols : {1u, 7u, 131u, 256u}) {
        for (std::size_t rows : {21u, 117u}) {
            const auto m = make_matrix<f32>(random_floats(rows * cols, 11), rows, cols);
            for (std::size_t n : {1u, 3u, 6u, 8u, 13u}) {
                const auto x = random_floats(n * cols, 12);
                for_each_backend([&](const auto& be, const std::string& name) {
                    SCOPED_TRACE(name + ", cols = " + std::to_string(cols) + ", n = " + std::to_string(n));
                    check_against_reference(be, m, x, n, cols); // every product is a term of the sum
                });
            }
        }
    }
}

TEST(backend_f32, gemm_rows_do_not_depend_on_their_position) {
    check_rows_independent_of_position_everywhere<f32>({1u, 8u, 9u, 13u});
}

TEST(backend_f32, zeros_and_large_values) {
    const std::size_t rows = 5, cols = 40;
    const auto z = make_matrix<f32>(std::vector<float>(rows * cols, 0.0f), rows, cols);
    std::vector<float> big(rows * cols);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = (i % 3 == 0 ? -1.0f : 1.0f) * 1e18f;
    const auto b = make_matrix<f32>(big, rows, cols);
    const auto x = random_floats(cols, 13, 1e17f);
    for_each_backend([&](const auto& be, const std::string& name) {
        SCOPED_TRACE(name);
        std::vector<float> y(rows, 1.0f);
        gemv(be, z.view(), x, std::span<float>(y));
        for (float v : y) EXPECT_EQ(v, 0.0f);
        check_against_reference(be, b, x, 1, cols);
    });
}

TEST(backend_f32, results_do_not_depend_on_thread_count) {
    const std::size_t rows = 133, cols = 77, n = 9; // n >= 8: the AVX-512 panel GEMM
    check_thread_invariance(make_matrix<f32>(random_floats(rows * cols, 16), rows, cols),
                            random_floats(2 * cols, 17), 2);
    const auto m = make_matrix<f32>(random_floats(rows * cols, 14), rows, cols);
    check_thread_invariance(m, random_floats(n * cols, 15), n);
    // GEMV rows claimed in shrinking ranges by the threads (guided_gemv_rows<f32>): 1013 rows = 64 units.
    const auto tall = make_matrix<f32>(random_floats(1013 * 40, 18), 1013, 40);
    check_thread_invariance(tall, random_floats(40, 19), 1);
}

// Empty shapes (no columns, no rows) through every path, the panel GEMM's (n >= 8) included: zeros, no
// access to the (absent) data.
TEST(backend_f32, empty_shapes) {
    for (std::size_t n : {1u, 8u}) {
        for_each_backend([&](const auto& be, const std::string& name) {
            SCOPED_TRACE(name + ", n = " + std::to_string(n));
            std::vector<f32::block> none;
            std::vector<float> y(n * 20, 1.0f), x;
            gemm(be, qmatrix_view<f32>(none.data(), 20, 0), std::span<const float>(x), n, std::span<float>(y));
            for (float v : y) EXPECT_EQ(v, 0.0f);
            std::vector<float> x3(n * 3, 1.0f), y0;
            gemm(be, qmatrix_view<f32>(none.data(), 0, 3), std::span<const float>(x3), n, std::span<float>(y0));
        });
    }
}
