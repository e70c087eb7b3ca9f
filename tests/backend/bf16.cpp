// bf16 CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

TEST(backend_bf16, matches_reference) { format_suite<bf16_format>("bf16", 131); }

TEST(backend_bf16, extreme_values) {
    for (std::uint8_t fill : {0x00, 0x3f, 0x7f, 0xff})
        extreme_suite<bf16_format>(fill, []([[maybe_unused]] bf16_format::block& b) {  });
}
