// qforge/block/group_affine.hpp: MLX's affine group quantization as a block format.
// One block = one group of GroupSize values with its own scale s and bias b:  x ~= s * q + b, q in [0, 2^Bits-1].
// Byte layout (ScaleT = f16): scale (2 bytes LE) | bias (2 bytes LE) | qs[GroupSize * Bits / 8]
// where qs is a little-endian bit stream of the codes: code i occupies bits [i*Bits, (i+1)*Bits), least
// significant bit first (for Bits = 4: code 0 in the low nibble of qs[0]). On a little-endian machine this is
// exactly the order of MLX's packed uint32 words; MLX keeps scales and biases in separate arrays, we keep
// them next to their codes. See docs/formats-generic.md.
#pragma once

#include <algorithm>
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
#include "qforge/quant/rounding.hpp"

namespace qforge {

template <int Bits, std::size_t GroupSize, class ScaleT = f16>
struct group_affine {
    static_assert(Bits == 2 || Bits == 3 || Bits == 4 || Bits == 5 || Bits == 6 || Bits == 8,
                  "group_affine: Bits must be one of 2, 3, 4, 5, 6, 8 (MLX's affine modes)");
    static_assert(GroupSize == 32 || GroupSize == 64 || GroupSize == 128,
                  "group_affine: GroupSize must be 32, 64 or 128 (MLX's affine modes)");
    static_assert(block_detail::is_scale_type_v<ScaleT>, "group_affine: ScaleT must be f16, bf16 or float");

    static constexpr int bits = Bits;
    static constexpr unsigned levels = (1u << Bits) - 1u; // MLX's n_bins

    struct block {
        ScaleT scale;                         // may be negative (see quantize)
        ScaleT bias;
        std::uint8_t qs[GroupSize * Bits / 8]; // little-endian bit stream of codes
    };
    static_assert(sizeof(block) == 2 * sizeof(ScaleT) + GroupSize * Bits / 8, "group_affine: unexpected padding");

    static constexpr auto name_storage = block_detail::format_name{}
                                             .add("group_affine_b")
                                             .add(static_cast<std::size_t>(Bits))
                                             .add("_g")
                                             .add(GroupSize)
                                             .add("_")
                                             .add(block_detail::scale_suffix<ScaleT>());
    static constexpr std::string_view name = name_storage.view();
    static constexpr ggml_type type_id = ggml_type::none;
    static constexpr std::size_t block_size = GroupSize;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_0; // GroupSize is a multiple of 32: a group meets GroupSize / 32 q8_0 blocks

    // MLX's affine_quantize, in float:
    //   scale = max((max - min) / levels, 1e-7); if |min| > |max| the group is anchored at edge = min with a
    //   positive scale, else at edge = max with a negative scale; q0 = round(edge / scale), and when q0 != 0
    //   scale = edge / q0 and bias = edge (so that 0 is exactly representable), else bias = 0.
    //   q = clamp(round((x - bias) / scale), 0, levels), round = nearest-even.
    // The codes are computed against the stored (ScaleT-rounded) scale and bias, so that dequantize is
    // consistent with them; with ScaleT = float this is MLX's arithmetic exactly.
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t g = 0; g < out.size(); ++g) {
            const float* xg = x.data() + g * block_size;
            float mn = xg[0], mx = xg[0];
            for (std::size_t j = 1; j < block_size; ++j) {
                mn = std::min(mn, xg[j]);
                mx = std::max(mx, xg[j]);
            }
            const bool anchor_min = std::fabs(mn) > std::fabs(mx);
            float scale = std::max((mx - mn) / static_cast<float>(levels), 1e-7f);
            if (!anchor_min) scale = -scale;
            const float edge = anchor_min ? mn : mx;
            const auto q0 = static_cast<float>(quant::round_half_even(edge / scale));
            if (q0 != 0.0f) scale = edge / q0;
            const float bias = q0 == 0.0f ? 0.0f : edge;
            block& b = out[g];
            b.scale = block_detail::store_scale<ScaleT>(scale);
            b.bias = block_detail::store_scale<ScaleT>(bias);
            const float s = block_detail::load_scale(b.scale);
            const float bb = block_detail::load_scale(b.bias);
            std::memset(b.qs, 0, sizeof b.qs);
            for (std::size_t j = 0; j < block_size; ++j) {
                const float v = s != 0.0f ? static_cast<float>(quant::round_half_even((xg[j] - bb) / s)) : 0.0f;
                block_detail::put_code<Bits>(b.qs, j, block_detail::clamp_code(v, levels));
            }
        }
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t g = 0; g < in.size(); ++g) {
            const float s = block_detail::load_scale(in[g].scale);
            const float b = block_detail::load_scale(in[g].bias);
            for (std::size_t j = 0; j < block_size; ++j)
                y[g * block_size + j] = s * static_cast<float>(block_detail::get_code<Bits>(in[g].qs, j)) + b;
        }
    }

    // Reference dot with q8_0 activations: per q8_0 block, exact integer sums of q*a and of a, then
    // d_a * (scale * sum(q a) + bias * sum(a)).
    static float dot(std::span<const block> w, std::span<const q8_0::block> a) {
        constexpr std::size_t per = GroupSize / q8_0::block_size;
        block_detail::check_same_blocks(name, w.size() * per, a.size());
        float sum = 0.0f;
        for (std::size_t g = 0; g < w.size(); ++g) {
            const float s = block_detail::load_scale(w[g].scale);
            const float b = block_detail::load_scale(w[g].bias);
            for (std::size_t k = 0; k < per; ++k) {
                const q8_0::block& ab = a[g * per + k];
                std::int32_t qa = 0, sa = 0;
                for (std::size_t j = 0; j < q8_0::block_size; ++j) {
                    const auto q = static_cast<std::int32_t>(block_detail::get_code<Bits>(w[g].qs, k * 32 + j));
                    qa += q * ab.qs[j];
                    sa += ab.qs[j];
                }
                sum += ab.d.to_float() * (s * static_cast<float>(qa) + b * static_cast<float>(sa));
            }
        }
        return sum;
    }
};

static_assert(BlockFormat<group_affine<4, 64>>);
static_assert(BlockFormat<group_affine<3, 32, float>>);

} // namespace qforge
