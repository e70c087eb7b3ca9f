// q4_k CPU kernels against the reference backend: random, zero and extreme inputs, every arch, 1..4 threads,
// ggml's golden vec_dot.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

TEST(backend_q4_k, matches_reference) { format_suite<q4_k>("q4_k", 3); }

TEST(backend_q4_k, extreme_values) {
    for (std::uint8_t fill : {0x00, 0xff, 0x80, 0x7f, 0x3f})
        extreme_suite<q4_k>(fill, [](q4_k::block& b) { b.d = f16::from_bits(0x7bff); b.dmin = f16::from_bits(0x7bff); });
}

TEST(backend_q4_k, gemm_rows_do_not_depend_on_their_position) {
    check_rows_independent_of_position_everywhere<q4_k>({1u, 3u, 4u, 9u});
}
