// qforge/qforge.hpp: the umbrella header. Users may include narrower headers instead.
#pragma once

#include "qforge/core/config.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"
#include "qforge/core/ggml_type.hpp"
#include "qforge/core/half.hpp"

#include "qforge/quant/affine.hpp"
#include "qforge/quant/encodings.hpp"
#include "qforge/quant/granularity.hpp"
#include "qforge/quant/metrics.hpp"
#include "qforge/quant/observers.hpp"
#include "qforge/quant/qnn_json.hpp"
#include "qforge/quant/rounding.hpp"
#include "qforge/quant/scheme.hpp"

#include "qforge/block/all.hpp"
