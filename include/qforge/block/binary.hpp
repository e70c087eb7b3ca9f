// qforge/block/binary.hpp: 1-bit sign quantization with one scale per group (XNOR-Net / BinaryConnect style):
// x ~= d * sign(x), d = mean |x| over the group (the scale that minimises the squared error for fixed signs).
// Byte layout: d (f16, LE) | signs[GroupSize / 8], bit i of the stream (bit i % 8 of byte i / 8) set when
// x_i >= 0. See docs/formats-generic.md.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/packing.hpp"
#include "qforge/block/q8_0.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/half.hpp"

namespace qforge {

template <std::size_t GroupSize>
struct binary {
    static_assert(GroupSize == 32 || GroupSize == 64 || GroupSize == 128 || GroupSize == 256,
                  "binary: GroupSize must be 32, 64, 128 or 256");

    struct block {
        f16 d;                            // mean |x| of the group
        std::uint8_t signs[GroupSize / 8]; // 1 = non-negative
    };
    static_assert(sizeof(block) == 2 + GroupSize / 8);

    static constexpr auto name_storage = block_detail::format_name{}.add("binary_g").add(GroupSize);
    static constexpr std::string_view name = name_storage.view();
    static constexpr ggml_type type_id = ggml_type::none;
    static constexpr std::size_t block_size = GroupSize;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_0;

    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t g = 0; g < out.size(); ++g) {
            const float* xg = x.data() + g * block_size;
            block& b = out[g];
            std::memset(b.signs, 0, sizeof b.signs);
            float sum = 0.0f;
            for (std::size_t j = 0; j < block_size; ++j) {
                sum += std::fabs(xg[j]);
                block_detail::put_code<1>(b.signs, j, xg[j] >= 0.0f ? 1u : 0u);
            }
            b.d = f16::from_float(sum / static_cast<float>(block_size));
        }
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t g = 0; g < in.size(); ++g) {
            const float d = in[g].d.to_float();
            for (std::size_t j = 0; j < block_size; ++j)
                y[g * block_size + j] = block_detail::get_code<1>(in[g].signs, j) ? d : -d;
        }
    }

    // Reference dot with q8_0: per q8_0 block, sum(+-a) = 2 * sum(a where bit set) - sum(a), exact in int.
    static float dot(std::span<const block> w, std::span<const q8_0::block> a) {
        constexpr std::size_t per = GroupSize / q8_0::block_size;
        block_detail::check_same_blocks(name, w.size() * per, a.size());
        float sum = 0.0f;
        for (std::size_t g = 0; g < w.size(); ++g) {
            const float d = w[g].d.to_float();
            for (std::size_t k = 0; k < per; ++k) {
                const q8_0::block& ab = a[g * per + k];
                std::int32_t pos = 0, all = 0;
                for (std::size_t j = 0; j < q8_0::block_size; ++j) {
                    all += ab.qs[j];
                    if (block_detail::get_code<1>(w[g].signs, k * 32 + j)) pos += ab.qs[j];
                }
                sum += static_cast<float>(2 * pos - all) * (d * ab.d.to_float());
            }
        }
        return sum;
    }
};

static_assert(BlockFormat<binary<32>>);

} // namespace qforge
