// qforge/block/f32.hpp: plain float32 storage as a (trivial) block format: one value per block.
#pragma once

#include <cstring>
#include <span>
#include <string_view>

#include "qforge/block/detail/check.hpp"
#include "qforge/core/concepts.hpp"

namespace qforge {

struct f32 {
    struct block {
        float v;
    };
    static_assert(sizeof(block) == 4);

    static constexpr std::string_view name = "f32";
    static constexpr ggml_type type_id = ggml_type::f32;
    static constexpr std::size_t block_size = 1;
    static constexpr std::size_t block_bytes = sizeof(block);
    static constexpr double bits_per_weight = 32.0;
    using dot_partner = f32;

    static void quantize(std::span<const float> x, std::span<block> out) {
        block_detail::check_sizes(name, x.size(), out.size(), block_size);
        if (!x.empty()) std::memcpy(out.data(), x.data(), x.size() * sizeof(float));
    }
    static void dequantize(std::span<const block> in, std::span<float> y) {
        block_detail::check_sizes(name, y.size(), in.size(), block_size);
        if (!y.empty()) std::memcpy(y.data(), in.data(), y.size() * sizeof(float));
    }
    // Reference dot: sequential f32 accumulation (SIMD kernels may differ in the last bits).
    static float dot(std::span<const block> w, std::span<const block> a) {
        block_detail::check_same_blocks(name, w.size(), a.size());
        float s = 0.0f;
        for (std::size_t i = 0; i < w.size(); ++i) s += w[i].v * a[i].v;
        return s;
    }
};

static_assert(BlockFormat<f32>);

} // namespace qforge
