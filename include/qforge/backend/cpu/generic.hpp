// qforge/backend/cpu/generic.hpp: SIMD kernels of the generic families against q8_0 activations:
// group_affine<Bits, G, S>, block_int<Bits, G, ZeroPoint, S>, per_channel<T, Sym>::row<Cols> and binary<G>.
//
// All four reduce to one shape: per q8_0 activation block (a "sub-block" of 32 values), the exact integer
// sums qa = sum(code * a) over the weight's raw codes and sa = sum(a), then the format's float term, written
// with the very operations of the format's reference dot (block/<format>.hpp):
//   group_affine   d_a * (s * qa + b * sa)
//   block_int      (qa - zp * sa) * (s * d_a)
//   per_channel    (qa - zp * sa) * (scale * d_a)
//   binary         (2 * qa - sa) * (d * d_a)
// so every term is bit-identical to the reference's and only the order of the float sum differs. The kernel
// works on quads of 4 consecutive sub-blocks of a row (whatever the group size: a quad may span 4 groups of
// 32, 2 of 64, or lie inside one larger group or per-channel row): 4 integer dot products, one integer
// horizontal reduction to 4 lanes (qa of each sub-block), the 4 terms in one __m128, added to a __m128
// accumulator (lane i holds sub-blocks i mod 4); the row ends with a fixed-order horizontal sum. A row whose
// sub-block count is not a multiple of 4 ends with a partial quad (zero codes and parameters; the packed
// activations are zero-padded). Each output's arithmetic is the same in any tile, hence for any thread count,
// and gemv equals the gemm row.
//
// The integer dot per level: AVX2 and AVX-512 (no VNNI) use pmaddubsw on unsigned codes (Bits <= 6, binary),
// or the sign trick on signed bytes (8-bit codes biased by -128, signed int8 codes); AVX-512 VNNI uses a 256-bit
// vpdpbusd on unsigned codes (signed int8 codes biased by +128). A bias c is undone exactly by qa += c * sa.
// SSE4.2 does what AVX2 does on two 128-bit halves per sub-block (pmaddubsw, psignb, pabsb are SSSE3), with the
// same packed activations; it has no pdep (BMI2), so its 3/5/6-bit codes are spread by pshufb (the two bytes
// holding each code into a 16-bit lane) and pmullw (a per-lane left shift that puts the code at bit 8).
//
// The activations are repacked once per call (gen_act_pack): per row the quants with a per-format
// permutation (so that a 4- or 2-bit weight decodes with plain shifts and masks; 4-bit codes two sub-blocks
// per 32-byte load, low nibbles against even quants, high against odd), the sums sa (exact int32)
// and the scales as floats.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/backend/tags.hpp"
#include "qforge/block/binary.hpp"
#include "qforge/block/block_int.hpp"
#include "qforge/block/group_affine.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/block/per_channel.hpp"
#include "qforge/block/q8_0.hpp"
#include "qforge/core/config.hpp"

#if QFORGE_ARCH_X86_64 && defined(__SSE4_2__)
#include <immintrin.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace qforge {

namespace cpu_detail::gen {

// ---- activation packing ---------------------------------------------------------------------------------

// The order in which a decoder returns the 32 codes of a sub-block: position p holds code perm[p].
// nibble_pairs: 4-bit codes, two sub-blocks k, k+1 (k even) at a time: the first 32 bytes hold the even-index
// quants of k then of k+1, the next 32 the odd-index quants of k then of k+1 (the low and high nibbles of the
// two sub-blocks' 32 code bytes).
enum class code_order { identity, nibble_pairs, crumbs };

constexpr std::array<std::uint8_t, 32> order_table(code_order o) noexcept {
    std::array<std::uint8_t, 32> t{};
    for (std::size_t p = 0; p < 32; ++p) {
        if (o == code_order::crumbs) t[p] = static_cast<std::uint8_t>(4 * (p % 8) + p / 8);
        else t[p] = static_cast<std::uint8_t>(p);
    }
    return t;
}

struct act_row {
    const std::int8_t* qs;  // 32 per sub-block, in the decoder's code order
    const std::int32_t* sa; // 1 per sub-block: exact sum of the 32 quants
    const float* d;         // 1 per sub-block
};

template <code_order Order>
class act_pack {
public:
    // n rows of k q8_0 blocks, each row padded with zero blocks to a multiple of 4 (this thread's buffers).
    static const act_pack& pack(const q8_0::block* xq, std::size_t n, std::size_t k) {
        thread_local act_pack p;
        constexpr auto perm = order_table(Order);
        p.k4_ = (k + 3) / 4 * 4;
        const std::size_t total = n * p.k4_;
        if (p.qs_.size() < total * 32) p.qs_.resize(total * 32);
        if (p.sa_.size() < total) p.sa_.resize(total);
        if (p.d_.size() < total) p.d_.resize(total);
        for (std::size_t j = 0; j < n; ++j) {
            for (std::size_t b = 0; b < p.k4_; ++b) {
                std::int8_t* q = p.qs_.data() + 32 * (j * p.k4_ + b);
                if (b >= k) {
                    if constexpr (Order == code_order::nibble_pairs) {
                        std::int8_t* pair = p.qs_.data() + 32 * (j * p.k4_ + (b & ~std::size_t{1}));
                        std::memset(pair + 16 * (b % 2), 0, 16);
                        std::memset(pair + 32 + 16 * (b % 2), 0, 16);
                    } else {
                        std::memset(q, 0, 32);
                    }
                    p.sa_[j * p.k4_ + b] = 0;
                    p.d_[j * p.k4_ + b] = 0.0f;
                    continue;
                }
                const q8_0::block& x = xq[j * k + b];
                std::int32_t s = 0;
                for (std::size_t i = 0; i < 32; ++i) {
                    if constexpr (Order != code_order::nibble_pairs) q[i] = x.qs[perm[i]];
                    s += x.qs[i];
                }
                if constexpr (Order == code_order::nibble_pairs) {
                    // q is slot b of the pair (b & ~1, b | 1): this block's quants go to the lane b % 2 of both.
                    std::int8_t* pair = p.qs_.data() + 32 * (j * p.k4_ + (b & ~std::size_t{1}));
                    for (std::size_t i = 0; i < 16; ++i) {
                        pair[16 * (b % 2) + i] = x.qs[2 * i];
                        pair[32 + 16 * (b % 2) + i] = x.qs[2 * i + 1];
                    }
                }
                p.sa_[j * p.k4_ + b] = s;
                p.d_[j * p.k4_ + b] = x.d.to_float();
            }
        }
        return p;
    }
    act_row operator()(std::size_t j) const noexcept {
        return {qs_.data() + 32 * k4_ * j, sa_.data() + k4_ * j, d_.data() + k4_ * j};
    }

private:
    std::size_t k4_ = 0;
    std::vector<std::int8_t> qs_;
    std::vector<std::int32_t> sa_;
    std::vector<float> d_;
};

// ---- code extraction --------------------------------------------------------------------------------------

// Exact either way (F16C where the TU has it, else the portable conversion).
QFORGE_ALWAYS_INLINE float half_to_float(f16 h) noexcept {
#if defined(__F16C__)
    return _cvtsh_ss(h.bits);
#else
    return h.to_float();
#endif
}

// 4 halves, each zero-extended in a 32-bit lane -> 4 floats, exact, in SSE4.1: f16_bits_to_f32 of
// core/half.hpp lane-wise (normal: exponent rebiased by 112; inf/NaN: exponent 255, NaN quieted; zero and
// subnormal: m * 2^-24, a normal float or zero, whatever the MXCSR's DAZ/FTZ say).
QFORGE_ALWAYS_INLINE __m128 halves_to_float_sse(__m128i x) noexcept {
    const __m128i zero = _mm_setzero_si128();
    const __m128i e = _mm_and_si128(x, _mm_set1_epi32(0x7c00));
    const __m128i m = _mm_and_si128(x, _mm_set1_epi32(0x3ff));
    const __m128i rebias = _mm_set1_epi32(112 << 23);
    __m128i v = _mm_add_epi32(_mm_slli_epi32(_mm_and_si128(x, _mm_set1_epi32(0x7fff)), 13), rebias);
    const __m128i quiet = _mm_andnot_si128(_mm_cmpeq_epi32(m, zero), _mm_set1_epi32(0x200 << 13));
    v = _mm_blendv_epi8(v, _mm_or_si128(_mm_add_epi32(v, rebias), quiet), _mm_cmpeq_epi32(e, _mm_set1_epi32(0x7c00)));
    const __m128i sub = _mm_castps_si128(_mm_mul_ps(_mm_cvtepi32_ps(m), _mm_set1_ps(0x1p-24f)));
    v = _mm_blendv_epi8(v, sub, _mm_cmpeq_epi32(e, zero));
    return _mm_castsi128_ps(_mm_or_si128(v, _mm_slli_epi32(_mm_and_si128(x, _mm_set1_epi32(0x8000)), 16)));
}

// The same with F16C where the TU has it.
QFORGE_ALWAYS_INLINE __m128 halves_to_float(__m128i x) noexcept {
#if defined(__F16C__)
    return _mm_cvtph_ps(_mm_packus_epi32(x, x));
#else
    return halves_to_float_sse(x);
#endif
}

template <class S>
QFORGE_ALWAYS_INLINE float scale_value(const S& s) noexcept {
    if constexpr (std::is_same_v<S, f16>) return half_to_float(s);
    else return block_detail::load_scale(s);
}

// How the codes sit in their register: unsigned below 128 (pmaddubsw-safe), unsigned 0..255, or signed int8.
enum class code_kind { small_unsigned, unsigned8, signed8 };

template <int Bits>
inline constexpr code_order order_of = Bits == 4 ? code_order::nibble_pairs : Bits == 2 ? code_order::crumbs
                                                                                    : code_order::identity;

// The 32 codes of sub-block `sub` of a little-endian bit stream of Bits-bit codes, in order_of<Bits>
// (4-bit codes have their own paths: nibble_pair, and the SSE4.2 quad).
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
template <int Bits>
QFORGE_ALWAYS_INLINE __m256i stream_codes(const std::uint8_t* qs, std::size_t sub) noexcept {
    if constexpr (Bits == 8) {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * sub));
    } else if constexpr (Bits == 2) {
        std::int64_t v;
        std::memcpy(&v, qs + 8 * sub, 8);
        const __m256i s = _mm256_srlv_epi64(_mm256_set1_epi64x(v), _mm256_set_epi64x(6, 4, 2, 0));
        return _mm256_and_si256(s, _mm256_set1_epi8(3));
    } else if constexpr (Bits == 1) {
        std::int32_t v;
        std::memcpy(&v, qs + 4 * sub, 4);
        // byte p <- source byte p / 8, then test bit p % 8.
        const __m256i bytes = _mm256_shuffle_epi8(
            _mm256_set1_epi32(v), _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
        const __m256i bit = _mm256_set1_epi64x(static_cast<std::int64_t>(0x8040201008040201ull));
        return _mm256_min_epu8(_mm256_and_si256(bytes, bit), _mm256_set1_epi8(1));
    } else {
        // 3, 5, 6 bits: 8 codes = Bits bytes, spread to 8 bytes. Each group is read as a whole 8-byte word that
        // stays inside the sub-block's 4 * Bits bytes (no over-read, no partial copies through memory that
        // would stall store forwarding), shifted down to the group's first byte.
        const std::uint8_t* p = qs + 4 * Bits * sub;
        std::uint64_t g[4];
        for (int t = 0; t < 4; ++t) {
            constexpr int size = 4 * Bits;
            const int at = Bits * t < size - 8 ? Bits * t : size - 8;
            std::uint64_t v;
            std::memcpy(&v, p + at, 8);
            v >>= 8 * (Bits * t - at);
#if defined(__BMI2__)
            g[t] = _pdep_u64(v, 0x0101010101010101ull * ((1u << Bits) - 1u));
#else
            std::uint64_t r = 0;
            for (int i = 0; i < 8; ++i) r |= ((v >> (Bits * i)) & ((1u << Bits) - 1u)) << (8 * i);
            g[t] = r;
#endif
        }
        return _mm256_set_epi64x(static_cast<std::int64_t>(g[3]), static_cast<std::int64_t>(g[2]),
                                 static_cast<std::int64_t>(g[1]), static_cast<std::int64_t>(g[0]));
    }
}
#endif

// SSE4.2 spread of Bits-bit codes (3, 5, 6): each half (16 codes, 2 * Bits bytes) is read by one load that
// stays inside the sub-block's 4 * Bits bytes (16 bytes, or 8 where the sub-block is shorter), then per 8
// codes pshufb puts the 2 bytes holding code j (from bit Bits * j) into 16-bit lane j, pmullw by
// 2^(8 - Bits * j % 8) moves the code to bit 8 (the low 16 bits of the product) and psrlw 8 brings it down;
// packuswb joins the two 8-code halves (values <= 255: exact), the mask clears the bits above the code.
template <int Bits>
inline constexpr int spread_len = 4 * Bits >= 16 ? 16 : 8;
template <int Bits>
constexpr int spread_at(int h) noexcept {
    return std::min(2 * Bits * h, 4 * Bits - spread_len<Bits>);
}

template <int Bits>
struct code_spread {
    // shuffle[2 * h + part]: the pshufb indices of codes 8 * part .. 8 * part + 7 of half h.
    static constexpr std::array<std::array<std::uint8_t, 16>, 4> shuffle = [] {
        std::array<std::array<std::uint8_t, 16>, 4> t{};
        for (int h = 0; h < 2; ++h)
            for (int j = 0; j < 16; ++j) {
                const int bit = Bits * (16 * h + j), rel = bit / 8 - spread_at<Bits>(h);
                t[2 * h + j / 8][2 * (j % 8)] = static_cast<std::uint8_t>(rel);
                // A second byte past the load only where the code ends in the first (zeroed, never read).
                t[2 * h + j / 8][2 * (j % 8) + 1] =
                    static_cast<std::uint8_t>(rel + 1 < spread_len<Bits> ? rel + 1 : 0x80);
            }
        return t;
    }();
    static constexpr std::array<std::int16_t, 8> shift = [] {
        std::array<std::int16_t, 8> t{};
        for (int j = 0; j < 8; ++j) t[j] = static_cast<std::int16_t>(1 << (8 - Bits * j % 8));
        return t;
    }();
    static_assert([] {
        for (int h = 0; h < 2; ++h)
            for (int j = 0; j < 16; ++j) {
                const int bit = Bits * (16 * h + j), rel = bit / 8 - spread_at<Bits>(h);
                if (rel < 0 || rel >= spread_len<Bits> || (rel + 1 >= spread_len<Bits> && bit % 8 + Bits > 8))
                    return false;
            }
        return true;
    }());
    static QFORGE_ALWAYS_INLINE __m128i half(const std::uint8_t* p, int h) noexcept {
        const __m128i* at = reinterpret_cast<const __m128i*>(p + spread_at<Bits>(h));
        const __m128i v = spread_len<Bits> == 16 ? _mm_loadu_si128(at) : _mm_loadl_epi64(at);
        const __m128i m = _mm_loadu_si128(reinterpret_cast<const __m128i*>(shift.data()));
        const __m128i lo =
            _mm_shuffle_epi8(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(shuffle[2 * h].data())));
        const __m128i hi =
            _mm_shuffle_epi8(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(shuffle[2 * h + 1].data())));
        return _mm_and_si128(_mm_packus_epi16(_mm_srli_epi16(_mm_mullo_epi16(lo, m), 8),
                                              _mm_srli_epi16(_mm_mullo_epi16(hi, m), 8)),
                             _mm_set1_epi8(static_cast<char>((1 << Bits) - 1)));
    }
};

// The same 32 codes in the same order as stream_codes, as two halves (SSE4.2).
template <int Bits>
QFORGE_ALWAYS_INLINE void stream_codes128(const std::uint8_t* qs, std::size_t sub, __m128i& lo, __m128i& hi) noexcept {
    if constexpr (Bits == 8) {
        lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs + 32 * sub));
        hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs + 32 * sub + 16));
    } else if constexpr (Bits == 2) {
        // 64-bit lane t of the 256-bit form is the 8 bytes shifted by 2 t: lanes 0, 1 here, then 2, 3.
        const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(qs + 8 * sub));
        const __m128i m = _mm_set1_epi8(3);
        lo = _mm_and_si128(_mm_unpacklo_epi64(v, _mm_srli_epi64(v, 2)), m);
        hi = _mm_and_si128(_mm_unpacklo_epi64(_mm_srli_epi64(v, 4), _mm_srli_epi64(v, 6)), m);
    } else if constexpr (Bits == 1) {
        std::int32_t w;
        std::memcpy(&w, qs + 4 * sub, 4);
        const __m128i v = _mm_cvtsi32_si128(w);
        const __m128i bit = _mm_set1_epi64x(static_cast<std::int64_t>(0x8040201008040201ull));
        const __m128i one = _mm_set1_epi8(1);
        lo = _mm_min_epu8(_mm_and_si128(_mm_shuffle_epi8(v, _mm_set_epi64x(0x0101010101010101, 0)), bit), one);
        hi = _mm_min_epu8(
            _mm_and_si128(_mm_shuffle_epi8(v, _mm_set_epi64x(0x0303030303030303, 0x0202020202020202)), bit), one);
    } else {
        const std::uint8_t* p = qs + 4 * Bits * sub;
        lo = code_spread<Bits>::half(p, 0);
        hi = code_spread<Bits>::half(p, 1);
    }
}

// ---- the decoders -------------------------------------------------------------------------------------
// D::block, D::per (sub-blocks per block), D::order, D::kind,
// D::code_bits, D::code_bytes(const block&) (the code stream that stream_codes reads),
// D::params(row, k0, cnt) -> D::wp (lanes i >= cnt zero),
// D::term(wp, qa, sa, d) -> __m128 (qa already the exact sum over raw codes).

template <std::size_t Per, class Fn>
QFORGE_ALWAYS_INLINE void for_lanes(std::size_t k0, std::size_t cnt, Fn&& fn) noexcept {
    for (std::size_t i = 0; i < 4; ++i)
        if (i < cnt) fn(i, (k0 + i) / Per, (k0 + i) % Per);
}

template <int Bits, std::size_t G, class S>
struct group_affine_decoder {
    using format = group_affine<Bits, G, S>;
    using block = typename format::block;
    static constexpr std::size_t per = G / 32;
    static constexpr code_order order = order_of<Bits>;
    static constexpr code_kind kind = Bits == 8 ? code_kind::unsigned8 : code_kind::small_unsigned;
    struct wp {
        __m128 s, b;
    };
    static constexpr int code_bits = Bits;
    static const std::uint8_t* code_bytes(const block& b) noexcept { return b.qs; }
    static QFORGE_ALWAYS_INLINE wp params(const block* row, std::size_t k0, std::size_t cnt) noexcept {
        if constexpr (per % 4 == 0) {
            if (cnt == 4) {
                const block& b = row[k0 / per];
                return {_mm_set1_ps(scale_value(b.scale)), _mm_set1_ps(scale_value(b.bias))};
            }
        } else if constexpr (std::is_same_v<S, f16>) {
            if (cnt == 4) {
                // Lane i's (scale, bias) f16 pair is the first 4 bytes of block (k0 + i) / per: widen the four
                // pairs at once and split them into scales (low half) and biases (high half).
                std::int32_t sb[4];
#if defined(__AVX2__) && defined(__F16C__)
                for (std::size_t i = 0; i < 4; ++i) std::memcpy(&sb[i], &row[(k0 + i) / per], 4);
                const __m256 v = _mm256_permutevar8x32_ps(_mm256_cvtph_ps(_mm_set_epi32(sb[3], sb[2], sb[1], sb[0])),
                                                          _mm256_set_epi32(7, 5, 3, 1, 6, 4, 2, 0));
                return {_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)};
#else
                // Without F16C the widening costs: per == 2 widens the 2 distinct pairs (s0, b0, s1, b1) once.
                if constexpr (per == 2) {
                    std::memcpy(&sb[0], &row[k0 / 2], 4);
                    std::memcpy(&sb[1], &row[k0 / 2 + 1], 4);
                    const __m128 v = halves_to_float(_mm_cvtepu16_epi32(_mm_set_epi32(0, 0, sb[1], sb[0])));
                    return {_mm_shuffle_ps(v, v, _MM_SHUFFLE(2, 2, 0, 0)),
                            _mm_shuffle_ps(v, v, _MM_SHUFFLE(3, 3, 1, 1))};
                } else {
                    for (std::size_t i = 0; i < 4; ++i) std::memcpy(&sb[i], &row[(k0 + i) / per], 4);
                    const __m128i pairs = _mm_set_epi32(sb[3], sb[2], sb[1], sb[0]);
                    return {halves_to_float(_mm_and_si128(pairs, _mm_set1_epi32(0xffff))),
                            halves_to_float(_mm_srli_epi32(pairs, 16))};
                }
#endif
            }
        }
        alignas(16) float s[4] = {0, 0, 0, 0}, bb[4] = {0, 0, 0, 0};
        for_lanes<per>(k0, cnt, [&](std::size_t i, std::size_t blk, std::size_t) {
            s[i] = scale_value(row[blk].scale);
            bb[i] = scale_value(row[blk].bias);
        });
        return {_mm_load_ps(s), _mm_load_ps(bb)};
    }
    static QFORGE_ALWAYS_INLINE __m128 term(const wp& w, __m128i qa, __m128i sa, __m128 d) noexcept {
        return _mm_mul_ps(d, _mm_add_ps(_mm_mul_ps(w.s, _mm_cvtepi32_ps(qa)), _mm_mul_ps(w.b, _mm_cvtepi32_ps(sa))));
    }
};

// (qa - zp * sa) * (s * d): block_int and per_channel.
struct zp_params {
    __m128 s;
    __m128i zp;
};
QFORGE_ALWAYS_INLINE __m128 zp_term(const zp_params& w, __m128i qa, __m128i sa, __m128 d) noexcept {
    return _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(qa, _mm_mullo_epi32(w.zp, sa))), _mm_mul_ps(w.s, d));
}

template <int Bits, std::size_t G, bool ZP, class S>
struct block_int_decoder {
    using format = block_int<Bits, G, ZP, S>;
    using block = typename format::block;
    static constexpr std::size_t per = G / 32;
    static constexpr code_order order = order_of<Bits>;
    static constexpr code_kind kind = Bits == 8 ? code_kind::unsigned8 : code_kind::small_unsigned;
    using wp = zp_params;
    static QFORGE_ALWAYS_INLINE float scale(const block& b) noexcept {
        if constexpr (std::is_same_v<S, f16>) {
            std::uint16_t h;
            std::memcpy(&h, b.scale, 2);
            return half_to_float(f16::from_bits(h));
        } else {
            return format::scale_of(b);
        }
    }
    static constexpr int code_bits = Bits;
    static const std::uint8_t* code_bytes(const block& b) noexcept { return b.qs; }
    static QFORGE_ALWAYS_INLINE wp params(const block* row, std::size_t k0, std::size_t cnt) noexcept {
        if constexpr (per % 4 == 0) {
            if (cnt == 4) {
                const block& b = row[k0 / per];
                return {_mm_set1_ps(scale(b)), _mm_set1_epi32(static_cast<int>(format::zero_point_of(b)))};
            }
        } else if constexpr (std::is_same_v<S, f16>) {
            if (cnt == 4) {
                std::uint16_t h[4];
                std::int32_t z[4];
                for (std::size_t i = 0; i < 4; ++i) {
                    std::memcpy(&h[i], row[(k0 + i) / per].scale, 2);
                    z[i] = static_cast<std::int32_t>(format::zero_point_of(row[(k0 + i) / per]));
                }
                return {halves_to_float(_mm_set_epi32(h[3], h[2], h[1], h[0])), _mm_set_epi32(z[3], z[2], z[1], z[0])};
            }
        }
        alignas(16) float s[4] = {0, 0, 0, 0};
        alignas(16) std::int32_t z[4] = {0, 0, 0, 0};
        for_lanes<per>(k0, cnt, [&](std::size_t i, std::size_t blk, std::size_t) {
            s[i] = scale(row[blk]);
            z[i] = static_cast<std::int32_t>(format::zero_point_of(row[blk]));
        });
        return {_mm_load_ps(s), _mm_load_si128(reinterpret_cast<const __m128i*>(z))};
    }
    static QFORGE_ALWAYS_INLINE __m128 term(const wp& w, __m128i qa, __m128i sa, __m128 d) noexcept {
        return zp_term(w, qa, sa, d);
    }
};

template <class T, bool Sym, std::size_t Cols>
struct per_channel_decoder {
    using format = typename per_channel<T, Sym>::template row<Cols>;
    using block = typename format::block;
    static constexpr std::size_t per = Cols / 32;
    static constexpr code_order order = code_order::identity;
    static constexpr code_kind kind = std::is_signed_v<T> ? code_kind::signed8 : code_kind::unsigned8;
    using wp = zp_params;
    static constexpr int code_bits = 8;
    static const std::uint8_t* code_bytes(const block& b) noexcept {
        return reinterpret_cast<const std::uint8_t*>(b.qs);
    }
    // A matrix row is usually one block (then every lane has the same parameters), but a view may hold
    // several blocks per row: each has its own.
    static QFORGE_ALWAYS_INLINE wp params(const block* row, std::size_t k0, std::size_t cnt) noexcept {
        if constexpr (per % 4 == 0) {
            if (cnt == 4) {
                const quant::qparams p = format::params_of(row[k0 / per]);
                return {_mm_set1_ps(p.scale), _mm_set1_epi32(p.zero_point)};
            }
        }
        alignas(16) float s[4] = {0, 0, 0, 0};
        alignas(16) std::int32_t z[4] = {0, 0, 0, 0};
        for_lanes<per>(k0, cnt, [&](std::size_t i, std::size_t blk, std::size_t) {
            const quant::qparams p = format::params_of(row[blk]);
            s[i] = p.scale;
            z[i] = p.zero_point;
        });
        return {_mm_load_ps(s), _mm_load_si128(reinterpret_cast<const __m128i*>(z))};
    }
    static QFORGE_ALWAYS_INLINE __m128 term(const wp& w, __m128i qa, __m128i sa, __m128 d) noexcept {
        return zp_term(w, qa, sa, d);
    }
};

// Which per_channel<T, Sym>::row<Cols> a format F is, if any.
template <class F, class = void>
struct per_channel_row_info : std::false_type {};
template <class F>
struct per_channel_row_info<F, std::void_t<decltype(F::block_size)>> : std::false_type {
private:
    template <class T, bool Sym>
    static constexpr bool is = std::is_same_v<F, typename per_channel<T, Sym>::template row<F::block_size>>;
    static constexpr bool any = F::block_size % 32 == 0 && F::block_size > 0 &&
                                (is<std::int8_t, true> || is<std::int8_t, false> || is<std::uint8_t, true> ||
                                 is<std::uint8_t, false>);
    using T = std::conditional_t<(is<std::int8_t, true> || is<std::int8_t, false>), std::int8_t, std::uint8_t>;
    static constexpr bool sym = is<std::int8_t, true> || is<std::uint8_t, true>;

public:
    static constexpr bool value = any;
    using decoder = per_channel_decoder<T, sym, F::block_size>;
};

template <std::size_t G>
struct binary_decoder {
    using format = binary<G>;
    using block = typename format::block;
    static constexpr std::size_t per = G / 32;
    static constexpr code_order order = code_order::identity;
    static constexpr code_kind kind = code_kind::small_unsigned;
    struct wp {
        __m128 d;
    };
    static constexpr int code_bits = 1;
    static const std::uint8_t* code_bytes(const block& b) noexcept { return b.signs; }
    static QFORGE_ALWAYS_INLINE wp params(const block* row, std::size_t k0, std::size_t cnt) noexcept {
        if constexpr (per % 4 == 0) {
            if (cnt == 4) return {_mm_set1_ps(half_to_float(row[k0 / per].d))};
        }
        alignas(16) float s[4] = {0, 0, 0, 0};
        for_lanes<per>(k0, cnt, [&](std::size_t i, std::size_t blk, std::size_t) { s[i] = half_to_float(row[blk].d); });
        return {_mm_load_ps(s)};
    }
    // sum(+-a) = 2 * sum(a where the bit is set) - sum(a).
    static QFORGE_ALWAYS_INLINE __m128 term(const wp& w, __m128i qa, __m128i sa, __m128 d) noexcept {
        return _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm_add_epi32(qa, qa), sa)), _mm_mul_ps(w.d, d));
    }
};

// ---- the integer dot of 32 codes with 32 quants, per level ------------------------------------------------

// int_dot<L, Kind>::bias: the code bias c of the level's dot, undone by unbias (qa += c * sa, exact).
template <isa_level L, code_kind Kind>
struct int_dot;

template <int Bias>
QFORGE_ALWAYS_INLINE __m128i unbias(__m128i qa, __m128i sa) noexcept {
    static_assert(Bias == 0 || Bias == 128 || Bias == -128);
    if constexpr (Bias == 128) return _mm_add_epi32(qa, _mm_slli_epi32(sa, 7));
    else if constexpr (Bias == -128) return _mm_sub_epi32(qa, _mm_slli_epi32(sa, 7));
    else return qa;
}

// Fixed-order sum of the 4 lanes: (l0 + l2) + (l1 + l3).
QFORGE_ALWAYS_INLINE float hsum4(__m128 s) noexcept {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// ---- SSE4.2: the 32 codes and quants of a sub-block as two 128-bit halves ----------------------------------

// The AVX2 dot, 16 bytes at a time: 4 int32 partial sums of the 32 codes (c0, c1) times the 32 quants at a.
// Each half is widened to int32 before the halves are added: a sign-trick pair sum reaches 2 * 128 * 127.
template <code_kind Kind>
struct int_dot<isa_level::sse4_2, Kind> {
    static constexpr int bias = Kind == code_kind::unsigned8 ? 128 : 0;
    static QFORGE_ALWAYS_INLINE __m128i dot(__m128i c0, __m128i c1, const std::int8_t* a) noexcept {
        return _mm_add_epi32(half(c0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(a))),
                             half(c1, _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 16))));
    }

private:
    static QFORGE_ALWAYS_INLINE __m128i half(__m128i c, __m128i a) noexcept {
        const __m128i one = _mm_set1_epi16(1);
        if constexpr (Kind == code_kind::small_unsigned) {
            return _mm_madd_epi16(_mm_maddubs_epi16(c, a), one);
        } else {
            const __m128i v = Kind == code_kind::unsigned8 ? _mm_xor_si128(c, _mm_set1_epi8(static_cast<char>(0x80)))
                                                           : c; // signed value (code - 128 for unsigned8)
            return _mm_madd_epi16(_mm_maddubs_epi16(_mm_abs_epi8(v), _mm_sign_epi8(a, v)), one);
        }
    }
};

// 4 vectors of 4 int32 -> their 4 sums, in order (exact).
QFORGE_ALWAYS_INLINE __m128i reduce4(__m128i p0, __m128i p1, __m128i p2, __m128i p3) noexcept {
    return _mm_hadd_epi32(_mm_hadd_epi32(p0, p1), _mm_hadd_epi32(p2, p3));
}

// 4-bit codes, one sub-block at a time: its 16 code bytes give the low nibbles (against its even quants, at
// 64 * (i / 2) + 16 * (i % 2) for sub-block i of the quad) and the high nibbles (odd quants, 32 bytes on).
template <isa_level L, class D, std::size_t R, std::size_t C>
    requires(L == isa_level::sse4_2 && D::order == code_order::nibble_pairs)
QFORGE_ALWAYS_INLINE void quad(const typename D::block* const* w, const act_row* a, std::size_t k0, std::size_t cnt,
                               __m128 (&acc)[R][C]) noexcept {
    const __m128i m = _mm_set1_epi8(0x0f);
    __m128i x[R][4], y[R][4];
    typename D::wp wp[R];
    for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t i = 0; i < 4; ++i) {
            const std::size_t k = k0 + i;
            const __m128i b = i < cnt ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[r][k / D::per].qs +
                                                                                          16 * (k % D::per)))
                                      : _mm_setzero_si128();
            x[r][i] = _mm_and_si128(b, m);
            y[r][i] = _mm_and_si128(_mm_srli_epi16(b, 4), m);
        }
        wp[r] = D::params(w[r], k0, cnt);
    }
    const __m128i one = _mm_set1_epi16(1);
    for (std::size_t c = 0; c < C; ++c) {
        const std::int8_t* q = a[c].qs + 32 * k0;
        const __m128i sa = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a[c].sa + k0));
        const __m128 d = _mm_loadu_ps(a[c].d + k0);
        for (std::size_t r = 0; r < R; ++r) {
            __m128i p[4];
            for (std::size_t i = 0; i < 4; ++i) {
                const std::int8_t* qi = q + 64 * (i / 2) + 16 * (i % 2);
                const __m128i even = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qi));
                const __m128i odd = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qi + 32));
                // Codes <= 15: each int16 pair sum is at most 2 * 15 * 128, two of them fit easily.
                p[i] = _mm_madd_epi16(_mm_add_epi16(_mm_maddubs_epi16(x[r][i], even), _mm_maddubs_epi16(y[r][i], odd)),
                                      one);
            }
            acc[r][c] = _mm_add_ps(acc[r][c], D::term(wp[r], reduce4(p[0], p[1], p[2], p[3]), sa, d));
        }
    }
}

template <isa_level L, class D, std::size_t R, std::size_t C>
    requires(L == isa_level::sse4_2 && D::order != code_order::nibble_pairs)
QFORGE_ALWAYS_INLINE void quad(const typename D::block* const* w, const act_row* a, std::size_t k0, std::size_t cnt,
                               __m128 (&acc)[R][C]) noexcept {
    using dotk = int_dot<L, D::kind>;
    __m128i codes[R][4][2];
    typename D::wp wp[R];
    for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t i = 0; i < 4; ++i) {
            if (i < cnt) {
                stream_codes128<D::code_bits>(D::code_bytes(w[r][(k0 + i) / D::per]), (k0 + i) % D::per,
                                              codes[r][i][0], codes[r][i][1]);
            } else {
                codes[r][i][0] = codes[r][i][1] = _mm_setzero_si128();
            }
        }
        wp[r] = D::params(w[r], k0, cnt);
    }
    for (std::size_t c = 0; c < C; ++c) {
        const std::int8_t* q = a[c].qs + 32 * k0;
        const __m128i sa = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a[c].sa + k0));
        const __m128 d = _mm_loadu_ps(a[c].d + k0);
        for (std::size_t r = 0; r < R; ++r) {
            const __m128i qa = reduce4(dotk::dot(codes[r][0][0], codes[r][0][1], q),
                                       dotk::dot(codes[r][1][0], codes[r][1][1], q + 32),
                                       dotk::dot(codes[r][2][0], codes[r][2][1], q + 64),
                                       dotk::dot(codes[r][3][0], codes[r][3][1], q + 96));
            acc[r][c] = _mm_add_ps(acc[r][c], D::term(wp[r], unbias<dotk::bias>(qa, sa), sa, d));
        }
    }
}

// ---- AVX2 and AVX-512: a sub-block in one 256-bit register ------------------------------------------------
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)

// AVX2 / AVX-512 without VNNI. Returns 8 int32 partial sums.
template <code_kind Kind>
struct int_dot<isa_level::avx2, Kind> {
    static constexpr int bias = Kind == code_kind::unsigned8 ? 128 : 0;
    static QFORGE_ALWAYS_INLINE __m256i dot(__m256i c, __m256i a) noexcept {
        const __m256i one = _mm256_set1_epi16(1);
        if constexpr (Kind == code_kind::small_unsigned) {
            return _mm256_madd_epi16(_mm256_maddubs_epi16(c, a), one); // |pair| <= 2 * 127 * 128
        } else {
            const __m256i v = Kind == code_kind::unsigned8 ? _mm256_xor_si256(c, _mm256_set1_epi8(static_cast<char>(0x80)))
                                                           : c; // signed value (code - 128 for unsigned8)
            return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(v), _mm256_sign_epi8(a, v)), one);
        }
    }
};
template <code_kind Kind>
struct int_dot<isa_level::avx512, Kind> : int_dot<isa_level::avx2, Kind> {};

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
template <code_kind Kind>
struct int_dot<isa_level::avx512_vnni, Kind> {
    static constexpr int bias = Kind == code_kind::signed8 ? -128 : 0;
    static QFORGE_ALWAYS_INLINE __m256i dot(__m256i c, __m256i a) noexcept {
        if constexpr (Kind == code_kind::signed8)
            c = _mm256_xor_si256(c, _mm256_set1_epi8(static_cast<char>(0x80))); // code + 128
        return _mm256_dpbusd_epi32(_mm256_setzero_si256(), c, a);
    }
};
#endif

// 4 vectors of 8 int32 -> their 4 sums (exact).
QFORGE_ALWAYS_INLINE __m128i reduce4(__m256i p0, __m256i p1, __m256i p2, __m256i p3) noexcept {
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

// 4-bit codes of sub-blocks k, k+1 (k even; `valid` of them exist): their 2 x 16 code bytes, then the low
// nibbles (x) and the high nibbles (y), in the nibble_pairs order of the packed activations.
template <class D>
QFORGE_ALWAYS_INLINE void nibble_pair(const typename D::block* row, std::size_t k, std::size_t valid, __m256i& x,
                                      __m256i& y) noexcept {
    constexpr std::size_t per = D::per;
    __m256i b;
    if (valid >= 2) {
        if constexpr (per >= 2)
            b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row[k / per].qs + 16 * (k % per)));
        else
            b = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row[k + 1].qs)),
                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(row[k].qs)));
    } else if (valid == 1) {
        b = _mm256_zextsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row[k / per].qs + 16 * (k % per))));
    } else {
        b = _mm256_setzero_si256();
    }
    const __m256i m = _mm256_set1_epi8(0x0f);
    x = _mm256_and_si256(b, m);
    y = _mm256_and_si256(_mm256_srli_epi16(b, 4), m);
}

// sum(x * ax) + sum(y * ay) per int32 lane: lanes 0-3 belong to the pair's first sub-block, 4-7 to its second.
template <isa_level L>
QFORGE_ALWAYS_INLINE __m256i pair_dot(__m256i x, __m256i ax, __m256i y, __m256i ay) noexcept {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    if constexpr (L == isa_level::avx512_vnni)
        return _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), x, ax), y, ay);
#endif
    // Codes <= 15: each int16 pair sum is at most 2 * 15 * 128, two of them fit easily.
    return _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(x, ax), _mm256_maddubs_epi16(y, ay)),
                             _mm256_set1_epi16(1));
}

// Pair sums q01 (sub-blocks 0, 1 in lanes 0-3, 4-7) and q23 -> the 4 sub-block sums in order (exact).
QFORGE_ALWAYS_INLINE __m128i reduce_pairs(__m256i q01, __m256i q23) noexcept {
    const __m256i h = _mm256_hadd_epi32(q01, q23); // [s0 s0 s2 s2 | s1 s1 s3 s3] (halves)
    const __m128i r = _mm_hadd_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1)); // s0 s2 s1 s3
    return _mm_shuffle_epi32(r, _MM_SHUFFLE(3, 1, 2, 0));
}

template <isa_level L, class D, std::size_t R, std::size_t C>
    requires(L != isa_level::sse4_2 && D::order == code_order::nibble_pairs)
QFORGE_ALWAYS_INLINE void quad(const typename D::block* const* w, const act_row* a, std::size_t k0, std::size_t cnt,
                               __m128 (&acc)[R][C]) noexcept {
    __m256i x[R][2], y[R][2];
    typename D::wp wp[R];
    for (std::size_t r = 0; r < R; ++r) {
        nibble_pair<D>(w[r], k0, cnt, x[r][0], y[r][0]);
        nibble_pair<D>(w[r], k0 + 2, cnt > 2 ? cnt - 2 : 0, x[r][1], y[r][1]);
        wp[r] = D::params(w[r], k0, cnt);
    }
    for (std::size_t c = 0; c < C; ++c) {
        const std::int8_t* q = a[c].qs + 32 * k0;
        const __m128i sa = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a[c].sa + k0));
        const __m128 d = _mm_loadu_ps(a[c].d + k0);
        const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
        const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32));
        const __m256i a2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 64));
        const __m256i a3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 96));
        for (std::size_t r = 0; r < R; ++r) {
            const __m128i qa = reduce_pairs(pair_dot<L>(x[r][0], a0, y[r][0], a1), pair_dot<L>(x[r][1], a2, y[r][1], a3));
            acc[r][c] = _mm_add_ps(acc[r][c], D::term(wp[r], qa, sa, d));
        }
    }
}

template <isa_level L, class D, std::size_t R, std::size_t C>
    requires(L != isa_level::sse4_2 && D::order != code_order::nibble_pairs)
QFORGE_ALWAYS_INLINE void quad(const typename D::block* const* w, const act_row* a, std::size_t k0, std::size_t cnt,
                               __m128 (&acc)[R][C]) noexcept {
    using dotk = int_dot<L, D::kind>;
    __m256i codes[R][4];
    typename D::wp wp[R];
    for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t i = 0; i < 4; ++i)
            codes[r][i] = i < cnt ? stream_codes<D::code_bits>(D::code_bytes(w[r][(k0 + i) / D::per]),
                                                               (k0 + i) % D::per)
                                  : _mm256_setzero_si256();
        wp[r] = D::params(w[r], k0, cnt);
    }
    for (std::size_t c = 0; c < C; ++c) {
        const std::int8_t* q = a[c].qs + 32 * k0;
        const __m128i sa = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a[c].sa + k0));
        const __m128 d = _mm_loadu_ps(a[c].d + k0);
        const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
        const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32));
        const __m256i a2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 64));
        const __m256i a3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 96));
        for (std::size_t r = 0; r < R; ++r) {
            const __m128i qa = reduce4(dotk::dot(codes[r][0], a0), dotk::dot(codes[r][1], a1),
                                       dotk::dot(codes[r][2], a2), dotk::dot(codes[r][3], a3));
            acc[r][c] = _mm_add_ps(acc[r][c], D::term(wp[r], unbias<dotk::bias>(qa, sa), sa, d));
        }
    }
}

#endif // __AVX2__ && __FMA__ && __F16C__

// ---- the driver ----------------------------------------------------------------------------------------

inline constexpr std::size_t prefetch_ahead = 768;

template <isa_level L, class D, std::size_t R, std::size_t C>
QFORGE_ALWAYS_INLINE void tile(const typename D::block* const* w, const act_row* a, std::size_t k, float* y,
                               std::size_t y_row_stride) noexcept {
    __m128 acc[R][C];
    for (std::size_t r = 0; r < R; ++r)
        for (std::size_t c = 0; c < C; ++c) acc[r][c] = _mm_setzero_ps();
    const std::size_t full = k / 4 * 4;
    for (std::size_t k0 = 0; k0 < full; k0 += 4) {
        for (std::size_t r = 0; r < R; ++r)
            __builtin_prefetch(reinterpret_cast<const char*>(w[r]) + k0 * sizeof(typename D::block) / D::per +
                               prefetch_ahead);
        quad<L, D, R, C>(w, a, k0, 4, acc);
    }
    if (full < k) quad<L, D, R, C>(w, a, full, k - full, acc);
    for (std::size_t r = 0; r < R; ++r)
        for (std::size_t c = 0; c < C; ++c) y[c * y_row_stride + r] = hsum4(acc[r][c]);
}

template <isa_level L>
struct tile_shape {
    static constexpr std::size_t rows = 2, cols = 2;
};
template <>
struct tile_shape<isa_level::avx512> {
    static constexpr std::size_t rows = 2, cols = 4;
};
template <>
struct tile_shape<isa_level::avx512_vnni> {
    static constexpr std::size_t rows = 2, cols = 4;
};

template <isa_level L, class D, std::size_t R, std::size_t C, class F, class Acts>
void gemm_rows(qmatrix_view<F> w, const Acts& act, std::size_t n, float* y, std::size_t r0, std::size_t r1,
               std::size_t panel = 64) {
    const std::size_t nb = w.blocks_per_row();
    const std::size_t k = w.cols / 32;
    const typename F::block* wr[R];
    act_row ac[C];
    for (std::size_t j0 = 0; j0 < n; j0 += panel) {
        const std::size_t j1 = std::min(n, j0 + panel);
        std::size_t r = r0;
        for (; r + R <= r1; r += R) {
            for (std::size_t i = 0; i < R; ++i) wr[i] = w.data + (r + i) * nb;
            std::size_t j = j0;
            for (; j + C <= j1; j += C) {
                for (std::size_t c = 0; c < C; ++c) ac[c] = act(j + c);
                tile<L, D, R, C>(wr, ac, k, y + j * w.rows + r, w.rows);
            }
            for (; j < j1; ++j) {
                ac[0] = act(j);
                tile<L, D, R, 1>(wr, ac, k, y + j * w.rows + r, w.rows);
            }
        }
        for (; r < r1; ++r) {
            wr[0] = w.data + r * nb;
            std::size_t j = j0;
            for (; j + C <= j1; j += C) {
                for (std::size_t c = 0; c < C; ++c) ac[c] = act(j + c);
                tile<L, D, 1, C>(wr, ac, k, y + j * w.rows + r, w.rows);
            }
            for (; j < j1; ++j) {
                ac[0] = act(j);
                tile<L, D, 1, 1>(wr, ac, k, y + j * w.rows + r, w.rows);
            }
        }
    }
}

template <class Arch, class D, class F>
void gemm(qmatrix_view<F> w, const q8_0::block* xq, std::size_t n, float* y, std::size_t r0, std::size_t r1) {
    constexpr isa_level L = isa_traits<Arch>::level;
    const auto& act = act_pack<D::order>::pack(xq, n, w.cols / 32);
    // GEMV: one weight row at a time keeps each weight stream sequential (the same bits as any tile).
    if (n == 1) gemm_rows<L, D, 1, 1>(w, act, n, y, r0, r1);
    else gemm_rows<L, D, tile_shape<L>::rows, tile_shape<L>::cols>(w, act, n, y, r0, r1);
}

template <class Arch, class F, class D>
struct gemv_kernel {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<F> w, const q8_0::block* xq, float* y, std::size_t r0,
                    std::size_t r1) {
        gemm<Arch, D>(w, xq, 1, y, r0, r1);
    }
};
template <class Arch, class F, class D>
struct gemm_kernel {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<F> w, const q8_0::block* xq, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        gemm<Arch, D>(w, xq, n, y, r0, r1);
    }
};

// The levels with a kernel here: SSE4.2 to AVX-512 VNNI.
template <class Arch>
inline constexpr bool level_ok =
    isa_usable<Arch> && static_cast<int>(isa_traits<Arch>::level) >= static_cast<int>(isa_level::sse4_2) &&
    static_cast<int>(isa_traits<Arch>::level) <= static_cast<int>(isa_level::avx512_vnni);

} // namespace cpu_detail::gen

template <class Arch, int Bits, std::size_t G, class S>
    requires(cpu_detail::gen::level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, group_affine<Bits, G, S>>
    : cpu_detail::gen::gemv_kernel<Arch, group_affine<Bits, G, S>, cpu_detail::gen::group_affine_decoder<Bits, G, S>> {};
template <class Arch, int Bits, std::size_t G, class S>
    requires(cpu_detail::gen::level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, group_affine<Bits, G, S>>
    : cpu_detail::gen::gemm_kernel<Arch, group_affine<Bits, G, S>, cpu_detail::gen::group_affine_decoder<Bits, G, S>> {};

template <class Arch, int Bits, std::size_t G, bool ZP, class S>
    requires(cpu_detail::gen::level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, block_int<Bits, G, ZP, S>>
    : cpu_detail::gen::gemv_kernel<Arch, block_int<Bits, G, ZP, S>, cpu_detail::gen::block_int_decoder<Bits, G, ZP, S>> {};
template <class Arch, int Bits, std::size_t G, bool ZP, class S>
    requires(cpu_detail::gen::level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, block_int<Bits, G, ZP, S>>
    : cpu_detail::gen::gemm_kernel<Arch, block_int<Bits, G, ZP, S>, cpu_detail::gen::block_int_decoder<Bits, G, ZP, S>> {};

// per_channel<T, Sym>::row<Cols> is a nested template (its arguments cannot be deduced): matched by a trait.
template <class Arch, class F>
    requires(cpu_detail::gen::level_ok<Arch> && cpu_detail::gen::per_channel_row_info<F>::value)
struct kernel<op::gemv, cpu<Arch>, F>
    : cpu_detail::gen::gemv_kernel<Arch, F, typename cpu_detail::gen::per_channel_row_info<F>::decoder> {};
template <class Arch, class F>
    requires(cpu_detail::gen::level_ok<Arch> && cpu_detail::gen::per_channel_row_info<F>::value)
struct kernel<op::gemm, cpu<Arch>, F>
    : cpu_detail::gen::gemm_kernel<Arch, F, typename cpu_detail::gen::per_channel_row_info<F>::decoder> {};

template <class Arch, std::size_t G>
    requires(cpu_detail::gen::level_ok<Arch>)
struct kernel<op::gemv, cpu<Arch>, binary<G>>
    : cpu_detail::gen::gemv_kernel<Arch, binary<G>, cpu_detail::gen::binary_decoder<G>> {};
template <class Arch, std::size_t G>
    requires(cpu_detail::gen::level_ok<Arch>)
struct kernel<op::gemm, cpu<Arch>, binary<G>>
    : cpu_detail::gen::gemm_kernel<Arch, binary<G>, cpu_detail::gen::binary_decoder<G>> {};

} // namespace qforge

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif // QFORGE_ARCH_X86_64 && __SSE4_2__
