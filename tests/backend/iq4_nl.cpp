// iq4_nl CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

TEST(backend_iq4_nl, matches_reference) { format_suite<iq4_nl>("iq4_nl"); }

TEST(backend_iq4_nl, extreme_values) {
    for (std::uint8_t fill : {0x00, 0xff, 0x88, 0x77})
        extreme_suite<iq4_nl>(fill, [](iq4_nl::block& b) { b.d = f16::from_bits(0x7bff); });
}
