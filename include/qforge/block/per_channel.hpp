// qforge/block/per_channel.hpp: 8-bit per-channel (per-row) quantization: one scale (and, asymmetric, one
// zero point) for each row of a weight matrix, x ~= scale * (q - zp). The scheme is quant's:
// scheme_policy{.bits = 8, .symmetric = Symmetric, .is_signed = signed T} with min/max parameters per row and
// ONNX's rounding (nearest-even). Symmetric int8 uses the full grid [-128, 127] with scale = max|x| / 127.
//
// Why two faces: a per-row scale does not fit a fixed-size block whose length is independent of the
// matrix, so
//   * per_channel<T, Symmetric>::quantize_rows / dequantize_rows work on any row length at run time and
//     keep codes, scales and zero points in three arrays (the layout of ONNX QLinear / QNN per-channel);
//   * per_channel<T, Symmetric>::row<Cols> is a BlockFormat whose block is one whole row (scale, zero point,
//     Cols codes), for engines whose dimensions are known at compile time; it pairs with q8_0 activations.
// Row block layout (alignment 1, no padding): scale (f32, LE) | [zero point: i32 LE, asymmetric only] | qs[Cols].
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/packing.hpp"
#include "qforge/block/q8_0.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"
#include "qforge/quant/affine.hpp"
#include "qforge/quant/scheme.hpp"

namespace qforge {

namespace block_detail {
template <class T, std::size_t Cols, bool Symmetric>
struct per_channel_row_bytes {
    std::uint8_t scale[4];      // f32
    std::uint8_t zero_point[4]; // i32
    T qs[Cols];
};
template <class T, std::size_t Cols>
struct per_channel_row_bytes<T, Cols, true> {
    std::uint8_t scale[4]; // f32
    T qs[Cols];
};
} // namespace block_detail

template <class T, bool Symmetric>
struct per_channel {
    static_assert(std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t>,
                  "per_channel: T must be std::int8_t or std::uint8_t");

    static constexpr quant::scheme_policy scheme() {
        return {.bits = 8, .symmetric = Symmetric, .is_signed = std::is_signed_v<T>};
    }

    // A matrix quantized row by row: codes row-major, one scale and zero point per row.
    struct matrix {
        std::size_t rows = 0;
        std::size_t cols = 0;
        std::vector<T> q;
        std::vector<float> scale;
        std::vector<std::int32_t> zero_point;
    };

    // One row: parameters from its min/max, then ONNX QuantizeLinear per value.
    static quant::qparams quantize_row(std::span<const float> x, std::span<T> q) {
        if (x.size() != q.size()) throw error(errc::shape, "per_channel: row and code lengths differ");
        const quant::scheme_policy s = scheme();
        const std::size_t shape[] = {x.size()};
        const quant::qparams p = quant::params_from_minmax(x, shape, s).at(0);
        const quant::int_range g = quant::grid_of(s);
        for (std::size_t j = 0; j < x.size(); ++j) q[j] = static_cast<T>(quant::quantize_value(x[j], p, g, s.rounding, true, j));
        return p;
    }

    static matrix quantize_rows(std::span<const float> x, std::size_t rows, std::size_t cols) {
        if (cols != 0 && rows > x.size() / cols) throw error(errc::shape, "per_channel: data smaller than rows x cols");
        if (x.size() != rows * cols)
            throw error(errc::shape, "per_channel: " + std::to_string(x.size()) + " values for " + std::to_string(rows) +
                                         " x " + std::to_string(cols));
        matrix m{rows, cols, std::vector<T>(x.size()), std::vector<float>(rows), std::vector<std::int32_t>(rows)};
        for (std::size_t r = 0; r < rows; ++r) {
            const auto p = quantize_row(x.subspan(r * cols, cols), std::span<T>(m.q).subspan(r * cols, cols));
            m.scale[r] = p.scale;
            m.zero_point[r] = p.zero_point;
        }
        return m;
    }

    static void dequantize_rows(const matrix& m, std::span<float> y) {
        if (m.q.size() != m.rows * m.cols || m.scale.size() != m.rows || m.zero_point.size() != m.rows ||
            y.size() != m.q.size())
            throw error(errc::shape, "per_channel: inconsistent matrix or output size");
        for (std::size_t r = 0; r < m.rows; ++r)
            for (std::size_t j = 0; j < m.cols; ++j)
                y[r * m.cols + j] = quant::dequantize_value(m.q[r * m.cols + j], {m.scale[r], m.zero_point[r]});
    }

    // The block format of one whole row of Cols values.
    template <std::size_t Cols>
    struct row {
        static_assert(Cols % 32 == 0 && Cols > 0, "per_channel::row: Cols must be a positive multiple of 32");
        using block = block_detail::per_channel_row_bytes<T, Cols, Symmetric>;
        static_assert(sizeof(block) == 4 + (Symmetric ? 0 : 4) + Cols);

        static constexpr auto name_storage = block_detail::format_name{}
                                                 .add("per_channel_")
                                                 .add(std::is_signed_v<T> ? "i8" : "u8")
                                                 .add(Symmetric ? "_sym_c" : "_asym_c")
                                                 .add(Cols);
        static constexpr std::string_view name = name_storage.view();
        static constexpr ggml_type type_id = ggml_type::none;
        static constexpr std::size_t block_size = Cols;
        static constexpr std::size_t block_bytes = sizeof(block);
        static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
        using dot_partner = q8_0;

        static quant::qparams params_of(const block& b) noexcept {
            quant::qparams p;
            std::memcpy(&p.scale, b.scale, 4);
            if constexpr (!Symmetric) std::memcpy(&p.zero_point, b.zero_point, 4);
            else p.zero_point = scheme().is_signed ? 0 : 128;
            return p;
        }

        static void quantize(std::span<const float> x, std::span<block> out) {
            block_detail::check_sizes(name, x.size(), out.size(), block_size);
            for (std::size_t r = 0; r < out.size(); ++r) {
                const quant::qparams p = quantize_row(x.subspan(r * Cols, Cols), out[r].qs);
                std::memcpy(out[r].scale, &p.scale, 4);
                if constexpr (!Symmetric) std::memcpy(out[r].zero_point, &p.zero_point, 4);
            }
        }

        static void dequantize(std::span<const block> in, std::span<float> y) {
            block_detail::check_sizes(name, y.size(), in.size(), block_size);
            for (std::size_t r = 0; r < in.size(); ++r) {
                const quant::qparams p = params_of(in[r]);
                for (std::size_t j = 0; j < Cols; ++j) y[r * Cols + j] = quant::dequantize_value(in[r].qs[j], p);
            }
        }

        // Reference dot with q8_0: per q8_0 block the exact integer sum of (q - zp) * a, times both scales.
        static float dot(std::span<const block> w, std::span<const q8_0::block> a) {
            constexpr std::size_t per = Cols / q8_0::block_size;
            block_detail::check_same_blocks(name, w.size() * per, a.size());
            float sum = 0.0f;
            for (std::size_t r = 0; r < w.size(); ++r) {
                const quant::qparams p = params_of(w[r]);
                for (std::size_t k = 0; k < per; ++k) {
                    const q8_0::block& ab = a[r * per + k];
                    // Split as sum q a - zp sum a: GCC 12 with AVX512-VNNI miscompiles (u8 - c) * s8 sums.
                    std::int32_t qa = 0, sa = 0;
                    for (std::size_t j = 0; j < q8_0::block_size; ++j) {
                        qa += static_cast<std::int32_t>(w[r].qs[k * 32 + j]) * ab.qs[j];
                        sa += ab.qs[j];
                    }
                    sum += static_cast<float>(qa - p.zero_point * sa) * (p.scale * ab.d.to_float());
                }
            }
            return sum;
        }
    };
};

static_assert(BlockFormat<per_channel<std::int8_t, true>::row<64>>);
static_assert(BlockFormat<per_channel<std::uint8_t, false>::row<32>>);

} // namespace qforge
