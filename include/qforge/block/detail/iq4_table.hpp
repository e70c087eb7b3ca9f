// qforge/block/detail/iq4_table.hpp: the 16 non-linear levels shared by ggml's iq4_nl and iq4_xs, and the
// nearest-level search their quantizers use.
#pragma once

#include <cstdint>

#include "qforge/block/detail/ggml_math.hpp"

namespace qforge::block_detail {

// ggml's kvalues_iq4nl: denser near zero, where most weights lie.
inline constexpr std::int8_t iq4_levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                               1,    13,   25,  38,  53,  69,  89,  113};

// Index of the level nearest to x (ggml's best_index_int8; a tie goes to the upper level).
inline int iq4_best_index(float x) noexcept { return nearest_level_16(iq4_levels, x).index; }

} // namespace qforge::block_detail
