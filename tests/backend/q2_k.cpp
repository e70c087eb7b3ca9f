// q2_k CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

static_assert(!isa_usable<xsimd::sse4_2> || (provides_kernel<op::gemv, cpu<xsimd::sse4_2>, q2_k> &&
                                              provides_kernel<op::gemm, cpu<xsimd::sse4_2>, q2_k>));

TEST(backend_q2_k, matches_reference) { format_suite<q2_k>("q2_k", 3); }

TEST(backend_q2_k, extreme_values) {
    for (std::uint8_t fill : {0x00, 0xff, 0x80, 0x7f, 0x55})
        extreme_suite<q2_k>(fill, [](q2_k::block& b) { b.d = f16::from_bits(0x7bff); b.dmin = f16::from_bits(0x7bff); });
}
