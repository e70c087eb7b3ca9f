// expect: group_affine: Bits must be one of 2, 3, 4, 5, 6, 8
// Misuse: MLX has no 7-bit affine mode, so group_affine<7, …> must fail with that sentence at the type.
#include <qforge/block/group_affine.hpp>

#ifdef QFORGE_CF_CONTROL
using format = qforge::group_affine<6, 64>;
#else
using format = qforge::group_affine<7, 64>;
#endif

static_assert(format::block_size == 64);
