// qforge/quant/granularity.hpp: which elements of a tensor share one (scale, zero point).
// Tensors are row-major: the last axis varies fastest. Per-group splits the last axis into runs of `size`
// consecutive elements (the convention of MLX, ONNX MatMulNBits and every ggml block format).
#pragma once

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <variant>

#include "qforge/core/error.hpp"

namespace qforge::quant {

struct per_tensor {};
struct per_channel {
    std::size_t axis = 0; // one parameter pair per index along this axis
};
struct per_group {
    std::size_t size = 32; // consecutive elements along the last axis
};

using granularity_spec = std::variant<per_tensor, per_channel, per_group>;

// Element i of the tensor uses parameter slot (i / divisor) % count.
struct param_layout {
    std::size_t count = 1;
    std::size_t divisor = 1;
    std::size_t elements = 1;

    constexpr std::size_t slot(std::size_t i) const noexcept { return (i / divisor) % count; }
};

inline std::size_t element_count(std::span<const std::size_t> shape) {
    std::size_t n = 1;
    for (const std::size_t d : shape) {
        if (d != 0 && n > std::numeric_limits<std::size_t>::max() / d)
            throw error(errc::shape, "tensor shape: element count overflows");
        n *= d;
    }
    return n;
}

// The parameter layout of granularity g on a tensor of `shape`; throws errc::shape when they do not fit.
inline param_layout layout_for(const granularity_spec& g, std::span<const std::size_t> shape) {
    param_layout l;
    l.elements = element_count(shape);
    if (std::holds_alternative<per_channel>(g)) {
        const std::size_t axis = std::get<per_channel>(g).axis;
        if (axis >= shape.size())
            throw error(errc::shape, "per_channel axis " + std::to_string(axis) + " is out of range for a rank-" +
                                         std::to_string(shape.size()) + " tensor");
        std::size_t inner = 1;
        for (std::size_t a = axis + 1; a < shape.size(); ++a) inner *= shape[a];
        l.count = shape[axis] == 0 ? 1 : shape[axis];
        l.divisor = inner == 0 ? 1 : inner;
    } else if (std::holds_alternative<per_group>(g)) {
        const std::size_t size = std::get<per_group>(g).size;
        if (size == 0) throw error(errc::invalid_argument, "per_group size must be positive");
        const std::size_t last = shape.empty() ? 1 : shape.back();
        if (last % size != 0)
            throw error(errc::shape, "per_group size " + std::to_string(size) +
                                         " does not divide the last dimension " + std::to_string(last));
        l.count = l.elements / size == 0 ? 1 : l.elements / size;
        l.divisor = size;
    }
    return l;
}

} // namespace qforge::quant
