// qforge/ops/embedding.hpp: token embedding lookup = dequantize one row of the embedding table, whatever
// block format it is stored in (the table itself is never expanded to floats).
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "qforge/block/matrix.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"

namespace qforge {

template <BlockFormat F>
void embed(qmatrix_view<F> table, std::size_t token, std::span<float> out) {
    if (token >= table.rows)
        throw error(errc::invalid_argument, "embedding: token id " + std::to_string(token) +
                                                " is outside the vocabulary of " + std::to_string(table.rows));
    if (out.size() != table.cols)
        throw error(errc::shape, "embedding: output has " + std::to_string(out.size()) + " floats, rows have " +
                                     std::to_string(table.cols));
    F::dequantize(table.row(token), out);
}

} // namespace qforge
