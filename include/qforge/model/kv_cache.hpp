// qforge/model/kv_cache.hpp: the attention key/value cache, one row of kv_dim values per (layer, position),
// stored as f32 (exact), f16 (half the memory; what llama.cpp uses by default) or q8_0 (about a quarter).
// Sized once at construction: storing and reading never allocate.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/block/q8_0.hpp"
#include "qforge/core/error.hpp"
#include "qforge/core/half.hpp"

namespace qforge {

// Storage policies: element type, elements per row, and the row conversions.
struct kv_f32 {
    static constexpr std::string_view name = "f32";
    using element = float;
    static constexpr bool exact = true; // rows are read back without conversion
    static std::size_t row_elements(std::size_t kv_dim) { return kv_dim; }
    static void store(std::span<const float> x, element* out) {
        for (std::size_t i = 0; i < x.size(); ++i) out[i] = x[i];
    }
};

struct kv_f16 {
    static constexpr std::string_view name = "f16";
    using element = f16;
    static constexpr bool exact = false;
    static std::size_t row_elements(std::size_t kv_dim) { return kv_dim; }
    static void store(std::span<const float> x, element* out) {
        for (std::size_t i = 0; i < x.size(); ++i) out[i] = f16::from_float(x[i]);
    }
    static void load(const element* in, std::span<float> y) {
        for (std::size_t i = 0; i < y.size(); ++i) y[i] = in[i].to_float();
    }
};

struct kv_q8_0 {
    static constexpr std::string_view name = "q8_0";
    using element = q8_0::block;
    static constexpr bool exact = false;
    static std::size_t row_elements(std::size_t kv_dim) {
        if (kv_dim % q8_0::block_size != 0)
            throw error(errc::shape, "q8_0 KV cache: kv_dim " + std::to_string(kv_dim) + " is not a multiple of 32");
        return kv_dim / q8_0::block_size;
    }
    static void store(std::span<const float> x, element* out) { q8_0::quantize(x, {out, x.size() / q8_0::block_size}); }
    static void load(const element* in, std::span<float> y) { q8_0::dequantize({in, y.size() / q8_0::block_size}, y); }
};

template <class Kv = kv_f32>
class kv_cache {
public:
    using element = typename Kv::element;

    kv_cache() = default;
    kv_cache(std::size_t n_layers, std::size_t n_ctx, std::size_t kv_dim)
        : layers_(n_layers), ctx_(n_ctx), kv_dim_(kv_dim), row_(Kv::row_elements(kv_dim)),
          k_(n_layers * n_ctx * row_), v_(n_layers * n_ctx * row_) {}

    std::size_t n_ctx() const noexcept { return ctx_; }
    std::size_t kv_dim() const noexcept { return kv_dim_; }
    std::size_t bytes() const noexcept { return 2 * k_.size() * sizeof(element); }

    void store(std::size_t layer, std::size_t pos, std::span<const float> k, std::span<const float> v) {
        check(layer, pos);
        if (k.size() != kv_dim_ || v.size() != kv_dim_)
            throw error(errc::shape, "kv_cache: rows must hold kv_dim = " + std::to_string(kv_dim_) + " floats");
        Kv::store(k, k_.data() + offset(layer, pos));
        Kv::store(v, v_.data() + offset(layer, pos));
    }
    // Row of position pos; `scratch` (kv_dim floats) receives the conversion when the storage is not f32.
    std::span<const float> key(std::size_t layer, std::size_t pos, std::span<float> scratch) const {
        return read(k_, layer, pos, scratch);
    }
    std::span<const float> value(std::size_t layer, std::size_t pos, std::span<float> scratch) const {
        return read(v_, layer, pos, scratch);
    }

private:
    void check(std::size_t layer, std::size_t pos) const {
        if (layer >= layers_ || pos >= ctx_)
            throw error(errc::invalid_argument, "kv_cache: layer " + std::to_string(layer) + " position " +
                                                    std::to_string(pos) + " is outside " + std::to_string(layers_) +
                                                    " layers x " + std::to_string(ctx_) + " positions");
    }
    std::size_t offset(std::size_t layer, std::size_t pos) const noexcept { return (layer * ctx_ + pos) * row_; }
    std::span<const float> read(const std::vector<element>& buf, std::size_t layer, std::size_t pos,
                                std::span<float> scratch) const {
        check(layer, pos);
        if constexpr (Kv::exact) {
            (void)scratch;
            return {buf.data() + offset(layer, pos), kv_dim_};
        } else {
            Kv::load(buf.data() + offset(layer, pos), scratch.first(kv_dim_));
            return scratch.first(kv_dim_);
        }
    }

    std::size_t layers_ = 0, ctx_ = 0, kv_dim_ = 0, row_ = 0;
    std::vector<element> k_, v_;
};

} // namespace qforge
