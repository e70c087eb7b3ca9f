// qforge/backend/cpu/all.hpp: every CPU SIMD kernel. Include this (or backend.hpp), not single files, so that
// the kernel specializations a call can use are all visible where it is instantiated.
#pragma once

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/backend/cpu/f32.hpp"
#include "qforge/backend/cpu/q8_0.hpp"
#include "qforge/backend/cpu/quantize_q8_0.hpp"
