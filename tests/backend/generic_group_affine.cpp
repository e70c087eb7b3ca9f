// group_affine CPU kernels (backend/cpu/generic.hpp) against the reference backend: every bit width, group
// sizes 32/64/128, f16/bf16/f32 scales; random, offset, zero and extreme weights, every arch, 1..4 threads.
#include "generic_check.hpp"

using namespace qforge;
using namespace qforge_test;

namespace {
template <class F>
void affine_extremes() {
    for (std::uint8_t fill : {0x00, 0xff, 0x80, 0x5a})
        generic_extremes<F>(fill, [](typename F::block& b) {
            b.scale = block_detail::store_scale<std::remove_cvref_t<decltype(b.scale)>>(-3.5e3f);
            b.bias = block_detail::store_scale<std::remove_cvref_t<decltype(b.bias)>>(6.0e4f);
        });
}
} // namespace

TEST(backend_generic_group_affine, b4_g32) { generic_suite<group_affine<4, 32>>(7); }
TEST(backend_generic_group_affine, b4_g64) { generic_suite<group_affine<4, 64>>(7); }
TEST(backend_generic_group_affine, b4_g128) { generic_suite<group_affine<4, 128>>(5); }
TEST(backend_generic_group_affine, b8_g32) { generic_suite<group_affine<8, 32>>(7); }
TEST(backend_generic_group_affine, b8_g64) { generic_suite<group_affine<8, 64>>(7); }
TEST(backend_generic_group_affine, b8_g128) { generic_suite<group_affine<8, 128>>(5); }
TEST(backend_generic_group_affine, b2_g64) { generic_suite<group_affine<2, 64>>(7); }
TEST(backend_generic_group_affine, b3_g64) { generic_suite<group_affine<3, 64>>(7); }
TEST(backend_generic_group_affine, b5_g32) { generic_suite<group_affine<5, 32>>(7); }
TEST(backend_generic_group_affine, b6_g128) { generic_suite<group_affine<6, 128>>(3); }
TEST(backend_generic_group_affine, b4_g64_bf16) { generic_suite<group_affine<4, 64, bf16>>(7); }
TEST(backend_generic_group_affine, b3_g32_f32) { generic_suite<group_affine<3, 32, float>>(7); }
TEST(backend_generic_group_affine, b4_g32_offset) { generic_suite<group_affine<4, 32>>(7, 0.1f, 1.0f); }

TEST(backend_generic_group_affine, extreme_values) {
    affine_extremes<group_affine<4, 32>>();
    affine_extremes<group_affine<4, 64>>();
    affine_extremes<group_affine<8, 128>>();
    affine_extremes<group_affine<2, 32>>();
    affine_extremes<group_affine<6, 64, float>>();
}
