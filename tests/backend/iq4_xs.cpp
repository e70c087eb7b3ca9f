// iq4_xs CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

static_assert(!isa_usable<xsimd::sse4_2> || (provides_kernel<op::gemv, cpu<xsimd::sse4_2>, iq4_xs> &&
                                              provides_kernel<op::gemm, cpu<xsimd::sse4_2>, iq4_xs>));

TEST(backend_iq4_xs, matches_reference) { format_suite<iq4_xs>("iq4_xs", 3); }

TEST(backend_iq4_xs, extreme_values) {
    for (std::uint8_t fill : {0x00, 0xff, 0x80, 0x7f, 0x55})
        extreme_suite<iq4_xs>(fill, [](iq4_xs::block& b) { b.d = f16::from_bits(0x7bff); });
}
