// qforge/backend/cpu/x8_common.hpp: what the 8-row interleaved layouts (q4_k_x8.hpp, q6_k_x8.hpp) share: the
// owning matrix type, generic over the format F and its group block X.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "qforge/block/matrix.hpp"
#include "qforge/core/error.hpp"

namespace qforge {

// The default progress callback of x8_matrix::pack: ignores which source rows have been read.
struct x8_pack_ignore {
    void operator()(const void*, std::size_t) const noexcept {}
};

// An owned matrix of format F in an 8-row interleaved layout: rows / 8 groups of blocks_per_row() group blocks
// X (one per 8 rows and super-block), plus the last rows % 8 rows in the original layout. X supplies
//   void put(std::size_t r, const typename F::block&)        row r (0..7) of the group into X
//   void get(std::size_t r, typename F::block&) const        and back, bit for bit
template <BlockFormat F, class X>
class x8_matrix {
public:
    using format = F;
    using group_block = X;

    x8_matrix() = default;

    // consumed(p, bytes) is called after each 8-row group with the source rows it has read (an engine releases
    // the file pages behind them as it goes, so that the copy never coexists with the whole source).
    template <class Consumed = x8_pack_ignore>
    static x8_matrix pack(qmatrix_view<F> w, Consumed&& consumed = {}) {
        require(w.cols % F::block_size == 0, errc::shape,
                std::string(F::name) + "_x8: the row length " + std::to_string(w.cols) + " is not a multiple of " +
                    std::to_string(F::block_size));
        x8_matrix m;
        m.rows_ = w.rows;
        m.cols_ = w.cols;
        m.nb_ = w.cols / F::block_size;
        const std::size_t groups = w.rows / 8, nb = m.nb_;
        m.groups_.resize(groups * nb);
        for (std::size_t g = 0; g < groups; ++g) {
            for (std::size_t b = 0; b < nb; ++b)
                for (std::size_t r = 0; r < 8; ++r) m.groups_[g * nb + b].put(r, w.data[(8 * g + r) * nb + b]);
            consumed(w.data + 8 * g * nb, 8 * nb * sizeof(*w.data));
        }
        m.tail_.assign(w.data + groups * 8 * nb, w.data + w.rows * nb);
        return m;
    }

    std::size_t rows() const noexcept { return rows_; }
    std::size_t cols() const noexcept { return cols_; }
    std::size_t blocks_per_row() const noexcept { return nb_; }
    std::size_t full_rows() const noexcept { return rows_ / 8 * 8; }
    // Bytes held (what the layout costs in memory).
    std::size_t bytes() const noexcept { return groups_.size() * sizeof(X) + tail_.size() * sizeof(typename F::block); }
    // The nb blocks of 8-row group g (rows 8g .. 8g + 7), g < rows() / 8.
    const X* group(std::size_t g) const noexcept { return groups_.data() + g * nb_; }
    // Row r >= full_rows(), in the original layout.
    const typename F::block* tail_row(std::size_t r) const noexcept { return tail_.data() + (r - full_rows()) * nb_; }

    // Row r's blocks as they were in the original layout (bit for bit); out has blocks_per_row() blocks.
    void unpack_row(std::size_t r, typename F::block* out) const {
        if (r >= rows_)
            throw error(errc::invalid_argument,
                        std::string(F::name) + "_x8: row " + std::to_string(r) + " of " + std::to_string(rows_));
        if (r >= full_rows()) {
            std::copy_n(tail_row(r), nb_, out);
            return;
        }
        for (std::size_t b = 0; b < nb_; ++b) group(r / 8)[b].get(r % 8, out[b]);
    }

private:
    std::size_t rows_ = 0, cols_ = 0, nb_ = 0;
    std::vector<X> groups_;
    std::vector<typename F::block> tail_;
};

} // namespace qforge
