// tools/common/quantize.hpp: runtime-typed whole-matrix quantization for the tools. A format chosen at run
// time (GGUF id or name) goes through block/dispatch.hpp once per matrix; below that everything is the
// library's static code (block/row.hpp).
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "qforge/block/dispatch.hpp"
#include "qforge/block/row.hpp"
#include "qforge/core/error.hpp"
#include "qforge/io/gguf.hpp"

namespace qforge::tools {

// Bytes of a rows x cols matrix in format `type` (cols must be a multiple of its block size).
inline std::size_t matrix_bytes(ggml_type type, std::size_t rows, std::size_t cols) {
    const auto ti = ggml_type_info(static_cast<std::uint32_t>(type));
    return rows * (cols / ti.block_size) * ti.block_bytes;
}

// Why `cols` cannot be stored in `type`, or "" when it can.
inline std::string row_misfit(ggml_type type, std::size_t cols) {
    const auto ti = ggml_type_info(static_cast<std::uint32_t>(type));
    if (ti.block_size == 0) return "unknown type";
    if (cols % ti.block_size == 0) return {};
    return "row length " + std::to_string(cols) + " is not a multiple of " + std::to_string(ti.block_size);
}

// Quantizes a row-major rows x cols f32 matrix into `type`; with a non-empty imatrix (one weight per column)
// formats that have an importance-weighted quantizer use it, the others ignore it (as ggml does).
inline std::vector<std::byte> quantize_matrix(ggml_type type, std::span<const float> x, std::size_t rows,
                                              std::size_t cols, std::span<const float> imatrix = {},
                                              unsigned threads = 1) {
    return visit_format(type, [&]<class F>(F) {
        std::vector<std::byte> out(rows * (cols / F::block_size) * F::block_bytes);
        const std::span<typename F::block> blocks(reinterpret_cast<typename F::block*>(out.data()),
                                                  out.size() / F::block_bytes);
        if constexpr (ImatrixFormat<F>) {
            if (!imatrix.empty()) {
                quantize_rows<F>(x, rows, cols, blocks, imatrix, quantize_policy{threads});
                return out;
            }
        }
        quantize_rows<F>(x, rows, cols, blocks, quantize_policy{threads});
        return out;
    });
}

// The f32 values of `n` elements stored as `type` in `bytes`.
inline std::vector<float> dequantize_bytes(ggml_type type, std::span<const std::byte> bytes, std::size_t n) {
    return visit_format(type, [&]<class F>(F) {
        if (n % F::block_size != 0)
            throw error(errc::shape, std::string(F::name) + ": " + std::to_string(n) +
                                         " values are not whole blocks of " + std::to_string(F::block_size));
        const std::size_t nb = n / F::block_size;
        if (bytes.size() != nb * F::block_bytes)
            throw error(errc::shape, std::string(F::name) + ": " + std::to_string(bytes.size()) + " bytes for " +
                                         std::to_string(n) + " values");
        // Copy into aligned blocks: file bytes need not be aligned for the block struct.
        std::vector<typename F::block> blocks(nb);
        if (nb) std::memcpy(blocks.data(), bytes.data(), bytes.size());
        std::vector<float> y(n);
        F::dequantize(std::span<const typename F::block>(blocks), std::span<float>(y));
        return y;
    });
}

// A GGUF tensor's values as f32 (dequantized when stored quantized).
inline std::vector<float> tensor_f32(const gguf::tensor_info& t) {
    try {
        return dequantize_bytes(t.type(), t.data, static_cast<std::size_t>(t.n_elements));
    } catch (const error& e) {
        throw error(e.code(), e.message(), {{}, t.name, {}});
    }
}

} // namespace qforge::tools
