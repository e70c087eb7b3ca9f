// bf16 CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

// The suite must test an SSE4.2 kernel, not the reference through the fallback.
static_assert(!isa_usable<xsimd::sse4_2> || (provides_kernel<op::gemv, cpu<xsimd::sse4_2>, bf16_format> &&
                                             provides_kernel<op::gemm, cpu<xsimd::sse4_2>, bf16_format>));

TEST(backend_bf16, matches_reference) { format_suite<bf16_format>("bf16", 131); }

TEST(backend_bf16, gemv_does_not_depend_on_thread_count) { // guided row claims (guided_gemv_rows)
    check_thread_invariance(make_matrix<bf16_format>(random_floats(1013 * 48, 31), 1013, 48), random_floats(48, 32), 1);
}

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

#if QFORGE_ARCH_X86_64
// The SSE4.2 widening of all 65536 bf16 patterns, 8 at a time: bf16::to_float's bits (NaN payloads
// unchanged).
TEST(backend_bf16, sse_widening_is_exact_for_every_bit_pattern) {
    for (std::uint32_t b0 = 0; b0 < 65536; b0 += 8) {
        bf16 h[8];
        for (std::uint32_t k = 0; k < 8; ++k) h[k] = bf16::from_bits(static_cast<std::uint16_t>(b0 + k));
        __m128 lo, hi;
        cpu_detail::widen_sse(h, lo, hi);
        float got[8];
        _mm_storeu_ps(got, lo);
        _mm_storeu_ps(got + 4, hi);
        for (std::uint32_t k = 0; k < 8; ++k)
            ASSERT_EQ(std::bit_cast<std::uint32_t>(got[k]), std::bit_cast<std::uint32_t>(h[k].to_float()))
                << "bf16 bits 0x" << std::hex << b0 + k;
    }
}
#endif
