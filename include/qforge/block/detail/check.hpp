// qforge/block/detail/check.hpp: argument checks shared by every block format's reference functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "qforge/core/error.hpp"

namespace qforge::block_detail {

// `values` floats must fill exactly `blocks` blocks of `block_size`.
inline void check_sizes(std::string_view fmt, std::size_t values, std::size_t blocks, std::size_t block_size) {
    if (values != blocks * block_size) [[unlikely]]
        throw error(errc::shape, std::string(fmt) + ": " + std::to_string(values) + " values do not fill " +
                                     std::to_string(blocks) + " blocks of " + std::to_string(block_size));
}

inline void check_same_blocks(std::string_view fmt, std::size_t w_blocks, std::size_t a_blocks) {
    if (w_blocks != a_blocks) [[unlikely]]
        throw error(errc::shape, std::string(fmt) + " dot: " + std::to_string(w_blocks) +
                                     " weight blocks against " + std::to_string(a_blocks) + " activation blocks");
}

inline void check_imatrix(std::string_view fmt, std::size_t values, std::size_t imatrix) {
    if (imatrix != values) [[unlikely]]
        throw error(errc::shape, std::string(fmt) + ": importance matrix has " + std::to_string(imatrix) +
                                     " weights for " + std::to_string(values) + " values");
}

} // namespace qforge::block_detail
