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

#include "qforge/core/config.hpp"
#include "qforge/core/error.hpp"
#include "qforge/ops/softmax.hpp"

#if QFORGE_ARCH_X86_64 && defined(__AVX512F__)
#include <immintrin.h>
#endif

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

// Causal attention of m consecutive query positions p0 .. p0 + m - 1 (m <= attention_block_queries; query j sees
// positions 0 .. p0 + j), for prompt processing: q holds m rows of n_heads*head_dim floats, out likewise. The m
// queries' dot products run in the lanes of one vector (queries side by side), each lane the chain of
// attention(): dot = 0; dot += q[i] * k[i] for i in order; dot * scale; then the same softmax and value sums.
// So every output equals attention() of that query bit for bit, whatever m and p0. Each key row is fetched once
// per block instead of once per query.
// Scratch: work at least attention_block_work(s) floats (the queries transposed, 16 value rows), scores at least
// attention_block_scores(s, p0 + m) floats.
inline constexpr std::size_t attention_block_queries = 16;

inline std::size_t attention_block_work(attention_shape s) noexcept {
    return (s.n_heads + s.n_kv_heads) * s.head_dim * attention_block_queries;
}
inline std::size_t attention_block_scores(attention_shape s, std::size_t positions) noexcept {
    return s.n_heads * attention_block_queries * positions;
}

namespace attention_detail {
#if QFORGE_ARCH_X86_64 && defined(__AVX512F__)
// o[0 .. w) += p[u] * v[u * stride + 0 .. w) for u = 0 .. len - 1 in order (multiply, then add), w <= 16 G: the
// G 16-lane groups of o stay in registers over the positions.
template <std::size_t G>
QFORGE_ALWAYS_INLINE void value_sums(float* o, std::size_t w, const float* p, const float* v, std::size_t stride,
                                     std::size_t len) noexcept {
    __mmask16 mask[G];
    __m512 a[G];
    for (std::size_t g = 0; g < G; ++g) {
        const std::size_t lanes = w > 16 * g ? std::min<std::size_t>(16, w - 16 * g) : 0;
        mask[g] = static_cast<__mmask16>((1u << lanes) - 1u);
        a[g] = _mm512_maskz_loadu_ps(mask[g], o + 16 * g);
    }
    for (std::size_t u = 0; u < len; ++u) {
        const __m512 pb = _mm512_set1_ps(p[u]);
        for (std::size_t g = 0; g < G; ++g)
            a[g] = _mm512_add_ps(a[g], _mm512_mul_ps(pb, _mm512_maskz_loadu_ps(mask[g], v + u * stride + 16 * g)));
    }
    for (std::size_t g = 0; g < G; ++g) _mm512_mask_storeu_ps(o + 16 * g, mask[g], a[g]);
}
#endif
} // namespace attention_detail

template <KvRowSource KeyRow, KvRowSource ValueRow>
void attention_block(std::span<const float> q, std::size_t m, attention_shape s, std::size_t p0, KeyRow&& key_row,
                     ValueRow&& value_row, std::span<float> work, std::span<float> scores, std::span<float> out) {
    constexpr std::size_t L = attention_block_queries;
    const std::size_t dim = s.n_heads * s.head_dim, kv_dim = s.n_kv_heads * s.head_dim, hd = s.head_dim;
    if (s.n_heads == 0 || s.n_kv_heads == 0 || s.head_dim == 0 || s.n_heads % s.n_kv_heads != 0)
        throw error(errc::shape, "attention_block: n_heads " + std::to_string(s.n_heads) +
                                     " is not a multiple of n_kv_heads " + std::to_string(s.n_kv_heads));
    const std::size_t T = p0 + m; // positions the last query sees
    if (m == 0 || m > L || q.size() != m * dim || out.size() != m * dim || work.size() < attention_block_work(s) ||
        scores.size() < attention_block_scores(s, T))
        throw error(errc::shape, "attention_block: 1..16 queries, q/out of m*n_heads*head_dim floats, scratch too small");
    const std::size_t group = s.n_heads / s.n_kv_heads;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    const std::span<float> qt = work.first(dim * L), vbuf = work.subspan(dim * L, L * kv_dim);
    // qt[c * L + j] = q[j][c]: column c of the m queries side by side (zeros in the unused lanes).
    for (std::size_t c = 0; c < dim; ++c)
        for (std::size_t j = 0; j < L; ++j) qt[c * L + j] = j < m ? q[j * dim + c] : 0.0f;
    // scores[(h * L + j) * T + t]: head h, query j, position t.
    for (std::size_t t = 0; t < T; ++t) {
        const std::span<const float> k = key_row(t);
        if (k.size() != kv_dim) throw error(errc::shape, "attention_block: a key row is not kv_dim floats");
        const std::size_t j0 = t > p0 ? t - p0 : 0; // the first query that sees t
        std::size_t h = 0;
#if QFORGE_ARCH_X86_64 && defined(__AVX512F__)
        // Four heads at a time: four independent add chains in flight (each lane: multiply, then add, as in
        // attention() under the library's -ffp-contract=off).
        for (; h + 4 <= s.n_heads; h += 4) {
            __m512 acc[4];
            const float* kh[4];
            for (std::size_t u = 0; u < 4; ++u) {
                acc[u] = _mm512_setzero_ps();
                kh[u] = k.data() + ((h + u) / group) * hd;
            }
            const float* qh = qt.data() + h * hd * L;
            for (std::size_t i = 0; i < hd; ++i)
                for (std::size_t u = 0; u < 4; ++u)
                    acc[u] = _mm512_add_ps(acc[u], _mm512_mul_ps(_mm512_loadu_ps(qh + (u * hd + i) * L),
                                                                 _mm512_set1_ps(kh[u][i])));
            for (std::size_t u = 0; u < 4; ++u) {
                alignas(64) float lanes[L];
                _mm512_store_ps(lanes, _mm512_mul_ps(acc[u], _mm512_set1_ps(scale)));
                float* sc = scores.data() + (h + u) * L * T + t;
                for (std::size_t j = j0; j < m; ++j) sc[j * T] = lanes[j];
            }
        }
#endif
        for (; h < s.n_heads; ++h) {
            const float* kh = k.data() + (h / group) * hd;
            const float* qh = qt.data() + h * hd * L;
            float acc[L] = {};
            for (std::size_t i = 0; i < hd; ++i) {
                const float kb = kh[i];
                for (std::size_t j = 0; j < L; ++j) acc[j] += qh[i * L + j] * kb;
            }
            float* sc = scores.data() + h * L * T + t;
            for (std::size_t j = j0; j < m; ++j) sc[j * T] = acc[j] * scale;
        }
    }
    for (std::size_t j = 0; j < m; ++j) {
        const std::size_t n = p0 + j + 1;
        for (std::size_t h = 0; h < s.n_heads; ++h) softmax(scores.subspan((h * L + j) * T, n));
    }
#if QFORGE_ARCH_X86_64 && defined(__AVX512F__)
    // Value sums in chunks of 16 positions, their rows copied once per chunk (for all m queries): each output
    // is still 0 + p[0] v[0] + p[1] v[1] + ... in position order, carried from chunk to chunk in `out`.
    for (float& v : out) v = 0.0f;
    for (std::size_t t0 = 0; t0 < T; t0 += L) {
        const std::size_t tc = std::min(L, T - t0);
        for (std::size_t u = 0; u < tc; ++u) {
            const std::span<const float> v = value_row(t0 + u);
            if (v.size() != kv_dim) throw error(errc::shape, "attention_block: a value row is not kv_dim floats");
            std::copy(v.begin(), v.end(), vbuf.begin() + static_cast<std::ptrdiff_t>(u * kv_dim));
        }
        for (std::size_t j = t0 > p0 ? t0 - p0 : 0; j < m; ++j) {
            const std::size_t len = std::min(tc, p0 + j + 1 - t0); // the chunk's positions query j sees
            for (std::size_t h = 0; h < s.n_heads; ++h) {
                const float* pr = scores.data() + (h * L + j) * T + t0;
                float* oh = out.data() + j * dim + h * hd;
                const float* vh = vbuf.data() + (h / group) * hd;
                for (std::size_t i0 = 0; i0 < hd; i0 += 64) {
                    const std::size_t w = std::min<std::size_t>(64, hd - i0);
                    if (w > 48) attention_detail::value_sums<4>(oh + i0, w, pr, vh + i0, kv_dim, len);
                    else if (w > 32) attention_detail::value_sums<3>(oh + i0, w, pr, vh + i0, kv_dim, len);
                    else if (w > 16) attention_detail::value_sums<2>(oh + i0, w, pr, vh + i0, kv_dim, len);
                    else attention_detail::value_sums<1>(oh + i0, w, pr, vh + i0, kv_dim, len);
                }
            }
        }
    }
    return;
#endif
    for (std::size_t j = 0; j < m; ++j) {
        const std::size_t n = p0 + j + 1;
        const std::span<float> o = out.subspan(j * dim, dim);
        for (float& v : o) v = 0.0f;
        for (std::size_t t = 0; t < n; ++t) {
            const std::span<const float> v = value_row(t);
            if (v.size() != kv_dim) throw error(errc::shape, "attention_block: a value row is not kv_dim floats");
            for (std::size_t h = 0; h < s.n_heads; ++h) {
                const float p = scores[(h * L + j) * T + t];
                float* oh = o.data() + h * hd;
                const float* vh = v.data() + (h / group) * hd;
                for (std::size_t i = 0; i < hd; ++i) oh[i] += p * vh[i];
            }
        }
    }
}

} // namespace qforge
