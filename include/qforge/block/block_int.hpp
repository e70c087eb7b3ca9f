// qforge/block/block_int.hpp: blockwise integer quantization as ONNX Runtime's MatMulNBits (and GPTQ) store
// it: per block of GroupSize values one scale and, optionally, one zero point; codes are unsigned,
// x ~= scale * (q - zp). Without a stored zero point the block is symmetric with the implicit zp = 2^(Bits-1).
// Byte layout (alignment 1, no padding):
//   scale (sizeof(ScaleT) bytes, LE) | [zp: one byte, low Bits bits] | qs[GroupSize * Bits / 8]
// qs is a little-endian bit stream of codes, low bits first (for Bits = 4: code 0 in the low nibble of
// qs[0], as MatMulNBits packs B). MatMulNBits keeps scales and zero points in separate tensors and packs the
// zero points of neighbouring blocks into shared bytes; a self-contained block cannot share a byte, so ours
// keeps its zero point in a byte of its own. See docs/formats-generic.md.
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

namespace qforge {

namespace block_detail {
template <std::size_t ScaleBytes, std::size_t QBytes, bool ZeroPoint>
struct block_int_bytes {
    std::uint8_t scale[ScaleBytes];
    std::uint8_t zp; // zero point in the low bits
    std::uint8_t qs[QBytes];
};
template <std::size_t ScaleBytes, std::size_t QBytes>
struct block_int_bytes<ScaleBytes, QBytes, false> {
    std::uint8_t scale[ScaleBytes];
    std::uint8_t qs[QBytes];
};
} // namespace block_detail

template <int Bits, std::size_t GroupSize, bool ZeroPoint = false, class ScaleT = f16>
struct block_int {
    static_assert(Bits == 2 || Bits == 3 || Bits == 4 || Bits == 8, "block_int: Bits must be one of 2, 3, 4, 8");
    static_assert(GroupSize == 32 || GroupSize == 64 || GroupSize == 128 || GroupSize == 256,
                  "block_int: GroupSize must be 32, 64, 128 or 256");
    static_assert(std::is_same_v<ScaleT, f16> || std::is_same_v<ScaleT, float>,
                  "block_int: ScaleT must be f16 or float (MatMulNBits' scale types)");

    static constexpr int bits = Bits;
    static constexpr bool has_zero_point = ZeroPoint;
    static constexpr unsigned levels = (1u << Bits) - 1u;
    static constexpr unsigned mid = 1u << (Bits - 1); // implicit zero point of symmetric blocks

    using block = block_detail::block_int_bytes<sizeof(ScaleT), GroupSize * Bits / 8, ZeroPoint>;
    static_assert(sizeof(block) == sizeof(ScaleT) + (ZeroPoint ? 1 : 0) + GroupSize * Bits / 8);

    static constexpr auto name_storage = block_detail::format_name{}
                                             .add("block_int_b")
                                             .add(static_cast<std::size_t>(Bits))
                                             .add("_g")
                                             .add(GroupSize)
                                             .add(ZeroPoint ? "_zp_" : "_")
                                             .add(block_detail::scale_suffix<ScaleT>());
    static constexpr std::string_view name = name_storage.view();
    static constexpr ggml_type type_id = ggml_type::none;
    static constexpr std::size_t block_size = GroupSize;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_0;

    static float scale_of(const block& b) noexcept { return block_detail::get_scale_bytes<ScaleT>(b.scale); }
    static unsigned zero_point_of(const block& b) noexcept {
        if constexpr (ZeroPoint) return b.zp & levels;
        else return mid;
    }

    // MLAS's blockwise quantizer (MlasQuantizeBlockwise), in float:
    //   symmetric: m = max if |max| > |min| else min (sign kept), scale = m / -2^(Bits-1), zp = 2^(Bits-1)
    //              (the extreme maps to code 0, i.e. -2^(Bits-1), using the grid's longer negative half);
    //   with zp:   min/max widened to contain 0, scale = (max - min) / (2^Bits - 1),
    //              zp = clamp(roundf(-min / scale), 0, 2^Bits - 1);
    //   q = clamp(roundf(x / scale_stored + zp), 0, 2^Bits - 1), roundf = ties away from zero.
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t g = 0; g < out.size(); ++g) {
            const float* xg = x.data() + g * block_size;
            block& b = out[g];
            std::memset(&b, 0, sizeof b);
            float scale = 0.0f;
            unsigned zp = mid;
            if constexpr (ZeroPoint) {
                float mn = 0.0f, mx = 0.0f;
                for (std::size_t j = 0; j < block_size; ++j) {
                    mn = std::min(mn, xg[j]);
                    mx = std::max(mx, xg[j]);
                }
                scale = (mx - mn) / static_cast<float>(levels);
                const float zf = scale != 0.0f ? -mn / scale : 0.0f;
                zp = block_detail::clamp_code(std::round(zf), levels);
                b.zp = static_cast<std::uint8_t>(zp);
            } else {
                float mn = xg[0], mx = xg[0];
                for (std::size_t j = 1; j < block_size; ++j) {
                    mn = std::min(mn, xg[j]);
                    mx = std::max(mx, xg[j]);
                }
                const float m = std::fabs(mx) > std::fabs(mn) ? mx : mn; // a tie picks the negative end
                scale = m / -static_cast<float>(mid);
            }
            block_detail::put_scale_bytes<ScaleT>(b.scale, scale);
            const float s = scale_of(b);
            const float inv = s != 0.0f ? 1.0f / s : 0.0f;
            for (std::size_t j = 0; j < block_size; ++j) {
                const float v = std::round(xg[j] * inv + static_cast<float>(zp));
                block_detail::put_code<Bits>(b.qs, j, block_detail::clamp_code(v, levels));
            }
        }
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t g = 0; g < in.size(); ++g) {
            const float s = scale_of(in[g]);
            const auto zp = static_cast<std::int32_t>(zero_point_of(in[g]));
            for (std::size_t j = 0; j < block_size; ++j) {
                const auto q = static_cast<std::int32_t>(block_detail::get_code<Bits>(in[g].qs, j));
                y[g * block_size + j] = static_cast<float>(q - zp) * s;
            }
        }
    }

    // Reference dot with q8_0 activations: per q8_0 block the exact integer sum of (q - zp) * a,
    // times both scales.
    static float dot(std::span<const block> w, std::span<const q8_0::block> a) {
        constexpr std::size_t per = GroupSize / q8_0::block_size;
        block_detail::check_same_blocks(name, w.size() * per, a.size());
        float sum = 0.0f;
        for (std::size_t g = 0; g < w.size(); ++g) {
            const float s = scale_of(w[g]);
            const auto zp = static_cast<std::int32_t>(zero_point_of(w[g]));
            for (std::size_t k = 0; k < per; ++k) {
                const q8_0::block& ab = a[g * per + k];
                // sum (q - zp) a = sum q a - zp sum a. Written split on purpose: GCC 12 with AVX512-VNNI
                // (-O2/-O3 -march=native) miscompiles the fused form (u8 - c) * s8 summed over 32 lanes.
                std::int32_t qa = 0, sa = 0;
                for (std::size_t j = 0; j < q8_0::block_size; ++j) {
                    qa += static_cast<std::int32_t>(block_detail::get_code<Bits>(w[g].qs, k * 32 + j)) * ab.qs[j];
                    sa += ab.qs[j];
                }
                sum += static_cast<float>(qa - zp * sa) * (s * ab.d.to_float());
            }
        }
        return sum;
    }
};

static_assert(BlockFormat<block_int<4, 32>>);
static_assert(BlockFormat<block_int<3, 64, true, float>>);

} // namespace qforge
