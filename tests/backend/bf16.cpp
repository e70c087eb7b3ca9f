// bf16 CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

TEST(backend_bf16, matches_reference) { format_suite<bf16_format>("bf16", 131); }

TEST(backend_bf16, extreme_values) {
    for (std::uint8_t fill : {0x00, 0x3f, 0x7f, 0xff})
        extreme_suite<bf16_format>(fill, []([[maybe_unused]] bf16_format::block& b) {});
}

// The vdpbf16ps panel GEMM (n >= 8 on AVX-512 BF16) and the scalar path of the rows past the last 16 give the
// same bits; so do the tile driver's paths elsewhere.
TEST(backend_bf16, gemm_rows_do_not_depend_on_their_position) {
    check_rows_independent_of_position_everywhere<bf16_format>({1u, 8u, 13u});
}

// No columns: zeros from every path, the vdpbf16ps panel GEMM's (n >= 8) included.
TEST(backend_bf16, empty_rows_give_zeros) {
    for (std::size_t n : {1u, 8u}) {
        for_each_backend([&](const auto& be, const std::string& name) {
            SCOPED_TRACE(name + ", n = " + std::to_string(n));
            std::vector<bf16_format::block> none;
            std::vector<float> y(n * 20, 1.0f), x;
            gemm(be, qmatrix_view<bf16_format>(none.data(), 20, 0), std::span<const float>(x), n,
                 std::span<float>(y));
            for (float v : y) EXPECT_EQ(v, 0.0f);
        });
    }
}
