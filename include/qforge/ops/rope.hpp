// qforge/ops/rope.hpp: rotary position embedding.
// Two layouts exist in the wild:
//   adjacent (llama.cpp's LLAMA_ROPE_TYPE_NORM, llama2.c): rotate pairs (x[2i], x[2i+1]);
//   neox     (LLAMA_ROPE_TYPE_NEOX, HF checkpoints):       rotate pairs (x[i], x[i + head_dim/2]).
// Pair i of a head turns by pos * base^(-2i/head_dim). The angles are computed as ggml computes them (the
// frequency as a running product of powf(base, -2/head_dim), cos/sin in float), once per position.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>

#include "qforge/core/error.hpp"

namespace qforge {

enum class rope_layout { adjacent, neox };

// cos_sin receives head_dim/2 (cos, sin) pairs, interleaved: [c0, s0, c1, s1, ...] (head_dim floats).
inline void rope_angles(std::size_t pos, std::size_t head_dim, float base, std::span<float> cos_sin) {
    if (head_dim == 0 || head_dim % 2 != 0 || cos_sin.size() != head_dim)
        throw error(errc::shape, "rope: head_dim must be even and cos_sin must hold head_dim floats (head_dim " +
                                     std::to_string(head_dim) + ", cos_sin " + std::to_string(cos_sin.size()) + ")");
    const float scale = std::pow(base, -2.0f / static_cast<float>(head_dim));
    float theta = static_cast<float>(pos);
    for (std::size_t i = 0; i < head_dim / 2; ++i) {
        cos_sin[2 * i] = std::cos(theta);
        cos_sin[2 * i + 1] = std::sin(theta);
        theta *= scale;
    }
}

// Rotates every head of x (n_heads * head_dim floats) by the angles of rope_angles().
inline void apply_rope(std::span<float> x, std::size_t head_dim, std::span<const float> cos_sin, rope_layout layout) {
    if (head_dim == 0 || x.size() % head_dim != 0 || cos_sin.size() != head_dim)
        throw error(errc::shape, "rope: x (" + std::to_string(x.size()) + " floats) is not whole heads of " +
                                     std::to_string(head_dim) + ", or cos_sin does not match");
    const std::size_t half = head_dim / 2;
    for (std::size_t h = 0; h < x.size(); h += head_dim) {
        float* v = x.data() + h;
        for (std::size_t i = 0; i < half; ++i) {
            const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
            const std::size_t a = layout == rope_layout::adjacent ? 2 * i : i;
            const std::size_t b = layout == rope_layout::adjacent ? 2 * i + 1 : i + half;
            const float x0 = v[a], x1 = v[b];
            v[a] = x0 * c - x1 * s;
            v[b] = x0 * s + x1 * c;
        }
    }
}

} // namespace qforge
