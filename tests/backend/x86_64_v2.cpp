// The SSE4.2 kernels as a portable build's x86-64-v2 copy holds them: this file is compiled with
// -march=x86-64-v2 alone (tests/CMakeLists.txt), so an instruction past SSE4.2 in one of them fails the build,
// and cpu<sse4_2> is the best level of this binary (cpu_auto and threads<> run it too). Each format runs the
// shared suites against the reference backend: random weights, zeros, thread invariance, ggml's golden dot,
// extreme values.
#include "check.hpp"
#include "generic_check.hpp"

using namespace qforge;
using namespace qforge_test;

static_assert(compiled_sse4_2 && !compiled_avx2, "this test must be compiled for x86-64-v2");

namespace {

// The formats whose SSE4.2 kernels this binary tests: each must have its own (not the reference fallback).
template <BlockFormat F>
constexpr bool sse_kernel = provides_kernel<op::gemv, cpu<xsimd::sse4_2>, F> &&
                            provides_kernel<op::gemm, cpu<xsimd::sse4_2>, F>;

template <BlockFormat F, class SetScale>
void v2_suite(const std::string& golden, SetScale set_scale, std::size_t blocks_per_row = 3) {
    static_assert(sse_kernel<F>);
    ASSERT_TRUE(isa_runnable<xsimd::sse4_2>());
    EXPECT_EQ(cpu_auto_level(), isa_level::sse4_2);
    format_suite<F>(golden, blocks_per_row);
    for (std::uint8_t fill : {0x00, 0xff, 0x80, 0x7f})
        extreme_suite<F>(fill, set_scale);
}

constexpr f16 max_f16 = f16::from_bits(0x7bff);

} // namespace

TEST(x86_64_v2, q4_k) {
    v2_suite<q4_k>("q4_k", [](q4_k::block& b) { b.d = max_f16; b.dmin = max_f16; });
}

TEST(x86_64_v2, q3_k) {
    v2_suite<q3_k>("q3_k", [](q3_k::block& b) { b.d = max_f16; });
}

TEST(x86_64_v2, q5_k) {
    v2_suite<q5_k>("q5_k", [](q5_k::block& b) { b.d = max_f16; b.dmin = max_f16; });
}

TEST(x86_64_v2, q6_k) {
    v2_suite<q6_k>("q6_k", [](q6_k::block& b) { b.d = max_f16; });
}

TEST(x86_64_v2, f16) {
    v2_suite<f16_format>("f16", []([[maybe_unused]] f16_format::block& b) {}, 131);
}

TEST(x86_64_v2, bf16) {
    v2_suite<bf16_format>("bf16", []([[maybe_unused]] bf16_format::block& b) {}, 131);
}

TEST(x86_64_v2, q4_1) {
    v2_suite<q4_1>("q4_1", [](q4_1::block& b) { b.d = max_f16; b.m = f16::from_bits(0xfbff); }, 7);
}

TEST(x86_64_v2, q5_1) {
    v2_suite<q5_1>("q5_1", [](q5_1::block& b) { b.d = max_f16; b.m = f16::from_bits(0xfbff); }, 7);
}

// The formats whose SSE4.2 kernels existed before this test: the same suites.
TEST(x86_64_v2, int8_block_formats) {
    v2_suite<q8_0>("q8_0", [](q8_0::block& b) { b.d = max_f16; }, 7);
    v2_suite<q4_0>("q4_0", [](q4_0::block& b) { b.d = max_f16; }, 7);
    v2_suite<q5_0>("q5_0", [](q5_0::block& b) { b.d = max_f16; }, 7);
    v2_suite<iq4_nl>("iq4_nl", [](iq4_nl::block& b) { b.d = max_f16; }, 7);
    v2_suite<mxfp4>("mxfp4", [](mxfp4::block& b) { b.e = 140; }, 7);
    v2_suite<f32>("f32", []([[maybe_unused]] f32::block& b) {}, 131);
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

// The generic families: every code width (2, 3, 5, 6 bits spread without pdep at this level; 4 and 8 bits),
// each family, odd group sizes against the 32-value activation blocks.
TEST(x86_64_v2, generic_families) {
    generic_suite<group_affine<4, 32>>(7);
    generic_suite<group_affine<2, 64>>(7);
    generic_suite<group_affine<3, 64>>(7);
    generic_suite<group_affine<5, 32>>(7);
    generic_suite<group_affine<6, 128>>(3);
    generic_suite<group_affine<8, 64>>(7);
    generic_suite<group_affine<4, 64, bf16>>(7);
    generic_suite<block_int<4, 32, true>>(7);
    generic_suite<block_int<3, 64, true>>(7);
    generic_suite<block_int<8, 128>>(5);
    generic_suite<per_channel<std::int8_t, true>::row<256>>(1);
    generic_suite<per_channel<std::uint8_t, false>::row<64>>(3);
    generic_suite<binary<64>>(7);
}
