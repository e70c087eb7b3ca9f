// qforge/block/detail/iq4_table.hpp: the 16 non-linear levels shared by ggml's iq4_nl and iq4_xs, and the
// nearest-level search their quantizers use.
#pragma once

#include <cstdint>

namespace qforge::block_detail {

// ggml's kvalues_iq4nl: denser near zero, where most weights lie.
inline constexpr std::int8_t iq4_levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                               1,    13,   25,  38,  53,  69,  89,  113};

// Index of the level nearest to x (ggml's best_index_int8: bisection; a tie goes to the upper level).
inline int iq4_best_index(float x) noexcept {
    const std::int8_t* val = iq4_levels;
    if (x <= static_cast<float>(val[0])) return 0;
    if (x >= static_cast<float>(val[15])) return 15;
    int ml = 0, mu = 15;
    while (mu - ml > 1) {
        const int mav = (ml + mu) / 2;
        if (x < static_cast<float>(val[mav])) mu = mav;
        else ml = mav;
    }
    return x - static_cast<float>(val[mu - 1]) < static_cast<float>(val[mu]) - x ? mu - 1 : mu;
}

} // namespace qforge::block_detail
