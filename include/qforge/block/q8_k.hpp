// qforge/block/q8_k.hpp: ggml's Q8_K, the activation format that K-quant, iq4_xs and ternary dot products
// pair with. 256 int8 values, one f32 scale and the sums of each 16 quants; 9.125 bits per weight.
// Byte layout (292 bytes): d (f32) | qs[256] (int8) | bsums[16] (int16, sum of qs[16j..16j+15]).
// Value i = d * qs[i]. The bsums let a dot product apply a weight format's per-16 minimum in one step.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/kquant_math.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/config.hpp"

QFORGE_FP_EXACT_BEGIN

namespace qforge {

struct q8_k {
    struct block {
        float d;                // scale
        std::int8_t qs[256];    // quants
        std::int16_t bsums[16]; // sums of 16 consecutive quants
    };
    static_assert(sizeof(block) == 292);

    static constexpr std::string_view name = "q8_k";
    static constexpr ggml_type type_id = ggml_type::q8_k;
    static constexpr std::size_t block_size = 256;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_k;

    // ggml's quantize_row_q8_K_ref: d = max / -127 with max the signed value of largest magnitude, so that
    // this value maps to exactly -127; q = nearest_int(x * -127 / max), capped at 127.
    // An all-zero block gets d = 0, qs = 0 and bsums = 0 (ggml leaves its bsums unwritten).
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block(x.data() + i * block_size, out[i]);
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t i = 0; i < in.size(); ++i)
            for (std::size_t j = 0; j < block_size; ++j)
                y[i * block_size + j] = in[i].d * static_cast<float>(in[i].qs[j]);
    }

    // q8_k against itself (ggml has no such kernel: q8_k is only ever the activation side). Per block an
    // exact integer sum scaled by both scales.
    static float dot(std::span<const block> w, std::span<const block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float sum = 0.0f;
        for (std::size_t i = 0; i < w.size(); ++i) {
            std::int32_t s = 0;
            for (std::size_t j = 0; j < block_size; ++j) s += w[i].qs[j] * a[i].qs[j];
            sum += static_cast<float>(s) * (w[i].d * a[i].d);
        }
        return sum;
    }

private:
    static void quantize_block(const float* x, block& y) noexcept {
        float max = 0;
        float amax = 0;
        for (int j = 0; j < 256; ++j) {
            const float ax = std::fabs(x[j]);
            if (ax > amax) {
                amax = ax;
                max = x[j];
            }
        }
        if (amax == 0.0f) {
            y = block{};
            return;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < 256; ++j) {
            const int v = block_detail::nearest_int(iscale * x[j]);
            y.qs[j] = static_cast<std::int8_t>(v < 127 ? v : 127);
        }
        for (int j = 0; j < 16; ++j) {
            int sum = 0;
            for (int l = 0; l < 16; ++l) sum += y.qs[16 * j + l];
            y.bsums[j] = static_cast<std::int16_t>(sum);
        }
        y.d = 1 / iscale;
    }
};

static_assert(BlockFormat<q8_k>);

} // namespace qforge

QFORGE_FP_EXACT_END
