// qforge/block/all.hpp: the closed list of block formats. A new format joins here in one line.
#pragma once

#include <boost/mp11/list.hpp>

#include "qforge/block/bf16.hpp"
#include "qforge/block/f16.hpp"
#include "qforge/block/f32.hpp"
#include "qforge/block/iq4_nl.hpp"
#include "qforge/block/iq4_xs.hpp"
#include "qforge/block/mxfp4.hpp"
#include "qforge/block/q2_k.hpp"
#include "qforge/block/q3_k.hpp"
#include "qforge/block/q4_0.hpp"
#include "qforge/block/q4_1.hpp"
#include "qforge/block/q4_k.hpp"
#include "qforge/block/q5_0.hpp"
#include "qforge/block/q5_1.hpp"
#include "qforge/block/q5_k.hpp"
#include "qforge/block/q6_k.hpp"
#include "qforge/block/q8_0.hpp"
#include "qforge/block/q8_1.hpp"
#include "qforge/block/q8_k.hpp"
#include "qforge/block/tq1_0.hpp"
#include "qforge/block/tq2_0.hpp"

#include "qforge/block/binary.hpp"
#include "qforge/block/block_int.hpp"
#include "qforge/block/group_affine.hpp"
#include "qforge/block/per_channel.hpp"

namespace qforge {

// Every format with a GGUF type id, in id order: the runtime-dispatched paths visit this list.
using ggml_formats = boost::mp11::mp_list<f32,
                                          f16_format,
                                          q4_0,
                                          q4_1,
                                          q5_0,
                                          q5_1,
                                          q8_0,
                                          q8_1,
                                          q2_k,
                                          q3_k,
                                          q4_k,
                                          q5_k,
                                          q6_k,
                                          q8_k,
                                          iq4_nl,
                                          iq4_xs,
                                          bf16_format,
                                          tq1_0,
                                          tq2_0,
                                          mxfp4>;

// Representative instances of the generic families (no GGUF id): the conformance suite visits these.
using generic_formats = boost::mp11::mp_list<group_affine<4, 64>, group_affine<3, 32>, block_int<4, 32>,
                                             block_int<4, 128, true>, binary<32>,
                                             per_channel<std::int8_t, true>::row<256>>;

} // namespace qforge
