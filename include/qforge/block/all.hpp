// qforge/block/all.hpp: the closed list of block formats. A new format joins here in one line.
#pragma once

#include <boost/mp11/list.hpp>

#include "qforge/block/bf16.hpp"
#include "qforge/block/f16.hpp"
#include "qforge/block/f32.hpp"
#include "qforge/block/iq4_nl.hpp"
#include "qforge/block/mxfp4.hpp"
#include "qforge/block/q4_0.hpp"
#include "qforge/block/q4_1.hpp"
#include "qforge/block/q5_0.hpp"
#include "qforge/block/q5_1.hpp"
#include "qforge/block/q8_0.hpp"
#include "qforge/block/q8_1.hpp"

namespace qforge {

// Every format with a GGUF type id, in id order: the runtime-dispatched paths visit this list.
using ggml_formats = boost::mp11::mp_list<f32,          // 0
                                          f16_format,   // 1
                                          q4_0,         // 2
                                          q4_1,         // 3
                                          q5_0,         // 6
                                          q5_1,         // 7
                                          q8_0,         // 8
                                          q8_1,         // 9
                                          iq4_nl,       // 20
                                          bf16_format,  // 30
                                          mxfp4>;       // 39

} // namespace qforge
