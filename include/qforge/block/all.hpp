// qforge/block/all.hpp: the closed list of block formats. A new format joins here in one line.
#pragma once

#include <boost/mp11/list.hpp>

#include "qforge/block/f32.hpp"
#include "qforge/block/q8_0.hpp"

namespace qforge {

// Every format with a GGUF type id, in id order: the runtime-dispatched paths visit this list.
using ggml_formats = boost::mp11::mp_list<f32, q8_0>;

} // namespace qforge
