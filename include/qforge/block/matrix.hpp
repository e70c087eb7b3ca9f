// qforge/block/matrix.hpp: a non-owning view of a row-major matrix stored in a block format: every row is
// cols / F::block_size consecutive blocks (GGUF's layout of a 2-D weight: ne0 = cols, ne1 = rows).
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"

namespace qforge {

template <BlockFormat F>
struct qmatrix_view {
    using format = F;
    using block = typename F::block;

    const block* data = nullptr;
    std::size_t rows = 0;
    std::size_t cols = 0; // logical elements per row; a multiple of F::block_size

    constexpr qmatrix_view() = default;
    qmatrix_view(const block* d, std::size_t r, std::size_t c) : data(d), rows(r), cols(c) {
        if (c % F::block_size != 0)
            throw error(errc::shape, std::string(F::name) + ": row length " + std::to_string(c) +
                                         " is not a multiple of the block size " + std::to_string(F::block_size));
    }

    constexpr std::size_t blocks_per_row() const noexcept { return cols / F::block_size; }
    constexpr std::size_t row_bytes() const noexcept { return blocks_per_row() * sizeof(block); }
    std::span<const block> row(std::size_t r) const noexcept { return {data + r * blocks_per_row(), blocks_per_row()}; }
};

} // namespace qforge
