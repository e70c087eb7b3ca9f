// mxfp4 CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

TEST(backend_mxfp4, matches_reference) { format_suite<mxfp4>("mxfp4"); }

TEST(backend_mxfp4, extreme_values) {
    for (std::uint8_t fill : {0x00, 0xff, 0x88, 0x77})
        extreme_suite<mxfp4>(fill, [](mxfp4::block& b) { b.e = 140; });
}
