// qforge/block/all.hpp: the closed list of block formats. A new format joins here in one line.
#pragma once

#include <boost/mp11/list.hpp>

#include "qforge/block/f32.hpp"
#include "qforge/block/q8_0.hpp"

#include "qforge/block/binary.hpp"
#include "qforge/block/block_int.hpp"
#include "qforge/block/group_affine.hpp"
#include "qforge/block/per_channel.hpp"

namespace qforge {

// Every format with a GGUF type id, in id order: the runtime-dispatched paths visit this list.
using ggml_formats = boost::mp11::mp_list<f32, q8_0>;

// Representative instances of the generic families (no GGUF id): the conformance suite visits these.
using generic_formats = boost::mp11::mp_list<group_affine<4, 64>, group_affine<3, 32>, block_int<4, 32>,
                                             block_int<4, 128, true>, binary<32>,
                                             per_channel<std::int8_t, true>::row<256>>;

} // namespace qforge
