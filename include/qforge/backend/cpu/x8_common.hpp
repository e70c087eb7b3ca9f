// qforge/backend/cpu/x8_common.hpp: what the 8-row interleaved layouts (q4_k_x8.hpp, q6_k_x8.hpp) share.
#pragma once

#include <cstddef>

namespace qforge {

// The default progress callback of q4_k_x8_matrix::pack / q6_k_x8_matrix::pack: ignores which source rows have
// been read.
struct x8_pack_ignore {
    void operator()(const void*, std::size_t) const noexcept {}
};

} // namespace qforge
