// qforge/backend/cpu/q8_0.hpp: q8_0 weights x q8_0 activations: GEMV/GEMM through the int8 block kernels.
#pragma once

#include <cstddef>

#include "qforge/backend/cpu/int8_blocks.hpp"
#include "qforge/backend/cpu/quantize_q8_0.hpp"
#include "qforge/backend/cpu/tile.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/block/q8_0.hpp"

#if QFORGE_ARCH_X86_64
namespace qforge {

namespace cpu_detail {

struct q8_0_decoder {
    using block = q8_0::block;
    static QFORGE_ALWAYS_INLINE __m256i qs256(const block& b) noexcept {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
    }
    static QFORGE_ALWAYS_INLINE void qs128(const block& b, __m128i& lo, __m128i& hi) noexcept {
        lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 16));
    }
    static QFORGE_ALWAYS_INLINE float scale(const block& b) noexcept { return f16_to_f32_fast(b.d); }
};

// GEMM (and GEMV as n = 1) for a format decoded to int8 blocks against q8_0 activations.
template <class Arch, class D, BlockFormat F>
void int8_block_gemm(qmatrix_view<F> w, const q8_0::block* xq, std::size_t n, float* y, std::size_t r0,
                     std::size_t r1) {
    constexpr isa_level L = isa_traits<Arch>::level;
    using shape = int8_tile_shape<L>;
    gemm_rows<int8_block_kernel<L, D>, shape::rows, shape::cols>(w, xq, w.blocks_per_row(), n, y, r0, r1);
}

} // namespace cpu_detail

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemv, cpu<Arch>, q8_0> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<q8_0> w, const q8_0::block* xq, float* y, std::size_t r0,
                    std::size_t r1) {
        cpu_detail::int8_block_gemm<Arch, cpu_detail::q8_0_decoder>(w, xq, 1, y, r0, r1);
    }
};

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemm, cpu<Arch>, q8_0> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<q8_0> w, const q8_0::block* xq, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        cpu_detail::int8_block_gemm<Arch, cpu_detail::q8_0_decoder>(w, xq, n, y, r0, r1);
    }
};

} // namespace qforge
#endif // QFORGE_ARCH_X86_64
