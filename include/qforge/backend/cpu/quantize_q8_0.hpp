// qforge/backend/cpu/quantize_q8_0.hpp: SIMD activation quantization to q8_0 (xsimd), bit-exact with
// q8_0::quantize: the absolute maximum is exact in any order, d and 1/d are the same scalar operations, and
// x * id is rounded half away from zero like std::round (not the CPU's ties-to-even rounding mode).
#pragma once

#include <xsimd/xsimd.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/block/detail/check.hpp"
#include "qforge/block/q8_0.hpp"

// GCC 12 reports its own _mm512_undefined_* helpers (used inside AVX-512 intrinsics such as
// _mm512_inserti64x4 and _mm512_cvtepi32_ps) as "maybe uninitialized" once they are inlined here: a false
// positive (GCC PR 105593). It is silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace qforge {

namespace cpu_detail {

// The xsimd arch that implements a qforge arch tag (our avx512_vnni uses xsimd's avx512bw registers).
template <class Arch>
struct xsimd_arch {
    using type = Arch;
};
template <>
struct xsimd_arch<avx512_vnni> {
    using type = xsimd::avx512bw;
};
template <class Arch>
using xsimd_arch_t = typename xsimd_arch<Arch>::type;

// round(v) with ties away from zero, exactly: v - trunc(v) is exact in binary floating point.
template <class A>
QFORGE_ALWAYS_INLINE xsimd::batch<float, A> round_half_away(xsimd::batch<float, A> v) noexcept {
    using batch = xsimd::batch<float, A>;
    const batch t = xsimd::trunc(v);
    const batch frac = v - t;
    const batch one_signed = xsimd::select(v < batch(0.0f), batch(-1.0f), batch(1.0f));
    return xsimd::select(xsimd::abs(frac) >= batch(0.5f), t + one_signed, t);
}

// Quantizes 32-value groups: amax, d = amax / 127, q = round(x / d). Writes d and the 32 quants.
template <class Arch>
QFORGE_ALWAYS_INLINE float quantize_group32(const float* x, std::int8_t* q) noexcept {
    using A = xsimd_arch_t<Arch>;
    using batch = xsimd::batch<float, A>;
    constexpr std::size_t lanes = batch::size;
    constexpr std::size_t nv = 32 / lanes;
    batch v[nv];
    batch m(0.0f);
    for (std::size_t k = 0; k < nv; ++k) {
        v[k] = batch::load_unaligned(x + k * lanes);
        m = xsimd::max(m, xsimd::abs(v[k]));
    }
    alignas(64) float mm[lanes];
    m.store_aligned(mm);
    float amax = 0.0f;
    for (std::size_t k = 0; k < lanes; ++k) amax = std::fmax(amax, mm[k]);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const batch bid(id);
    alignas(64) std::int32_t qi[32];
    for (std::size_t k = 0; k < nv; ++k)
        xsimd::to_int(round_half_away(v[k] * bid)).store_aligned(qi + k * lanes);
    for (std::size_t k = 0; k < 32; ++k) q[k] = static_cast<std::int8_t>(qi[k]);
    return d;
}

} // namespace cpu_detail

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::quantize, cpu<Arch>, q8_0> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, std::span<const float> x, std::span<q8_0::block> out) {
        block_detail::check_sizes(q8_0::name, x.size(), out.size(), q8_0::block_size);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i].d = f16::from_float(cpu_detail::quantize_group32<Arch>(x.data() + 32 * i, out[i].qs));
    }
};

} // namespace qforge

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
