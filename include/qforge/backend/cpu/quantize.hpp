// qforge/backend/cpu/quantize.hpp: SIMD activation quantization to q8_0, q8_1 and q8_k (xsimd batches, any
// arch xsimd knows), bit-exact with the formats' reference quantizers:
//  - the absolute maximum is an integer max over |x|'s bits with NaN mapped to 0 (block_detail::absmax):
//    exact in any order;
//  - scales are the same scalar operations as the reference;
//  - q8_0/q8_1 round x * id half away from zero like roundf (not the CPU's ties-to-even mode), and convert
//    like cvttss2si (NaN and out-of-range give INT32_MIN, whose low byte is 0);
//  - q8_k rounds with ggml's nearest_int (x * iscale + 1.5 * 2^23, two roundings: the build has no FMA
//    contraction) and picks the first value of largest magnitude as the signed maximum.
#pragma once

#include <xsimd/xsimd.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/block/detail/check.hpp"
#include "qforge/block/q8_0.hpp"
#include "qforge/block/q8_1.hpp"
#include "qforge/block/q8_k.hpp"

// GCC 12 reports its own _mm512_undefined_* helpers (used inside AVX-512 intrinsics such as
// _mm512_cvttps_epi32) as "maybe uninitialized" once they are inlined here: a false positive
// (GCC PR 105593). It is silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wpsabi"
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

// |x|'s bits, NaN mapped to 0 (block_detail::abs_bits_or_zero, lane-wise).
template <class A>
QFORGE_ALWAYS_INLINE xsimd::batch<std::int32_t, A> abs_bits(xsimd::batch<float, A> v) noexcept {
    using ibatch = xsimd::batch<std::int32_t, A>;
    const ibatch a = xsimd::bitwise_cast<ibatch>(v) & ibatch(0x7fffffff);
    return xsimd::select(a > ibatch(0x7f800000), ibatch(0), a);
}

// Max over `Count` floats of |x|'s bits (NaN ignored), as the float it encodes.
template <class A, std::size_t Count>
QFORGE_ALWAYS_INLINE std::uint32_t absmax_bits(const float* x) noexcept {
    using batch = xsimd::batch<float, A>;
    using ibatch = xsimd::batch<std::int32_t, A>;
    ibatch m(0);
    for (std::size_t k = 0; k < Count; k += batch::size) m = xsimd::max(m, abs_bits(batch::load_unaligned(x + k)));
    alignas(64) std::int32_t mm[batch::size];
    m.store_aligned(mm);
    std::int32_t r = 0;
    for (std::size_t k = 0; k < batch::size; ++k) r = mm[k] > r ? mm[k] : r;
    return static_cast<std::uint32_t>(r);
}

// round(v) with ties away from zero, exactly: v - trunc(v) is exact in binary floating point.
template <class A>
QFORGE_ALWAYS_INLINE xsimd::batch<float, A> round_half_away(xsimd::batch<float, A> v) noexcept {
    using batch = xsimd::batch<float, A>;
    const batch t = xsimd::trunc(v);
    const batch one_signed = xsimd::select(v < batch(0.0f), batch(-1.0f), batch(1.0f));
    return xsimd::select(xsimd::abs(v - t) >= batch(0.5f), t + one_signed, t);
}

// q8_0's quants of 32 values: q = int8(round(x * id)); returns sum(q) (q8_1 needs it).
template <class A>
QFORGE_ALWAYS_INLINE int quants32(const float* x, float id, std::int8_t* q) noexcept {
    using batch = xsimd::batch<float, A>;
    alignas(64) std::int32_t qi[32];
    for (std::size_t k = 0; k < 32; k += batch::size)
        xsimd::to_int(round_half_away(batch::load_unaligned(x + k) * batch(id))).store_aligned(qi + k);
    int sum = 0;
    for (std::size_t k = 0; k < 32; ++k) {
        q[k] = static_cast<std::int8_t>(qi[k]);
        sum += q[k];
    }
    return sum;
}

template <class Arch>
void quantize_q8_0(std::span<const float> x, std::span<q8_0::block> out) {
    using A = xsimd_arch_t<Arch>;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const float* xb = x.data() + 32 * i;
        const float d = std::bit_cast<float>(absmax_bits<A, 32>(xb)) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out[i].d = f16::from_float(d);
        quants32<A>(xb, id, out[i].qs);
    }
}

template <class Arch>
void quantize_q8_1(std::span<const float> x, std::span<q8_1::block> out) {
    using A = xsimd_arch_t<Arch>;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const float* xb = x.data() + 32 * i;
        const float d = std::bit_cast<float>(absmax_bits<A, 32>(xb)) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out[i].d = f16::from_float(d);
        const int sum = quants32<A>(xb, id, out[i].qs);
        out[i].s = f16::from_float(static_cast<float>(sum) * d);
    }
}

template <class Arch>
void quantize_q8_k(std::span<const float> x, std::span<q8_k::block> out) {
    using A = xsimd_arch_t<Arch>;
    using batch = xsimd::batch<float, A>;
    using ibatch = xsimd::batch<std::int32_t, A>;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const float* xb = x.data() + 256 * i;
        q8_k::block& y = out[i];
        const std::uint32_t amax = absmax_bits<A, 256>(xb);
        if (amax == 0) {
            y = q8_k::block{};
            continue;
        }
        std::size_t first = 0; // the first value whose magnitude is the maximum
        while ((std::bit_cast<std::uint32_t>(xb[first]) & 0x7fffffffu) != amax) ++first;
        const float iscale = -127.f / xb[first];
        alignas(64) std::int32_t qi[256];
        for (std::size_t k = 0; k < 256; k += batch::size) {
            const batch biased = batch::load_unaligned(xb + k) * batch(iscale) + batch(12582912.0f);
            const ibatch v = (xsimd::bitwise_cast<ibatch>(biased) & ibatch(0x007fffff)) - ibatch(0x00400000);
            xsimd::min(v, ibatch(127)).store_aligned(qi + k);
        }
        for (std::size_t k = 0; k < 256; ++k) y.qs[k] = static_cast<std::int8_t>(qi[k]);
        for (std::size_t j = 0; j < 16; ++j) {
            int sum = 0;
            for (std::size_t l = 0; l < 16; ++l) sum += y.qs[16 * j + l];
            y.bsums[j] = static_cast<std::int16_t>(sum);
        }
        y.d = 1 / iscale;
    }
}

} // namespace cpu_detail

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::quantize, cpu<Arch>, q8_0> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, std::span<const float> x, std::span<q8_0::block> out) {
        block_detail::check_sizes(q8_0::name, x.size(), out.size(), q8_0::block_size);
        cpu_detail::quantize_q8_0<Arch>(x, out);
    }
};

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::quantize, cpu<Arch>, q8_1> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, std::span<const float> x, std::span<q8_1::block> out) {
        block_detail::check_sizes(q8_1::name, x.size(), out.size(), q8_1::block_size);
        cpu_detail::quantize_q8_1<Arch>(x, out);
    }
};

template <class Arch>
    requires(isa_usable<Arch>)
struct kernel<op::quantize, cpu<Arch>, q8_k> {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, std::span<const float> x, std::span<q8_k::block> out) {
        block_detail::check_sizes(q8_k::name, x.size(), out.size(), q8_k::block_size);
        cpu_detail::quantize_q8_k<Arch>(x, out);
    }
};

} // namespace qforge

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
