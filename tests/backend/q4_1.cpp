// q4_1 CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

// The suite must test an SSE4.2 kernel, not the reference through the fallback.
static_assert(!isa_usable<xsimd::sse4_2> || (provides_kernel<op::gemv, cpu<xsimd::sse4_2>, q4_1> &&
                                             provides_kernel<op::gemm, cpu<xsimd::sse4_2>, q4_1>));

TEST(backend_q4_1, matches_reference) { format_suite<q4_1>("q4_1", 7); }

TEST(backend_q4_1, extreme_values) {
    for (std::uint8_t fill : {0x00, 0xff, 0x88, 0x77})
        extreme_suite<q4_1>(fill, []([[maybe_unused]] q4_1::block& b) { b.d = qforge::f16::from_bits(0x7bff); b.m = qforge::f16::from_bits(0xfbff); });
}
