// qforge/io/gguf_view.hpp: zero-copy tensor_views of GGUF tensors. GGUF lists extents contiguous-first
// (ne[0] is the row length); qforge's tensors are row-major, so the view's shape is ne reversed:
// a GGUF [64, 512] F32 tensor is a 512 x 64 tensor_view<const float>. The element type (or block format) and
// the shape are checked against the file; a mismatch is a qforge::error naming the tensor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"
#include "qforge/core/extents.hpp"
#include "qforge/core/ggml_type.hpp"
#include "qforge/core/half.hpp"
#include "qforge/core/tensor.hpp"
#include "qforge/io/gguf.hpp"

namespace qforge::gguf {

namespace detail {

// The ggml type whose elements are stored as T (ggml's plain element types).
template <class T> inline constexpr ggml_type element_type_v = ggml_type::none;
template <> inline constexpr ggml_type element_type_v<float> = ggml_type::f32;
template <> inline constexpr ggml_type element_type_v<double> = ggml_type::f64;
template <> inline constexpr ggml_type element_type_v<f16> = ggml_type::f16;
template <> inline constexpr ggml_type element_type_v<bf16> = ggml_type::bf16;
template <> inline constexpr ggml_type element_type_v<std::int8_t> = ggml_type::i8;
template <> inline constexpr ggml_type element_type_v<std::int16_t> = ggml_type::i16;
template <> inline constexpr ggml_type element_type_v<std::int32_t> = ggml_type::i32;
template <> inline constexpr ggml_type element_type_v<std::int64_t> = ggml_type::i64;

inline void check_tensor_type(const tensor_info& t, ggml_type want) {
    if (t.type() != want)
        throw error(errc::type,
                    "stored as " + std::string(t.type_name()) + ", viewed as " +
                        std::string(ggml_type_info(static_cast<std::uint32_t>(want)).name),
                    {{}, t.name, {}});
}

// Row-major shape: ne reversed, with the innermost extent divided into `inner_divisor` units (blocks).
template <class E> E row_major_shape(const tensor_info& t, std::uint64_t inner_divisor) {
    std::array<std::size_t, max_dims> dims{};
    for (std::uint32_t i = 0; i < t.n_dims; ++i) dims[t.n_dims - 1 - i] = static_cast<std::size_t>(t.ne[i]);
    dims[t.n_dims - 1] = static_cast<std::size_t>(t.ne[0] / inner_divisor);
    try {
        return E::from(std::span<const std::size_t>(dims.data(), t.n_dims));
    } catch (const error& e) {
        throw error(e.code(), e.message(), {{}, t.name, {}});
    }
}

} // namespace detail

// Element types a GGUF tensor can be viewed as: float (F32), double (F64), f16, bf16, int8..int64 (I8..I64).
template <class T>
concept GgufElement = detail::element_type_v<T> != ggml_type::none;

// A view of a plain-element tensor: view<float, extents<dynamic, dynamic>>(file.tensor("output.weight")).
template <GgufElement T, Extents E> tensor_view<const T, E> view(const tensor_info& t) {
    detail::check_tensor_type(t, detail::element_type_v<T>);
    return tensor_view<const T, E>::from_bytes(t.data, detail::row_major_shape<E>(t, 1));
}

// A view of a tensor's blocks in format F: rows x (ne[0] / block_size) blocks, e.g.
// block_view<q8_0, extents<dynamic, dynamic>>(t) for a Q8_0 [64, 512] tensor is 512 x 2 q8_0::block.
template <BlockFormat F, Extents E> tensor_view<const typename F::block, E> block_view(const tensor_info& t) {
    detail::check_tensor_type(t, F::type_id);
    return tensor_view<const typename F::block, E>::from_bytes(t.data, detail::row_major_shape<E>(t, F::block_size));
}

} // namespace qforge::gguf
