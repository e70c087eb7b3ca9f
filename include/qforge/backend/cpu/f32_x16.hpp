// qforge/backend/cpu/f32_x16.hpp: f32 matrices re-laid once, at load time, in 16-row k-major panels, so that
// the prompt's GEMM no longer repacks its weights on every call (f32_panel.hpp builds the same panels per call,
// reading each weight from DRAM in 16 row streams: a third of an F32 prompt's time on the 110M model).
//
// Layout: panel p holds rows 16 p .. 16 p + 15; its line k is the 16 rows' values of column k (64 bytes, one
// zmm). Panels lie one after the other, cols + 1 lines apart (stride(): one unused line); the last panel's
// missing rows are zeros. Nothing is lost: unpack_row gives a row back bit for bit.
//
// Arithmetic (every path, the GEMV, the GEMM, the last partial panel, the scalar build): each output is one
// FMA chain over k in order, s = 0; s = fma(w[r][k], x[j][k], s), the arithmetic of f32_panel's GEMM. So with
// this layout a row's result depends neither on n nor on the thread count, and the GEMV (n = 1) equals the
// GEMM bit for bit. (The file-layout f32 GEMV sums 16 lane-wise partials: it equals this to rounding.)
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string>

#include "qforge/backend/cpu/f32_panel.hpp"
#include "qforge/backend/cpu/x8_common.hpp"
#include "qforge/block/f32.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/core/error.hpp"

namespace qforge {

class f32_x16_matrix {
public:
    using format = f32;
    static constexpr std::size_t panel_rows = 16;

    struct alignas(64) line {
        float v[16];
    };

    f32_x16_matrix() = default;

    // consumed(p, bytes) is called after each panel with the source rows it has read (an engine releases the
    // file pages behind them as it goes, so that the copy never coexists with the whole source). The copy's
    // memory is not touched before it is written: it becomes resident panel by panel, as the source is released.
    template <class Consumed = x8_pack_ignore>
    static f32_x16_matrix pack(qmatrix_view<f32> w, Consumed&& consumed = {}) {
        f32_x16_matrix m;
        m.rows_ = w.rows;
        m.cols_ = w.cols;
        const std::size_t panels = (w.rows + panel_rows - 1) / panel_rows, cols = w.cols;
        m.lines_.reset(new line[panels * m.stride()]); // default-initialized: untouched until packed
        const float* src = reinterpret_cast<const float*>(w.data);
        for (std::size_t p = 0; p < panels; ++p) {
            const std::size_t h = std::min(panel_rows, w.rows - panel_rows * p);
            const float* rows = src + panel_rows * p * cols;
            float* dst = m.lines_[p * m.stride()].v;
#if QFORGE_ARCH_X86_64 && defined(__AVX512F__)
            if (h == panel_rows) {
                cpu_detail::f32_panel::build<1>(rows, cols, dst);
                consumed(rows, h * cols * sizeof(float));
                continue;
            }
#endif
            for (std::size_t k = 0; k < cols; ++k)
                for (std::size_t i = 0; i < panel_rows; ++i) dst[k * panel_rows + i] = i < h ? rows[i * cols + k] : 0.0f;
            consumed(rows, h * cols * sizeof(float));
        }
        return m;
    }

    std::size_t rows() const noexcept { return rows_; }
    std::size_t cols() const noexcept { return cols_; }
    std::size_t panels() const noexcept { return (rows_ + panel_rows - 1) / panel_rows; }
    // Bytes held (what the layout costs: the source's size, the last panel's padding rows, a line per panel).
    std::size_t bytes() const noexcept { return panels() * stride() * sizeof(line); }
    // Panel p's first line (16 cols floats, 64-byte aligned).
    const float* panel(std::size_t p) const noexcept { return lines_[p * stride()].v; }
    // Lines from one panel to the next: cols, plus one unused line, so that panels side by side (a GEMM tile
    // reads three) are not a multiple of 4 KiB apart (at 4096 columns they would be 256 KiB apart, the same
    // cache sets: 10 % slower GEMM measured).
    std::size_t stride() const noexcept { return cols_ + 1; }

    // Row r as it was in the source (bit for bit); out has cols() values.
    void unpack_row(std::size_t r, float* out) const {
        if (r >= rows_)
            throw error(errc::invalid_argument, "f32_x16: row " + std::to_string(r) + " of " + std::to_string(rows_));
        const float* p = panel(r / panel_rows) + r % panel_rows;
        for (std::size_t k = 0; k < cols_; ++k) out[k] = p[k * panel_rows];
    }

private:
    std::size_t rows_ = 0, cols_ = 0;
    std::unique_ptr<line[]> lines_;
};

namespace cpu_detail {

// Y (n x rows) rows [r0, r1) = W x^T for n activation rows of cols floats; r0 a multiple of 16.
inline void f32_x16_gemm(const f32_x16_matrix& w, const float* x, std::size_t n, float* y, std::size_t r0,
                         std::size_t r1) {
    const std::size_t cols = w.cols(), rows = w.rows();
    std::size_t r = r0;
#if QFORGE_ARCH_X86_64 && defined(__AVX512F__)
    {
        using K = f32_panel;
        const std::size_t ps = 16 * w.stride(), full = std::max(r0, std::min(r1, rows / 16 * 16));
        if (n == 1) { // the GEMV: three panels' FMA chains side by side
            for (; r + 48 <= full; r += 48) K::tile<3, 1>(w.panel(r / 16), 16, ps, cols, x, y + r, 0);
            for (; r + 16 <= full; r += 16) K::tile<1, 1>(w.panel(r / 16), 16, ps, cols, x, y + r, 0);
        } else {
            for (; r + 48 <= full; r += 48) K::panel_times_rows<3>(w.panel(r / 16), 16, ps, cols, x, n, y + r, rows);
            for (; r + 32 <= full; r += 32) K::panel_times_rows<2>(w.panel(r / 16), 16, ps, cols, x, n, y + r, rows);
            for (; r + 16 <= full; r += 16) K::panel_times_rows<1>(w.panel(r / 16), 16, ps, cols, x, n, y + r, rows);
        }
        if (r < r1) { // the last, partial panel: all 16 lanes into a buffer, the rows that exist copied out
            alignas(64) float t[16];
            for (std::size_t j = 0; j < n; ++j) {
                K::tile<1, 1>(w.panel(r / 16), 16, ps, cols, x + j * cols, t, 16);
                std::copy(t, t + (r1 - r), y + j * rows + r);
            }
        }
        return;
    }
#endif
    for (; r < r1; ++r) {
        const float* p = w.panel(r / 16) + r % 16;
        for (std::size_t j = 0; j < n; ++j) {
            const float* xj = x + j * cols;
            float s = 0.0f;
            for (std::size_t k = 0; k < cols; ++k) s = std::fma(p[k * 16], xj[k], s);
            y[j * rows + r] = s;
        }
    }
}

} // namespace cpu_detail
} // namespace qforge
