// qforge/ops/attention.hpp: causal grouped-query attention of one query position over cached keys/values.
//
// Query head h reads KV head h / (n_heads / n_kv_heads). Positions 0..n_ctx-1 are visible (the causal mask is
// the bound n_ctx: the caller stores the current position's K/V before calling). Rows come from callables so
// that the KV cache may hold f32, f16 or q8_0: key_row(t) / value_row(t) return the kv_dim floats of
// position t (dequantized once per position, shared by every head that reads them).
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>

#include "qforge/core/error.hpp"
#include "qforge/ops/softmax.hpp"

namespace qforge {

struct attention_shape {
    std::size_t n_heads = 0;
    std::size_t n_kv_heads = 0;
    std::size_t head_dim = 0;
};

template <class RowFn>
concept KvRowSource = requires(RowFn f, std::size_t t) {
    { f(t) } -> std::convertible_to<std::span<const float>>; // kv_dim floats of position t
};

// q: n_heads*head_dim; out: same; scores: at least n_heads*n_ctx floats of scratch.
template <KvRowSource KeyRow, KvRowSource ValueRow>
void attention(std::span<const float> q, attention_shape s, std::size_t n_ctx, KeyRow&& key_row, ValueRow&& value_row,
               std::span<float> scores, std::span<float> out) {
    const std::size_t dim = s.n_heads * s.head_dim, kv_dim = s.n_kv_heads * s.head_dim;
    if (s.n_heads == 0 || s.n_kv_heads == 0 || s.head_dim == 0 || s.n_heads % s.n_kv_heads != 0)
        throw error(errc::shape, "attention: n_heads " + std::to_string(s.n_heads) + " is not a multiple of n_kv_heads " +
                                     std::to_string(s.n_kv_heads));
    if (q.size() != dim || out.size() != dim || n_ctx == 0 || scores.size() < s.n_heads * n_ctx)
        throw error(errc::shape, "attention: q/out must hold n_heads*head_dim floats and scores n_heads*n_ctx");
    const std::size_t group = s.n_heads / s.n_kv_heads;
    const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
    for (std::size_t t = 0; t < n_ctx; ++t) {
        const std::span<const float> k = key_row(t);
        if (k.size() != kv_dim) throw error(errc::shape, "attention: a key row is not kv_dim floats");
        // Four heads side by side: four independent sums in flight instead of one latency-bound chain, each
        // still the sequential sum over i (the bits of one head at a time, and of llama2.c).
        std::size_t h = 0;
        for (; h + 4 <= s.n_heads; h += 4) {
            const float* qh[4];
            const float* kh[4];
            for (std::size_t j = 0; j < 4; ++j) {
                qh[j] = q.data() + (h + j) * s.head_dim;
                kh[j] = k.data() + ((h + j) / group) * s.head_dim;
            }
            float dot[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (std::size_t i = 0; i < s.head_dim; ++i)
                for (std::size_t j = 0; j < 4; ++j) dot[j] += qh[j][i] * kh[j][i];
            for (std::size_t j = 0; j < 4; ++j) scores[(h + j) * n_ctx + t] = dot[j] * scale;
        }
        for (; h < s.n_heads; ++h) {
            const float* qh = q.data() + h * s.head_dim;
            const float* kh = k.data() + (h / group) * s.head_dim;
            float dot = 0.0f;
            for (std::size_t i = 0; i < s.head_dim; ++i) dot += qh[i] * kh[i];
            scores[h * n_ctx + t] = dot * scale;
        }
    }
    for (std::size_t h = 0; h < s.n_heads; ++h) softmax(scores.subspan(h * n_ctx, n_ctx));
    for (float& v : out) v = 0.0f;
    for (std::size_t t = 0; t < n_ctx; ++t) {
        const std::span<const float> v = value_row(t);
        if (v.size() != kv_dim) throw error(errc::shape, "attention: a value row is not kv_dim floats");
        for (std::size_t h = 0; h < s.n_heads; ++h) {
            const float p = scores[h * n_ctx + t];
            float* oh = out.data() + h * s.head_dim;
            const float* vh = v.data() + (h / group) * s.head_dim;
            for (std::size_t i = 0; i < s.head_dim; ++i) oh[i] += p * vh[i];
        }
    }
}

} // namespace qforge
