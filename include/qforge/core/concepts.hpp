// qforge/core/concepts.hpp: the contracts of the library's nouns, one requirement per line.
// Every public entry point is constrained by one of these, so that a misuse fails at the call with the name
// of the concept, not deep inside a kernel.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

#include "qforge/core/extents.hpp"
#include "qforge/core/ggml_type.hpp"

namespace qforge {

// A block format: how quantized values are stored. See docs/formats.md and block/q8_0.hpp for the model.
template <class F>
concept BlockFormat = requires {
    typename F::block;                                                   // the stored bytes of one block
    typename F::dot_partner;                                             // activation format of dot products
    { F::name } -> std::convertible_to<std::string_view>;                // GGUF spelling, lowercase ("q4_k")
    { F::type_id } -> std::convertible_to<ggml_type>;                    // GGUF id, or ggml_type::none
    { F::block_size } -> std::convertible_to<std::size_t>;               // elements per block
    { F::block_bytes } -> std::convertible_to<std::size_t>;              // bytes per block
    { F::bits_per_weight } -> std::convertible_to<double>;               // 8 * block_bytes / block_size
} && std::is_standard_layout_v<typename F::block>                         // a plain byte layout
  && std::is_trivially_copyable_v<typename F::block>                      // may alias mmapped file bytes
  && (sizeof(typename F::block) == F::block_bytes)                        // no padding
  && requires(std::span<const float> x, std::span<typename F::block> q, std::span<const typename F::block> cq,
              std::span<float> y, std::span<const typename F::dot_partner::block> a) {
    F::quantize(x, q);                                                   // reference quantizer, whole blocks
    F::dequantize(cq, y);                                                // reference dequantizer
    { F::dot(cq, a) } -> std::same_as<float>;                            // reference dot with the partner
};

// A block format whose reference quantizer also takes an importance matrix (one weight per column).
template <class F>
concept ImatrixFormat = BlockFormat<F> && requires(std::span<const float> x, std::span<typename F::block> q,
                                                   std::span<const float> imatrix) {
    F::quantize(x, q, imatrix);                                          // imatrix.size() == x.size()
};

// What a tensor may hold: plain values that can live in (and be viewed over) raw bytes, such as float, f16,
// int8_t or a format's block struct.
template <class T>
concept TensorElement = std::is_object_v<T>                               // not a reference, function or void
    && !std::is_array_v<T>                                                // one element, not a C array
    && std::is_trivially_copyable_v<T>;                                   // may alias file or arena bytes

// A dense tensor or a view of one: an element type, a shape, and elements reachable by row-major strides.
template <class T>
concept TensorLike = requires(const T& t, std::size_t i) {
    typename T::element_type;                                            // what data() points to (maybe const)
    typename T::value_type;                                              // element_type without const
    typename T::extents_type;                                            // qforge::extents<...>
    requires Extents<typename T::extents_type>;                          // the shape's type
    requires TensorElement<typename T::value_type>;                      // trivially copyable elements
    { t.extents() } -> std::convertible_to<typename T::extents_type>;    // the shape
    { t.data() } -> std::convertible_to<const typename T::value_type*>;  // first element
    { t.size() } -> std::convertible_to<std::size_t>;                    // number of elements
    { t.stride(i) } -> std::convertible_to<std::size_t>;                 // elements between neighbours in dim i
};

} // namespace qforge
