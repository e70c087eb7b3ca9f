// per_channel<T, Sym>::row<Cols> and binary<G> CPU kernels (backend/cpu/generic.hpp) against the reference
// backend: random, zero and extreme weights, every arch, 1..4 threads.
#include "generic_check.hpp"

using namespace qforge;
using namespace qforge_test;

namespace {
template <class F>
void pc_extremes(std::int32_t zp) {
    for (std::uint8_t fill : {0x00, 0xff, 0x80, 0x7f})
        generic_extremes<F>(fill, [zp](typename F::block& b) {
            const float s = 1.0e3f;
            std::memcpy(b.scale, &s, 4);
            if constexpr (sizeof(b) > 4 + F::block_size) std::memcpy(b.zero_point, &zp, 4);
        });
}
template <class T, bool Sym, std::size_t Cols>
using pc = typename per_channel<T, Sym>::template row<Cols>;
} // namespace

// A matrix row is one block (blocks_per_row 1), or several (each with its own parameters).
TEST(backend_generic_per_channel, i8_sym) {
    generic_suite<pc<std::int8_t, true, 256>>(1);
    generic_suite<pc<std::int8_t, true, 96>>(3);
    generic_suite<pc<std::int8_t, true, 32>>(5);
}
TEST(backend_generic_per_channel, i8_asym) {
    generic_suite<pc<std::int8_t, false, 256>>(1, 0.5f, 0.7f);
    generic_suite<pc<std::int8_t, false, 160>>(2);
}
TEST(backend_generic_per_channel, u8_sym) { generic_suite<pc<std::uint8_t, true, 128>>(3); }
TEST(backend_generic_per_channel, u8_asym) {
    generic_suite<pc<std::uint8_t, false, 256>>(1, 0.5f, 0.7f);
    generic_suite<pc<std::uint8_t, false, 64>>(3);
}
TEST(backend_generic_per_channel, extreme_values) {
    pc_extremes<pc<std::int8_t, true, 96>>(0);
    pc_extremes<pc<std::int8_t, false, 128>>(-128);
    pc_extremes<pc<std::int8_t, false, 64>>(127);
    pc_extremes<pc<std::uint8_t, false, 96>>(255);
    pc_extremes<pc<std::uint8_t, true, 32>>(0);
}

TEST(backend_generic_binary, g32) { generic_suite<binary<32>>(7); }
TEST(backend_generic_binary, g64) { generic_suite<binary<64>>(7); }
TEST(backend_generic_binary, g128) { generic_suite<binary<128>>(5); }
TEST(backend_generic_binary, g256) { generic_suite<binary<256>>(3); }
TEST(backend_generic_binary, extreme_values) {
    for (std::uint8_t fill : {0x00, 0xff, 0x5a}) {
        generic_extremes<binary<32>>(fill, [](binary<32>::block& b) { b.d = f16::from_bits(0x7bff); });
        generic_extremes<binary<128>>(fill, [](binary<128>::block& b) { b.d = f16::from_bits(0x7bff); });
    }
}
