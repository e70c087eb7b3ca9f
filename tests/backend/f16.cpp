// f16 CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot; the SSE4.2 widening (no F16C) against f16::to_float on every bit pattern.
#include <bit>

#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

// The suite must test an SSE4.2 kernel, not the reference through the fallback.
static_assert(!isa_usable<xsimd::sse4_2> || (provides_kernel<op::gemv, cpu<xsimd::sse4_2>, f16_format> &&
                                             provides_kernel<op::gemm, cpu<xsimd::sse4_2>, f16_format>));

TEST(backend_f16, matches_reference) { format_suite<f16_format>("f16", 131); }

TEST(backend_f16, gemv_does_not_depend_on_thread_count) { // guided row claims (guided_gemv_rows)
    check_thread_invariance(make_matrix<f16_format>(random_floats(1013 * 48, 31), 1013, 48), random_floats(48, 32), 1);
}

TEST(backend_f16, extreme_values) {
    for (std::uint8_t fill : {0x00, 0x3c, 0x7b, 0xfb})
        extreme_suite<f16_format>(fill, []([[maybe_unused]] f16_format::block& b) {});
}

#if QFORGE_ARCH_X86_64
// All 65536 halves, 8 per widening (both 4-lane halves of the SSE code): zeros, subnormals, normals,
// infinities and NaNs (quieted, payload kept) give f16::to_float's bits; also with MXCSR's DAZ and FTZ set (the
// widening does no float arithmetic on f32 subnormals).
TEST(backend_f16, sse_widening_is_exact_for_every_bit_pattern) {
    const unsigned csr = _mm_getcsr();
    for (const unsigned mode : {csr, csr | 0x8040u}) { // 0x8040: FTZ | DAZ
        _mm_setcsr(mode);
        for (std::uint32_t b0 = 0; b0 < 65536; b0 += 8) {
            f16 h[8];
            for (std::uint32_t k = 0; k < 8; ++k) h[k] = f16::from_bits(static_cast<std::uint16_t>(b0 + k));
            __m128 lo, hi;
            cpu_detail::widen_sse(h, lo, hi);
            float got[8];
            _mm_storeu_ps(got, lo);
            _mm_storeu_ps(got + 4, hi);
            _mm_setcsr(csr); // the reference and gtest under the default mode
            for (std::uint32_t k = 0; k < 8; ++k)
                ASSERT_EQ(std::bit_cast<std::uint32_t>(got[k]), std::bit_cast<std::uint32_t>(h[k].to_float()))
                    << "f16 bits 0x" << std::hex << b0 + k << ", MXCSR 0x" << mode;
            _mm_setcsr(mode);
        }
        _mm_setcsr(csr);
    }
}

// f16_to_f32_sse reads only the low 16 bits of each 32-bit lane: garbage above them changes nothing.
TEST(backend_f16, sse_widening_ignores_the_high_half_of_each_lane) {
    for (std::uint32_t b0 = 0; b0 < 65536; b0 += 4) {
        const __m128i h =
            _mm_set_epi32(static_cast<int>(0xffff0000u | (b0 + 3)), static_cast<int>(0x80000000u | (b0 + 2)),
                          static_cast<int>(0x7c000000u | (b0 + 1)), static_cast<int>(0x00010000u | b0));
        float got[4];
        _mm_storeu_ps(got, cpu_detail::f16_to_f32_sse(h));
        for (std::uint32_t k = 0; k < 4; ++k) {
            const float want = f16::from_bits(static_cast<std::uint16_t>(b0 + k)).to_float();
            ASSERT_EQ(std::bit_cast<std::uint32_t>(got[k]), std::bit_cast<std::uint32_t>(want))
                << "f16 bits 0x" << std::hex << b0 + k;
        }
    }
}
#endif
