// group_affine CPU kernels (backend/cpu/generic.hpp) against the reference backend: every bit width, group
// sizes 32/64/128, f16/bf16/f32 scales; random, offset, zero and extreme weights, every arch, 1..4 threads.
#include "generic_check.hpp"

#include <bit>

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

// The SSE4.1 f16 widening of the scales (the kernels' path in TUs without F16C, such as the SSE4.2 copy of a
// portable build) against the portable conversion, for every f16 bit pattern, with and without DAZ/FTZ.
#if QFORGE_ARCH_X86_64 && defined(__SSE4_2__)
TEST(backend_generic_group_affine, sse_half_widening_is_exact) {
    struct restore_csr {
        unsigned csr = _mm_getcsr();
        ~restore_csr() { _mm_setcsr(csr); }
    } saved;
    for (unsigned mode : {saved.csr & ~0x8040u, saved.csr | 0x8040u}) { // DAZ and FTZ off, then on
        _mm_setcsr(mode);
        for (std::uint32_t h = 0; h < 65536; h += 4) {
            alignas(16) float got[4];
            _mm_store_ps(got, cpu_detail::gen::halves_to_float_sse(_mm_set_epi32(
                                  static_cast<int>(h + 3), static_cast<int>(h + 2), static_cast<int>(h + 1),
                                  static_cast<int>(h))));
            for (std::uint32_t i = 0; i < 4; ++i) {
                const float want = f16::from_bits(static_cast<std::uint16_t>(h + i)).to_float();
                ASSERT_EQ(std::bit_cast<std::uint32_t>(got[i]), std::bit_cast<std::uint32_t>(want))
                    << "f16 bits " << (h + i) << ", MXCSR " << mode;
            }
        }
    }
}
#endif

TEST(backend_generic_group_affine, extreme_values) {
    affine_extremes<group_affine<4, 32>>();
    affine_extremes<group_affine<4, 64>>();
    affine_extremes<group_affine<8, 128>>();
    affine_extremes<group_affine<2, 32>>();
    affine_extremes<group_affine<6, 64, float>>();
}
