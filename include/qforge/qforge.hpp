// qforge/qforge.hpp: the umbrella header. Users may include narrower headers instead.
#pragma once

#include "qforge/core/config.hpp"
#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"
#include "qforge/core/ggml_type.hpp"
#include "qforge/core/half.hpp"

#include "qforge/block/all.hpp"
