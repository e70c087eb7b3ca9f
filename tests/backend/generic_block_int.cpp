// block_int CPU kernels (backend/cpu/generic.hpp) against the reference backend: 2/3/4/8 bits, with and
// without zero points, group sizes 32..256, f16/f32 scales; random, zero and extreme weights, every arch,
// 1..4 threads.
#include "generic_check.hpp"

using namespace qforge;
using namespace qforge_test;

namespace {
template <class F>
void int_extremes() {
    for (std::uint8_t fill : {0x00, 0xff, 0x80, 0x77})
        generic_extremes<F>(fill, [](typename F::block& b) {
            using S = std::conditional_t<sizeof(b.scale) == 2, f16, float>;
            block_detail::put_scale_bytes<S>(b.scale, 6.0e4f);
        });
}
} // namespace

TEST(backend_generic_block_int, b4_g32) { generic_suite<block_int<4, 32>>(7); }
TEST(backend_generic_block_int, b4_g64) { generic_suite<block_int<4, 64>>(7); }
TEST(backend_generic_block_int, b4_g128) { generic_suite<block_int<4, 128>>(5); }
TEST(backend_generic_block_int, b4_g32_zp) { generic_suite<block_int<4, 32, true>>(7); }
TEST(backend_generic_block_int, b4_g64_zp) { generic_suite<block_int<4, 64, true>>(7); }
TEST(backend_generic_block_int, b4_g128_zp) { generic_suite<block_int<4, 128, true>>(5); }
TEST(backend_generic_block_int, b8_g32) { generic_suite<block_int<8, 32>>(7); }
TEST(backend_generic_block_int, b8_g128) { generic_suite<block_int<8, 128>>(5); }
TEST(backend_generic_block_int, b8_g64_zp) { generic_suite<block_int<8, 64, true>>(7); }
TEST(backend_generic_block_int, b8_g256_zp_f32) { generic_suite<block_int<8, 256, true, float>>(3); }
TEST(backend_generic_block_int, b2_g32) { generic_suite<block_int<2, 32>>(7); }
TEST(backend_generic_block_int, b3_g64_zp) { generic_suite<block_int<3, 64, true>>(7); }
TEST(backend_generic_block_int, b4_g256_f32) { generic_suite<block_int<4, 256, false, float>>(3); }
TEST(backend_generic_block_int, b4_g32_zp_offset) { generic_suite<block_int<4, 32, true>>(7, 0.1f, 1.0f); }

TEST(backend_generic_block_int, extreme_values) {
    int_extremes<block_int<4, 32>>();
    int_extremes<block_int<4, 64, true>>();
    int_extremes<block_int<8, 32>>();
    int_extremes<block_int<8, 128, true>>();
    int_extremes<block_int<2, 256, true, float>>();
}
