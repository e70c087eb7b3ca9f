// qforge/block/mxfp4.hpp: ggml's MXFP4 (OCP microscaling FP4). 32 values as 4-bit E2M1 floats sharing one
// E8M0 power-of-two scale; 4.25 bits per weight. Byte layout (17 bytes): e (u8, E8M0 exponent) | qs[16]:
// byte j holds the code of value j in its low nibble and of value j+16 in its high nibble.
// Value i = kvalues[code_i] * 2^(e - 128), where kvalues are the E2M1 values doubled (0, ±1, ±2, ±3, ±4,
// ±6, ±8, ±12), so 2^(e-128) is half of the E8M0 scale 2^(e-127).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/block/detail/ggml_math.hpp"
#include "qforge/block/q8_0.hpp"
#include "qforge/core/concepts.hpp"

namespace qforge {

struct mxfp4 {
    struct block {
        std::uint8_t e;      // E8M0 shared exponent
        std::uint8_t qs[16]; // E2M1 codes: low nibble = values 0..15, high nibble = values 16..31
    };
    static_assert(sizeof(block) == 17);

    static constexpr std::string_view name = "mxfp4";
    static constexpr ggml_type type_id = ggml_type::mxfp4;
    static constexpr std::size_t block_size = 32;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 8.0 * block_bytes / block_size;
    using dot_partner = q8_0;

    // ggml's kvalues_mxfp4: code -> twice the E2M1 value (codes 8..15 are the negatives; 8 is -0 = 0).
    static constexpr std::int8_t values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    // ggml's quantize_row_mxfp4_ref: e = floor(log2(absmax)) - 2 + 127 (so the largest magnitude lands near
    // the top code), then for every value the code whose value is nearest (first code on ties). ggml takes
    // no importance matrix for MXFP4.
    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        for (std::size_t i = 0; i < out.size(); ++i) quantize_block(x.data() + i * block_size, out[i]);
    }

    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const float d = block_detail::e8m0_to_f32_half(in[i].e);
            float* yb = y.data() + i * block_size;
            for (int j = 0; j < 16; ++j) {
                yb[j] = static_cast<float>(values[in[i].qs[j] & 0x0f]) * d;
                yb[j + 16] = static_cast<float>(values[in[i].qs[j] >> 4]) * d;
            }
        }
    }

    // ggml's vec_dot_mxfp4_q8_0 (scalar order): (d_a * 2^(e-128)) * sum(value * q_a) per block.
    static float dot(std::span<const block> w, std::span<const q8_0::block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float sum = 0.0f;
        for (std::size_t i = 0; i < w.size(); ++i) {
            const float d = a[i].d.to_float() * block_detail::e8m0_to_f32_half(w[i].e);
            std::int32_t s = 0;
            for (int j = 0; j < 16; ++j) {
                s += a[i].qs[j] * values[w[i].qs[j] & 0x0f];
                s += a[i].qs[j + 16] * values[w[i].qs[j] >> 4];
            }
            sum += d * static_cast<float>(s);
        }
        return sum;
    }

    static void quantize_block(const float* x, block& out) noexcept {
        const float amax = block_detail::absmax<32>(x);
        // log2f as ggml calls it (the C library's): near powers of two its rounding decides the exponent.
        const std::uint8_t e = amax > 0.0f ? block_detail::trunc_to_u8(std::floor(std::log2(amax)) - 2.0f + 127.0f) : 0;
        const float d = block_detail::e8m0_to_f32_half(e);
        out.e = e;
        for (int j = 0; j < 16; ++j) out.qs[j] = static_cast<std::uint8_t>(code(x[j], d) | (code(x[j + 16], d) << 4));
    }

    // ggml's best_index_mxfp4: the code with the smallest |value * d - v|, strict "<" so that the first code
    // wins ties. The errors are compared as integer bits, which order non-negative floats as the float
    // compare does; and the errors are either all NaN (v is NaN: every compare false, code 0) or none.
    // Integer selects keep the loop over a block vectorizable (float selects here are not if-converted).
    static std::uint8_t code(float v, float d) noexcept {
        const auto err = [v, d](int k) {
            return std::bit_cast<std::uint32_t>(std::fabs(static_cast<float>(values[k]) * d - v));
        };
        std::uint32_t best_err = err(0);
        int best = 0;
        for (int k = 1; k < 16; ++k) {
            const std::uint32_t e = err(k);
            const bool better = e < best_err;
            best_err = better ? e : best_err;
            best = better ? k : best;
        }
        return static_cast<std::uint8_t>(best);
    }
};

static_assert(BlockFormat<mxfp4>);

} // namespace qforge
