// qforge/model/weights.hpp: where an engine's weights come from, and how they are bound to typed views.
//
// A weight_source is a list of named tensors (type, shape, bytes) plus the model's parameters. It is built
// from a llama2.c checkpoint (weights_from(checkpoint)) or a GGUF file; the engine binds each tensor zero-copy
// to a qmatrix_view<F> (static recipe: the file's type must be F) or an any_qmatrix (runtime recipe: the
// file's type picks F from the closed list ggml_formats). Every mismatch is an error naming the tensor and
// the expected versus found type or shape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/mp11/algorithm.hpp>

#include "qforge/block/all.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/core/error.hpp"
#include "qforge/core/ggml_type.hpp"
#include "qforge/io/llama2c.hpp"
#include "qforge/model/dims.hpp"

namespace qforge {

struct tensor_info {
    std::string name;
    std::uint32_t type = 0;    // GGUF type id
    std::size_t n_dims = 0;
    std::size_t ne[4] = {1, 1, 1, 1};
    const std::byte* data = nullptr;
    std::size_t bytes = 0;
};

struct weight_source {
    std::string file;
    bool mapped = false; // the tensors' bytes are a read-only mapping of the file (pages may be released)
    model_params params;
    std::vector<tensor_info> tensors;

    const tensor_info* find(std::string_view name) const noexcept {
        for (const auto& t : tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
};

// A llama2.c checkpoint as a weight source (every tensor F32; the checkpoint must outlive the engine).
inline weight_source weights_from(const llama2c::checkpoint& c) {
    weight_source s;
    s.file = c.file();
    const auto& h = c.cfg();
    s.params.dim = h.dim;
    s.params.hidden = h.hidden_dim;
    s.params.n_layers = h.n_layers;
    s.params.n_heads = h.n_heads;
    s.params.n_kv_heads = h.n_kv_heads;
    s.params.vocab = h.vocab_size;
    s.params.seq_len = h.seq_len;
    s.params.rope_theta = 10000.0f; // llama2.c's fixed values
    s.params.eps = 1e-5f;
    s.params.rope = rope_layout::adjacent;
    for (const auto& t : c.tensors()) {
        tensor_info i;
        i.name = t.name;
        i.type = static_cast<std::uint32_t>(ggml_type::f32);
        i.n_dims = t.ne1 == 1 ? 1 : 2;
        i.ne[0] = t.ne0;
        i.ne[1] = t.ne1;
        i.data = reinterpret_cast<const std::byte*>(t.data.data());
        i.bytes = t.data.size_bytes();
        s.tensors.push_back(i);
    }
    return s;
}

// A matrix whose block format is known only at run time: one index into ggml_formats.
struct any_qmatrix {
    std::size_t format_index = 0;
    const std::byte* data = nullptr;
    std::size_t rows = 0;
    std::size_t cols = 0;

    std::string_view format_name() const {
        std::string_view n;
        boost::mp11::mp_with_index<boost::mp11::mp_size<ggml_formats>::value>(
            format_index, [&](auto i) { n = boost::mp11::mp_at_c<ggml_formats, i>::name; });
        return n;
    }
    // Calls f(qmatrix_view<F>) with the right F: one dispatch per matrix, never per block.
    template <class Fn>
    decltype(auto) visit(Fn&& f) const {
        return boost::mp11::mp_with_index<boost::mp11::mp_size<ggml_formats>::value>(format_index, [&](auto i) {
            using F = boost::mp11::mp_at_c<ggml_formats, i>;
            return f(qmatrix_view<F>(reinterpret_cast<const typename F::block*>(data), rows, cols));
        });
    }
};

namespace weights_detail {

inline std::string type_name(std::uint32_t id) {
    const auto n = ggml_type_info(id).name;
    return n.empty() ? "type id " + std::to_string(id) : std::string(n);
}

inline std::string shape_string(const tensor_info& t) {
    std::string s = "[";
    for (std::size_t i = 0; i < t.n_dims; ++i) s += (i ? ", " : "") + std::to_string(t.ne[i]);
    return s + "]";
}

inline const tensor_info& need(const weight_source& src, const std::string& name) {
    const tensor_info* t = src.find(name);
    if (!t) throw error(errc::missing, "the model has no tensor named '" + name + "'", {src.file, name, {}});
    return *t;
}

// ne = {cols, rows} (rows = 1 for a vector), exactly.
inline void check_shape(const weight_source& src, const tensor_info& t, std::size_t cols, std::size_t rows) {
    const std::size_t want_dims = rows == 1 ? 1 : 2;
    const bool ok = (t.n_dims == want_dims || (t.n_dims == 2 && rows == 1 && t.ne[1] == 1)) && t.ne[0] == cols &&
                    t.ne[1] == rows && t.ne[2] == 1 && t.ne[3] == 1;
    if (!ok)
        throw error(errc::shape, "expected shape [" + std::to_string(cols) + (rows == 1 ? "" : ", " + std::to_string(rows)) +
                                     "], found " + shape_string(t), {src.file, t.name, {}});
}

template <BlockFormat F>
qmatrix_view<F> bind_as(const weight_source& src, const tensor_info& t, std::size_t rows, std::size_t cols) {
    if (cols % F::block_size != 0)
        throw error(errc::shape, "row length " + std::to_string(cols) + " is not a multiple of " + std::string(F::name) +
                                     "'s block size " + std::to_string(F::block_size), {src.file, t.name, {}});
    const std::size_t want = rows * (cols / F::block_size) * F::block_bytes;
    if (t.bytes != want || t.data == nullptr)
        throw error(errc::format, "holds " + std::to_string(t.bytes) + " bytes, " + std::string(F::name) + " " +
                                      std::to_string(rows) + "x" + std::to_string(cols) + " needs " + std::to_string(want),
                    {src.file, t.name, {}});
    return qmatrix_view<F>(reinterpret_cast<const typename F::block*>(t.data), rows, cols);
}

} // namespace weights_detail

// Binds tensor `name` (rows x cols) stored as F; the file's type must be F.
template <BlockFormat F>
qmatrix_view<F> bind_matrix(const weight_source& src, const std::string& name, std::size_t rows, std::size_t cols) {
    const auto& t = weights_detail::need(src, name);
    weights_detail::check_shape(src, t, cols, rows);
    if (t.type != static_cast<std::uint32_t>(F::type_id))
        throw error(errc::type, "the engine type expects " + std::string(F::name) + ", the file has " +
                                    weights_detail::type_name(t.type), {src.file, name, {}});
    return weights_detail::bind_as<F>(src, t, rows, cols);
}

// Binds tensor `name` (rows x cols) in whatever supported format the file stores it.
inline any_qmatrix bind_any_matrix(const weight_source& src, const std::string& name, std::size_t rows, std::size_t cols) {
    const auto& t = weights_detail::need(src, name);
    weights_detail::check_shape(src, t, cols, rows);
    any_qmatrix m;
    bool found = false;
    boost::mp11::mp_for_each<boost::mp11::mp_iota<boost::mp11::mp_size<ggml_formats>>>([&](auto i) {
        using F = boost::mp11::mp_at_c<ggml_formats, i>;
        if (found || t.type != static_cast<std::uint32_t>(F::type_id)) return;
        weights_detail::bind_as<F>(src, t, rows, cols); // validates size and block divisibility
        m = {i, t.data, rows, cols};
        found = true;
    });
    if (!found)
        throw error(errc::unsupported, "tensor type " + weights_detail::type_name(t.type) + " is not supported by this build",
                    {src.file, name, {}});
    return m;
}

// An f32 vector (norm weights).
inline std::span<const float> bind_vector(const weight_source& src, const std::string& name, std::size_t n) {
    const auto& t = weights_detail::need(src, name);
    weights_detail::check_shape(src, t, n, 1);
    if (t.type != static_cast<std::uint32_t>(ggml_type::f32))
        throw error(errc::type, "the engine expects f32, the file has " + weights_detail::type_name(t.type), {src.file, name, {}});
    weights_detail::bind_as<f32>(src, t, 1, n); // validates the byte count
    return {reinterpret_cast<const float*>(t.data), n};
}

} // namespace qforge
