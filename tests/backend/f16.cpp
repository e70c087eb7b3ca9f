// f16 CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

TEST(backend_f16, matches_reference) { format_suite<f16_format>("f16", 131); }

TEST(backend_f16, extreme_values) {
    for (std::uint8_t fill : {0x00, 0x3c, 0x7b, 0xfb})
        extreme_suite<f16_format>(fill, []([[maybe_unused]] f16_format::block& b) {  });
}
