// qforge/block/detail/q5_bits.hpp: the 5-bit packing shared by q5_0 and q5_1: low nibbles in qs (value j in
// byte j's low nibble, value j+16 in its high nibble) and the fifth bits in a little-endian 32-bit qh
// (bit j = fifth bit of value j).
#pragma once

#include <cstdint>

namespace qforge::block_detail {

// Packs 32 levels (only their low 5 bits are kept, as ggml's masks do) into qs[16] and qh[4].
inline void pack_q5(const std::uint8_t* l, std::uint8_t* qs, std::uint8_t* qh) noexcept {
    std::uint32_t h = 0;
    for (int j = 0; j < 16; ++j) {
        qs[j] = static_cast<std::uint8_t>((l[j] & 0x0f) | ((l[j + 16] & 0x0f) << 4));
        h |= static_cast<std::uint32_t>((l[j] & 0x10u) >> 4) << j;
        h |= static_cast<std::uint32_t>((l[j + 16] & 0x10u) >> 4) << (j + 16);
    }
    for (int k = 0; k < 4; ++k) qh[k] = static_cast<std::uint8_t>(h >> (8 * k));
}

// The 32 levels 0..31 of a packed block.
inline void unpack_q5(const std::uint8_t* qs, const std::uint8_t* qh, int* l) noexcept {
    const std::uint32_t h = static_cast<std::uint32_t>(qh[0]) | static_cast<std::uint32_t>(qh[1]) << 8 |
                            static_cast<std::uint32_t>(qh[2]) << 16 | static_cast<std::uint32_t>(qh[3]) << 24;
    for (int j = 0; j < 16; ++j) {
        l[j] = (qs[j] & 0x0f) | static_cast<int>(((h >> j) << 4) & 0x10u);
        l[j + 16] = (qs[j] >> 4) | static_cast<int>((h >> (j + 12)) & 0x10u);
    }
}

} // namespace qforge::block_detail
