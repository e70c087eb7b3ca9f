// qforge/backend/cpu/all.hpp: every CPU SIMD kernel. Include this (or backend.hpp), not single files, so that
// the kernel specializations a call can use are all visible where it is instantiated.
#pragma once

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/backend/cpu/f32.hpp"
#include "qforge/backend/cpu/generic.hpp"
#include "qforge/backend/cpu/half.hpp"
#include "qforge/backend/cpu/iq4_nl.hpp"
#include "qforge/backend/cpu/iq4_xs.hpp"
#include "qforge/backend/cpu/mxfp4.hpp"
#include "qforge/backend/cpu/q2_k.hpp"
#include "qforge/backend/cpu/q3_k.hpp"
#include "qforge/backend/cpu/q4_0.hpp"
#include "qforge/backend/cpu/q4_1.hpp"
#include "qforge/backend/cpu/q4_k.hpp"
#include "qforge/backend/cpu/q5_0.hpp"
#include "qforge/backend/cpu/q5_1.hpp"
#include "qforge/backend/cpu/q5_k.hpp"
#include "qforge/backend/cpu/q6_k.hpp"
#include "qforge/backend/cpu/q8_0.hpp"
#include "qforge/backend/cpu/quantize.hpp"
#include "qforge/backend/cpu/ternary.hpp"
