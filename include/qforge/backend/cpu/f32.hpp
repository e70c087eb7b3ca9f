// qforge/backend/cpu/f32.hpp: f32 weights x f32 activations (xsimd batches, any arch xsimd knows):
// GEMV/GEMM through the tile driver; each output is one lane-wise FMA chain and a fixed-order reduction.
// At AVX-512, GEMM with f32_panel::min_rows activation rows or more runs f32_panel.hpp instead (one FMA
// chain per output: equal to the GEMV to rounding, not to the bit).
#pragma once

#include <xsimd/xsimd.hpp>

#include <cstddef>
#include <cstring>
#include <span>

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/backend/cpu/f32_panel.hpp"
#include "qforge/backend/cpu/quantize.hpp" // xsimd_arch_t
#include "qforge/backend/cpu/tile.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/block/f32.hpp"

// GCC 12 reports its own _mm512_undefined_* helpers (used inside AVX-512 intrinsics such as
// _mm512_inserti64x4 and _mm512_cvtepi32_ps) as "maybe uninitialized" once they are inlined here: a false
// positive (GCC PR 105593). It is silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace qforge {

namespace cpu_detail {

template <class Arch>
struct f32_kernel {
    using A = xsimd_arch_t<Arch>;
    using batch = xsimd::batch<float, A>;
    using acc = batch;
    using wprep = batch;
    using aprep = batch;
    using arow = const f32::block*;
    static constexpr std::size_t step = batch::size;
    // No software prefetch: a row is one sequential stream that the hardware prefetchers follow best alone.
    // Measured on the 110M F32 model, tg64 on one thread: 46-48 tok/s without, 40 with 2 KiB ahead (a plain
    // streaming loop over a 98 MB matrix: 25 GB/s without, 22.5 with).
    static constexpr std::size_t prefetch_distance = 0;
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return batch(0.0f); }
    static QFORGE_ALWAYS_INLINE batch load(const f32::block* p, std::size_t i) noexcept {
        return batch::load_unaligned(&p[i].v);
    }
    static QFORGE_ALWAYS_INLINE batch load_tail(const f32::block* p, std::size_t i, std::size_t n) noexcept {
        alignas(64) float t[step] = {};
        std::memcpy(t, &p[i].v, n * sizeof(float));
        return batch::load_aligned(t);
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const f32::block* w, std::size_t i) noexcept { return load(w, i); }
    static QFORGE_ALWAYS_INLINE aprep prep_a(const f32::block* a, std::size_t i) noexcept { return load(a, i); }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const f32::block* w, std::size_t i, std::size_t n) noexcept {
        return load_tail(w, i, n);
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(const f32::block* a, std::size_t i, std::size_t n) noexcept {
        return load_tail(a, i, n);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, wprep w, aprep a) noexcept { s = xsimd::fma(w, a, s); }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return xsimd::hadd(s); }
};

// Tiles sized to the register file: 16 (AVX2/SSE) or 32 (AVX-512) vector registers.
template <class Arch>
struct f32_tile_shape {
    static constexpr bool wide = static_cast<int>(isa_traits<Arch>::level) >= static_cast<int>(isa_level::avx512);
    static constexpr std::size_t rows = 4;
    static constexpr std::size_t cols = wide ? 4 : 2;
};

template <class Arch>
void f32_gemm(qmatrix_view<f32> w, const f32::block* x, std::size_t n, float* y, std::size_t r0, std::size_t r1) {
    using shape = f32_tile_shape<Arch>;
    // Panels of 16 activation rows: at 4096 columns that is 256 KiB, which stays in L2 while weights stream.
    const std::size_t cols = w.cols;
    const auto rows = [x, cols](std::size_t j) { return x + j * cols; };
#if defined(__AVX512F__)
    // Many activation rows at AVX-512: outer products on a repacked panel (f32_panel.hpp).
    if constexpr (static_cast<int>(isa_traits<Arch>::level) >= static_cast<int>(isa_level::avx512)) {
        if (n >= f32_panel::min_rows && w.cols > 0) {
            f32_panel::gemm(w, reinterpret_cast<const float*>(x), n, y, r0, r1);
            return;
        }
    }
#endif
    // GEMV: one row at a time. Two row streams per tile were 10 % faster on 4096-wide rows in one measurement,
    // but twice as slow on the 110M model's 768-wide rows (one thread, cycling copies from DRAM: 768 x 768 0.26
    // against 0.13 ms, 32000 x 768 11.4 against 6.2 ms; 4096 x 4096 5.3 against 5.1 ms). Same bits either way.
    if (n == 1) gemm_rows<f32_kernel<Arch>, 1, 1>(w, rows, n, y, r0, r1, 16);
    else gemm_rows<f32_kernel<Arch>, shape::rows, shape::cols>(w, rows, n, y, r0, r1, 16);
}

} // namespace cpu_detail

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemv, cpu<Arch>, f32> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<f32> w, const f32::block* x, float* y, std::size_t r0,
                    std::size_t r1) {
        cpu_detail::f32_gemm<Arch>(w, x, 1, y, r0, r1);
    }
};

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::gemm, cpu<Arch>, f32> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<f32> w, const f32::block* x, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        cpu_detail::f32_gemm<Arch>(w, x, n, y, r0, r1);
    }
};

template <>
inline constexpr bool guided_gemv_rows<f32> = true; // one plain stream per row (kernel.hpp)

// f32 "quantization" of activations is a copy: the reference kernel does it.

} // namespace qforge

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
