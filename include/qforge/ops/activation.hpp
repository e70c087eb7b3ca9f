// qforge/ops/activation.hpp: SiLU and the SwiGLU gate of Llama's feed-forward block.
#pragma once

#include <cmath>
#include <span>
#include <string>

#include "qforge/core/error.hpp"

namespace qforge {

inline float silu(float x) noexcept { return x / (1.0f + std::exp(-x)); }

// out[i] = silu(gate[i]) * up[i]; out may alias gate.
inline void swiglu(std::span<const float> gate, std::span<const float> up, std::span<float> out) {
    if (gate.size() != up.size() || out.size() != gate.size())
        throw error(errc::shape, "swiglu: gate, up and out sizes differ (" + std::to_string(gate.size()) + ", " +
                                     std::to_string(up.size()) + ", " + std::to_string(out.size()) + ")");
    for (std::size_t i = 0; i < gate.size(); ++i) out[i] = silu(gate[i]) * up[i];
}

} // namespace qforge
