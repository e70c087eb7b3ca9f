// The SSE4.2 kernels as a portable build's x86-64-v2 copy holds them: this file is compiled with
// -march=x86-64-v2 alone (tests/CMakeLists.txt), so an instruction past SSE4.2 in one of them fails the build,
// and cpu<sse4_2> is the best level of this binary (cpu_auto and threads<> run it too). Each format runs the
// shared suites against the reference backend: random weights, zeros, thread invariance, ggml's golden dot,
// extreme values.
#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

static_assert(compiled_sse4_2 && !compiled_avx2, "this test must be compiled for x86-64-v2");

namespace {

// The formats whose SSE4.2 kernels this binary tests: each must have its own (not the reference fallback).
template <BlockFormat F>
constexpr bool sse_kernel = provides_kernel<op::gemv, cpu<xsimd::sse4_2>, F> &&
                            provides_kernel<op::gemm, cpu<xsimd::sse4_2>, F>;

template <BlockFormat F, class SetScale>
void v2_suite(const std::string& golden, SetScale set_scale) {
    static_assert(sse_kernel<F>);
    ASSERT_TRUE(isa_runnable<xsimd::sse4_2>());
    EXPECT_EQ(cpu_auto_level(), isa_level::sse4_2);
    format_suite<F>(golden, 3);
    for (std::uint8_t fill : {0x00, 0xff, 0x80, 0x7f})
        extreme_suite<F>(fill, set_scale);
}

constexpr f16 max_f16 = f16::from_bits(0x7bff);

} // namespace

TEST(x86_64_v2, q4_k) {
    v2_suite<q4_k>("q4_k", [](q4_k::block& b) { b.d = max_f16; b.dmin = max_f16; });
}

TEST(x86_64_v2, q2_k) {
    v2_suite<q2_k>("q2_k", [](q2_k::block& b) { b.d = max_f16; b.dmin = max_f16; });
}

TEST(x86_64_v2, iq4_xs) {
    v2_suite<iq4_xs>("iq4_xs", [](iq4_xs::block& b) { b.d = max_f16; });
}

TEST(x86_64_v2, tq1_0) {
    v2_suite<tq1_0>("tq1_0", [](tq1_0::block& b) { b.d = max_f16; });
}

TEST(x86_64_v2, tq2_0) {
    v2_suite<tq2_0>("tq2_0", [](tq2_0::block& b) { b.d = max_f16; });
}
