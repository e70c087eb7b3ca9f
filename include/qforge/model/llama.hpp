// qforge/model/llama.hpp: the Llama-architecture engine, llama<Dims, Recipe, Backend, Kv>.
//
// One implementation serves every specialization:
//   Dims    llama_dims<...> (shape constants folded into the code) or dynamic_dims (shape from the file);
//   Recipe  recipe<F, role<R, G>...> (each weight a qmatrix_view<F>, checked at load) or runtime_recipe
//           (each weight an any_qmatrix, dispatched once per matrix over the closed format list);
//   Backend the kernel policy that runs gemv/gemm;
//   Kv      kv_f32 / kv_f16 / kv_q8_0, the KV cache storage.
//
// forward() runs a batch of tokens at consecutive positions: n > 1 goes through gemm (prompt processing),
// n == 1 through gemv (generation). All buffers are allocated once in load(): a forward pass never touches
// the heap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/io/tokenizer.hpp"
#include "qforge/backend.hpp"
#include "qforge/model/dims.hpp"
#include "qforge/model/kv_cache.hpp"
#include "qforge/model/recipe.hpp"
#include "qforge/model/weights.hpp"
#include "qforge/ops/activation.hpp"
#include "qforge/ops/attention.hpp"
#include "qforge/ops/embedding.hpp"
#include "qforge/ops/gemm.hpp"
#include "qforge/ops/gemv.hpp"
#include "qforge/ops/interleaved.hpp"
#include "qforge/io/mmap.hpp"
#include "qforge/ops/norm.hpp"
#include "qforge/ops/rope.hpp"

namespace qforge {

struct load_options {
    std::size_t n_ctx = 0;      // KV cache positions; 0 = the model's context length
    std::size_t max_batch = 64; // tokens per gemm pass in prompt processing
    // Matrices re-laid at load (ops/interleaved.hpp) where the backend runs the layout natively: q4_k and q6_k
    // 8 rows interleaved (AVX-512 VNNI: faster GEMV, the same bits as their panel GEMMs), f32 in 16-row k-major
    // panels (AVX-512: the prompt's GEMM without a per-call repack; a row's bits no longer depend on n). The
    // file's pages of those tensors are then released (memory-mapped files), so the copies do not add to the
    // resident set.
    bool interleave = true;
};

namespace llama_detail {

template <class Recipe, class Role>
struct weight {
    using type = qmatrix_view<recipe_format_t<Recipe, Role>>;
    static type bind(const weight_source& s, const std::string& name, std::size_t rows, std::size_t cols) {
        return bind_matrix<recipe_format_t<Recipe, Role>>(s, name, rows, cols);
    }
};

// A matrix of the engine: the bound tensor, and its interleaved copy when load() made one.
template <class W>
struct mat {
    W w;
    std::variant<std::monostate, std::shared_ptr<const q4_k_x8_matrix>, std::shared_ptr<const q6_k_x8_matrix>,
                 std::shared_ptr<const f32_x16_matrix>>
        x8;
    bool interleaved() const noexcept { return x8.index() != 0; }
};

template <class Role>
struct weight<runtime_recipe, Role> {
    using type = any_qmatrix;
    static type bind(const weight_source& s, const std::string& name, std::size_t rows, std::size_t cols) {
        return bind_any_matrix(s, name, rows, cols);
    }
};

// n == 1: the generation path (gemv); n > 1: prompt processing (gemm, each weight row reused n times).
template <Backend B, BlockFormat F>
void matmul(const B& be, qmatrix_view<F> w, std::span<const float> x, std::size_t n, std::span<float> y) {
    if (n == 1) gemv(be, w, x, y);
    else gemm(be, w, x, n, y);
}

template <Backend B>
void matmul(const B& be, const any_qmatrix& w, std::span<const float> x, std::size_t n, std::span<float> y) {
    w.visit([&](auto view) { matmul(be, view, x, n, y); });
}

template <Backend B, class W>
void matmul(const B& be, const mat<W>& m, std::span<const float> x, std::size_t n, std::span<float> y) {
    if (const auto* p4 = std::get_if<1>(&m.x8)) gemm(be, **p4, x, n, y);
    else if (const auto* p6 = std::get_if<2>(&m.x8)) gemm(be, **p6, x, n, y);
    else if (const auto* pf = std::get_if<3>(&m.x8)) gemm(be, **pf, x, n, y);
    else matmul(be, m.w, x, n, y);
}

// Makes m's interleaved copy if its tensor is q4_k or q6_k (kquants) or f32 (f32s); then releases the file pages
// it was read from (only for a memory-mapped file: its pages come back from the file if anything reads them again).
template <class W>
void interleave(mat<W>& m, const weight_source& src, bool kquants, bool f32s) {
    const auto pack = [&]<class V>(V v) {
        const auto* begin = reinterpret_cast<const std::byte*>(v.data);
        const std::byte* done = begin; // released up to here (then page-aligned)
        const auto consumed = [&](const void* p, std::size_t n) { // every 256 KiB read, as packing goes
            const auto* end = static_cast<const std::byte*>(p) + n;
            if (src.mapped && end - done >= (std::ptrdiff_t{1} << 18)) {
                done = release_pages(done, static_cast<std::size_t>(end - done));
            }
        };
        if constexpr (std::is_same_v<V, qmatrix_view<q4_k>>) {
            if (!kquants) return;
            m.x8 = std::make_shared<const q4_k_x8_matrix>(q4_k_x8_matrix::pack(v, consumed));
        } else if constexpr (std::is_same_v<V, qmatrix_view<q6_k>>) {
            if (!kquants) return;
            m.x8 = std::make_shared<const q6_k_x8_matrix>(q6_k_x8_matrix::pack(v, consumed));
        } else if constexpr (std::is_same_v<V, qmatrix_view<f32>>) {
            if (!f32s) return;
            m.x8 = std::make_shared<const f32_x16_matrix>(f32_x16_matrix::pack(v, consumed));
        } else {
            return;
        }
        const auto* end = begin + v.rows * v.blocks_per_row() * sizeof(*v.data);
        if (src.mapped && end > done) release_pages(done, static_cast<std::size_t>(end - done));
    };
    if constexpr (std::is_same_v<W, any_qmatrix>) m.w.visit(pack);
    else pack(m.w);
}

// Scratch floats allocated at load but not touched (so not resident) until used; a copied engine gets its own.
class lazy_floats {
public:
    lazy_floats() = default;
    explicit lazy_floats(std::size_t n) : n_(n), p_(n ? new float[n] : nullptr) {}
    lazy_floats(const lazy_floats& o) : lazy_floats(o.n_) {}
    lazy_floats& operator=(const lazy_floats& o) {
        if (this != &o) *this = lazy_floats(o.n_);
        return *this;
    }
    lazy_floats(lazy_floats&&) noexcept = default;
    lazy_floats& operator=(lazy_floats&&) noexcept = default;
    float* data() noexcept { return p_.get(); }
    std::size_t size() const noexcept { return n_; }

private:
    std::size_t n_ = 0;
    std::unique_ptr<float[]> p_;
};

// Releases the whole file pages inside the tensor m was copied from, if it was re-laid (a memory-mapped file).
template <class W>
void release_relaid(const mat<W>& m) {
    if (!m.interleaved()) return;
    const auto release = [](auto v) {
        release_pages(v.data, v.rows * v.blocks_per_row() * sizeof(*v.data));
    };
    if constexpr (std::is_same_v<W, any_qmatrix>) m.w.visit(release);
    else release(m.w);
}

template <BlockFormat F>
void embed_row(qmatrix_view<F> table, std::size_t token, std::span<float> out) { embed(table, token, out); }
inline void embed_row(const any_qmatrix& table, std::size_t token, std::span<float> out) {
    table.visit([&](auto view) { embed(view, token, out); });
}

} // namespace llama_detail

template <class Dims, class Recipe, Backend Be = cpu_auto, class Kv = kv_f32>
class llama {
    template <class Role>
    using weight_t = typename llama_detail::weight<Recipe, Role>::type;

    template <class Role>
    using mat_t = llama_detail::mat<weight_t<Role>>;

    struct layer {
        std::span<const float> attn_norm, ffn_norm;
        mat_t<attn_q> wq;
        mat_t<attn_k> wk;
        mat_t<attn_v> wv;
        mat_t<attn_output> wo;
        mat_t<ffn_gate> gate;
        mat_t<ffn_up> up;
        mat_t<ffn_down> down;
    };

public:
    using dims_type = Dims;
    using recipe_type = Recipe;
    using backend_type = Be;

    // Binds every tensor of `src` (zero-copy: `src`'s memory must outlive the engine) and sizes all buffers.
    static llama load(const weight_source& src, load_options opt = {}, Be be = {}) {
        llama m;
        m.be_ = be;
        m.p_ = src.params;
        m.p_.validate(src.file);
        m.d_.bind(m.p_, src.file);
        const std::size_t dim = m.p_.dim, hidden = m.p_.hidden, kv = m.p_.kv_dim(), vocab = m.p_.vocab;
        m.embd_ = llama_detail::weight<Recipe, token_embd>::bind(src, "token_embd.weight", vocab, dim);
        if (src.find("output.weight")) {
            m.out_.w = llama_detail::weight<Recipe, output>::bind(src, "output.weight", vocab, dim);
        } else if constexpr (std::is_same_v<weight_t<output>, weight_t<token_embd>>) {
            m.out_.w = m.embd_; // tied classifier (the embedding lookup keeps reading the file's rows)
        } else {
            throw error(errc::type, "the file has a tied classifier (no output.weight) but the engine type's output "
                                    "format differs from its token_embd format", {src.file, "output.weight", {}});
        }
        m.out_norm_ = bind_vector(src, "output_norm.weight", dim);
        m.layers_.resize(m.p_.n_layers);
        for (std::size_t l = 0; l < m.p_.n_layers; ++l) {
            const std::string b = "blk." + std::to_string(l) + ".";
            auto& L = m.layers_[l];
            L.attn_norm = bind_vector(src, b + "attn_norm.weight", dim);
            L.ffn_norm = bind_vector(src, b + "ffn_norm.weight", dim);
            L.wq.w = llama_detail::weight<Recipe, attn_q>::bind(src, b + "attn_q.weight", dim, dim);
            L.wk.w = llama_detail::weight<Recipe, attn_k>::bind(src, b + "attn_k.weight", kv, dim);
            L.wv.w = llama_detail::weight<Recipe, attn_v>::bind(src, b + "attn_v.weight", kv, dim);
            L.wo.w = llama_detail::weight<Recipe, attn_output>::bind(src, b + "attn_output.weight", dim, dim);
            L.gate.w = llama_detail::weight<Recipe, ffn_gate>::bind(src, b + "ffn_gate.weight", hidden, dim);
            L.up.w = llama_detail::weight<Recipe, ffn_up>::bind(src, b + "ffn_up.weight", hidden, dim);
            L.down.w = llama_detail::weight<Recipe, ffn_down>::bind(src, b + "ffn_down.weight", dim, hidden);
        }
        const bool kquants = opt.interleave && interleaved_usable(be), f32s = opt.interleave && f32_x16_usable(be);
        if (kquants || f32s) {
            // Once its matrices are re-laid, the engine reads nothing from the file but the norm vectors (and the
            // embedding rows of an untied table): copies of those few KiB let the file's pages go for good. They
            // are made first. Reading a page maps its neighbours too (fault-around, large folios), possibly pages
            // already released: a last sweep below releases every re-laid tensor's pages and the norms' again.
            std::vector<std::span<const float>> norms_in_file;
            if (src.mapped) norms_in_file = m.own_norms();
            llama_detail::interleave(m.out_, src, kquants, f32s);
            // A tied classifier's file rows were released with it: the embedding reads the copy from then on.
            m.embd_from_out_ = m.out_.interleaved() && !src.find("output.weight");
            for (auto& L : m.layers_) { // the matrices' types differ per role in a static recipe
                llama_detail::interleave(L.wq, src, kquants, f32s);
                llama_detail::interleave(L.wk, src, kquants, f32s);
                llama_detail::interleave(L.wv, src, kquants, f32s);
                llama_detail::interleave(L.wo, src, kquants, f32s);
                llama_detail::interleave(L.gate, src, kquants, f32s);
                llama_detail::interleave(L.up, src, kquants, f32s);
                llama_detail::interleave(L.down, src, kquants, f32s);
            }
            if (src.mapped) {
                for (const auto v : norms_in_file) release_pages_around(v.data(), v.size_bytes());
                llama_detail::release_relaid(m.out_);
                for (const auto& L : m.layers_) {
                    llama_detail::release_relaid(L.wq);
                    llama_detail::release_relaid(L.wk);
                    llama_detail::release_relaid(L.wv);
                    llama_detail::release_relaid(L.wo);
                    llama_detail::release_relaid(L.gate);
                    llama_detail::release_relaid(L.up);
                    llama_detail::release_relaid(L.down);
                }
            }
        }
        m.allocate(opt);
        return m;
    }

    const model_params& params() const noexcept { return p_; }
    std::size_t n_ctx() const noexcept { return kv_.n_ctx(); }
    std::size_t max_batch() const noexcept { return batch_; }
    std::size_t kv_bytes() const noexcept { return kv_.bytes(); }
    // How many matrices load() re-laid in an interleaved layout (load_options::interleave).
    std::size_t interleaved_matrices() const noexcept {
        std::size_t c = out_.interleaved() ? 1 : 0;
        for (const auto& L : layers_)
            for (const bool b : {L.wq.interleaved(), L.wk.interleaved(), L.wv.interleaved(), L.wo.interleaved(),
                                 L.gate.interleaved(), L.up.interleaved(), L.down.interleaved()})
                c += b;
        return c;
    }

    // Runs tokens at positions pos, pos+1, ... (earlier positions must already be in the KV cache) and
    // returns the logits after the last one. The span stays valid until the next call.
    std::span<const float> forward(std::span<const token_id> tokens, std::size_t pos) {
        require(!tokens.empty(), errc::invalid_argument, "llama::forward: no tokens");
        if (pos + tokens.size() > kv_.n_ctx())
            throw error(errc::invalid_argument, "llama::forward: positions " + std::to_string(pos) + ".." +
                                                    std::to_string(pos + tokens.size() - 1) + " exceed the context of " +
                                                    std::to_string(kv_.n_ctx()));
        for (const token_id t : tokens)
            if (t < 0 || static_cast<std::size_t>(t) >= p_.vocab)
                throw error(errc::invalid_argument, "llama::forward: token id " + std::to_string(t) +
                                                        " is outside the vocabulary of " + std::to_string(p_.vocab));
        for (std::size_t done = 0; done < tokens.size(); done += batch_) {
            const std::size_t n = std::min(batch_, tokens.size() - done);
            run_batch(tokens.subspan(done, n), pos + done);
        }
        return logits_;
    }

    // Greedy or sampled generation: feeds the prompt (at position 0), then emits n tokens through
    // on_token(id). The last emitted token is not fed back. Returns the number of tokens emitted (fewer
    // than n only when the context is full). `sample(logits, history)` picks each token.
    template <class Sampler, class OnToken>
    std::size_t generate(std::span<const token_id> prompt, Sampler&& sample, std::size_t n, OnToken&& on_token) {
        require(!prompt.empty(), errc::invalid_argument, "llama::generate: the prompt needs at least one token (BOS)");
        require(prompt.size() <= kv_.n_ctx(), errc::invalid_argument, "llama::generate: the prompt exceeds the context");
        std::copy(prompt.begin(), prompt.end(), history_.begin());
        std::size_t len = prompt.size();
        forward(prompt, 0);
        std::size_t emitted = 0;
        while (emitted < n) {
            const token_id t = sample(std::span<float>(logits_), std::span<const token_id>(history_.data(), len));
            on_token(t);
            ++emitted;
            if (emitted == n || len >= kv_.n_ctx()) break;
            history_[len] = t;
            forward({&history_[len], 1}, len);
            ++len;
        }
        return emitted;
    }

private:
    // Copies the norm vectors out of the file mapping and releases the pages they were read from; returns where
    // they were in the file.
    std::vector<std::span<const float>> own_norms() {
        std::vector<std::span<const float>> in_file;
        const std::size_t dim = p_.dim;
        auto copies = std::make_shared<std::vector<float>>((2 * layers_.size() + 1) * dim);
        std::size_t at = 0;
        const auto own = [&](std::span<const float>& v) {
            float* dst = copies->data() + at;
            in_file.push_back(v);
            std::copy(v.begin(), v.end(), dst);
            release_pages_around(v.data(), v.size_bytes());
            v = std::span<const float>(dst, v.size());
            at += v.size();
        };
        for (auto& L : layers_) {
            own(L.attn_norm);
            own(L.ffn_norm);
        }
        own(out_norm_);
        norms_ = std::move(copies);
        return in_file;
    }

    void allocate(const load_options& opt) {
        const std::size_t ctx = opt.n_ctx ? opt.n_ctx : p_.seq_len;
        require(ctx > 0 && ctx <= p_.seq_len, errc::invalid_argument,
                "load_options::n_ctx must be in [1, the model's context length " + std::to_string(p_.seq_len) + "]");
        require(opt.max_batch > 0 && opt.max_batch <= 4096, errc::invalid_argument, "load_options::max_batch must be in [1, 4096]");
        batch_ = std::min(opt.max_batch, ctx);
        const std::size_t dim = p_.dim, hidden = p_.hidden, kv = p_.kv_dim(), B = batch_;
        kv_ = kv_cache<Kv>(p_.n_layers, ctx, kv);
        x_.assign(B * dim, 0.0f);
        xb_.assign(B * dim, 0.0f);
        q_.assign(B * dim, 0.0f);
        k_.assign(B * kv, 0.0f);
        v_.assign(B * kv, 0.0f);
        att_.assign(B * dim, 0.0f);
        h1_.assign(B * hidden, 0.0f);
        h3_.assign(B * hidden, 0.0f);
        logits_.assign(p_.vocab, 0.0f);
        workers_ = parallel_count(be_);
        // Attention scratch per worker: one query's scores (generation), or a block's (prompt: up to 16 queries
        // side by side, ops/attention.hpp); allocated here, resident only as far as a context has grown.
        const attention_shape shape{p_.n_heads, p_.n_kv_heads, p_.head_dim()};
        score_stride_ = B > 1 ? std::max(p_.n_heads * ctx, attention_block_scores(shape, ctx)) : p_.n_heads * ctx;
        scores_ = llama_detail::lazy_floats(workers_ * score_stride_);
        qt_ = llama_detail::lazy_floats(B > 1 ? workers_ * attention_block_work(shape) : 0);
        rope_cs_.assign(p_.head_dim(), 0.0f);
        kv_rows_.assign(workers_ * 2 * kv, 0.0f);
        history_.assign(ctx, 0);
        if (embd_from_out_) {
            embd_q4_.resize(dim / q4_k::block_size);
            embd_q6_.resize(dim / q6_k::block_size);
        }
    }

    // Row t of the tied classifier's interleaved copy, unpacked (into scratch sized at load) and dequantized.
    void embed_interleaved(std::size_t t, std::span<float> out) {
        if (const auto* p4 = std::get_if<1>(&out_.x8)) {
            (*p4)->unpack_row(t, embd_q4_.data());
            q4_k::dequantize(std::span<const q4_k::block>(embd_q4_), out);
        } else if (const auto* p6 = std::get_if<2>(&out_.x8)) {
            (*p6)->unpack_row(t, embd_q6_.data());
            q6_k::dequantize(std::span<const q6_k::block>(embd_q6_), out);
        } else if (const auto* pf = std::get_if<3>(&out_.x8)) {
            (*pf)->unpack_row(t, out.data());
        }
    }

    template <class W>
    void mm(const W& w, std::span<const float> x, std::size_t n, std::span<float> y) {
        llama_detail::matmul(be_, w, x, n, y);
    }

    void run_batch(std::span<const token_id> tokens, std::size_t pos) {
        const std::size_t n = tokens.size();
        const std::size_t dim = d_.dim, kv = d_.kv_dim, hidden = d_.hidden, hd = d_.head_dim;
        const std::span<float> x(x_.data(), n * dim), xb(xb_.data(), n * dim), q(q_.data(), n * dim),
            k(k_.data(), n * kv), v(v_.data(), n * kv), att(att_.data(), n * dim), h1(h1_.data(), n * hidden),
            h3(h3_.data(), n * hidden);
        for (std::size_t i = 0; i < n; ++i) {
            const auto t = static_cast<std::size_t>(tokens[i]);
            if (embd_from_out_) embed_interleaved(t, x.subspan(i * dim, dim));
            else llama_detail::embed_row(embd_, t, x.subspan(i * dim, dim));
        }
        const attention_shape shape{d_.n_heads, d_.n_kv_heads, hd};
        for (std::size_t l = 0; l < d_.n_layers; ++l) {
            const layer& L = layers_[l];
            for (std::size_t i = 0; i < n; ++i) rms_norm(x.subspan(i * dim, dim), L.attn_norm, p_.eps, xb.subspan(i * dim, dim));
            mm(L.wq, xb, n, q);
            mm(L.wk, xb, n, k);
            mm(L.wv, xb, n, v);
            for (std::size_t i = 0; i < n; ++i) {
                rope_angles(pos + i, hd, p_.rope_theta, rope_cs_);
                apply_rope(q.subspan(i * dim, dim), hd, rope_cs_, p_.rope);
                apply_rope(k.subspan(i * kv, kv), hd, rope_cs_, p_.rope);
                kv_.store(l, pos + i, k.subspan(i * kv, kv), v.subspan(i * kv, kv));
            }
            // Prompt positions in blocks of up to 16 consecutive queries, side by side in vector lanes
            // (attention_block: each output the bits of attention() for that query), the blocks in parallel (each
            // worker with its own scratch). A block's cost grows with its position (causal mask), so the workers
            // take blocks strided, not in halves. One token: attention() itself.
            if (n == 1) {
                attention(std::span<const float>(q), shape, pos + 1,
                          [&](std::size_t t) { return kv_.key(l, t, std::span<float>(kv_rows_.data(), kv)); },
                          [&](std::size_t t) { return kv_.value(l, t, std::span<float>(kv_rows_.data() + kv, kv)); },
                          std::span<float>(scores_.data(), score_stride_), att);
            } else {
                constexpr std::size_t QB = attention_block_queries;
                const std::size_t blocks = (n + QB - 1) / QB, slots = std::min(workers_, blocks);
                parallel_for(be_, slots, [&](std::size_t worker, std::size_t s0, std::size_t s1) {
                    const std::span<float> krow(kv_rows_.data() + worker * 2 * kv, kv), vrow(krow.data() + kv, kv);
                    const std::span<float> scores(scores_.data() + worker * score_stride_, score_stride_);
                    const std::size_t qt_size = attention_block_work(shape);
                    const std::span<float> qt(qt_.data() + worker * qt_size, qt_size);
                    for (std::size_t s = s0; s < s1; ++s)
                        for (std::size_t b = s; b < blocks; b += slots) {
                            const std::size_t i0 = b * QB, m = std::min(QB, n - i0);
                            attention_block(std::span<const float>(q.subspan(i0 * dim, m * dim)), m, shape, pos + i0,
                                            [&](std::size_t t) { return kv_.key(l, t, krow); },
                                            [&](std::size_t t) { return kv_.value(l, t, vrow); }, qt, scores,
                                            att.subspan(i0 * dim, m * dim));
                        }
                });
            }
            mm(L.wo, att, n, xb);
            for (std::size_t j = 0; j < n * dim; ++j) x[j] += xb[j];
            for (std::size_t i = 0; i < n; ++i) rms_norm(x.subspan(i * dim, dim), L.ffn_norm, p_.eps, xb.subspan(i * dim, dim));
            mm(L.gate, xb, n, h1);
            mm(L.up, xb, n, h3);
            // Element-wise (scalar expf): split by prompt positions over the pool, the same bits.
            parallel_for(be_, n, [&](std::size_t, std::size_t i0, std::size_t i1) {
                const std::size_t a = i0 * hidden, len = (i1 - i0) * hidden;
                swiglu(h1.subspan(a, len), h3.subspan(a, len), h1.subspan(a, len));
            });
            mm(L.down, h1, n, xb);
            for (std::size_t j = 0; j < n * dim; ++j) x[j] += xb[j];
        }
        // Only the last position's logits are needed (prompt processing discards the others).
        const std::span<float> last = x.subspan((n - 1) * dim, dim), out = xb.first(dim);
        rms_norm(last, out_norm_, p_.eps, out);
        mm(out_, out, 1, std::span<float>(logits_));
    }

    model_params p_;
    Dims d_;
    Be be_;
    std::size_t workers_ = 1; // parallel_for participants: scratch copies of scores_, qt_ and kv_rows_
    std::size_t score_stride_ = 0; // floats of scores_ per worker
    weight_t<token_embd> embd_;
    mat_t<output> out_;
    std::span<const float> out_norm_;
    // The norm vectors, when own_norms() copied them out of the file (shared: an engine's copies point into it).
    std::shared_ptr<const std::vector<float>> norms_;
    std::vector<layer> layers_;
    kv_cache<Kv> kv_;
    std::size_t batch_ = 1;
    std::vector<float> x_, xb_, q_, k_, v_, att_, h1_, h3_, logits_, rope_cs_, kv_rows_;
    llama_detail::lazy_floats scores_, qt_;
    std::vector<token_id> history_;
    bool embd_from_out_ = false; // the embedding reads the tied classifier's interleaved copy
    std::vector<q4_k::block> embd_q4_;
    std::vector<q6_k::block> embd_q6_;
};

// The runtime-dispatched engine: shape and every tensor's format come from the file.
template <Backend Be = cpu_auto, class Kv = kv_f32>
using runtime_llama = llama<dynamic_dims, runtime_recipe, Be, Kv>;

} // namespace qforge
