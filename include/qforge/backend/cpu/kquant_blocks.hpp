// qforge/backend/cpu/kquant_blocks.hpp: the format kernel (see cpu/tile.hpp) for 256-value super-block formats
// dotted with q8_k activations (q2_k ... q6_k, iq4_xs, tq1_0, tq2_0). A decoder D per format supplies
//   D::block and D::accumulate(kquant_acc&, const block&, const q8_k::block&)
// which adds the block's dot product to 8 float lanes (and, for formats with mins, 4 more lanes: ggml's AVX2
// kernels keep them apart and so do we, which keeps us within 1e-5 of ggml's results): the integer part of
// each block is exact (pmaddubsw pairs stay below 2^15, pmaddwd with the group scales, int32 lanes), then one
// FMA by d_w * d_a. The code is
// 256-bit AVX2 for every level from avx2 up (Zen 4 runs 512-bit operations as two halves); q2_k ... q6_k
// take their decoder's level and fuse pmaddwd + add into one vpdpwssd at avx512_vnni (the same int32 lanes, so
// the same floats at every level). SSE4.2 decoders instead supply
//   D::accumulate128(kquant_acc128&, const block&, const q8_k::block&)
// the same exact integer sums on 128-bit registers (SSSE3 pmaddubsw, SSE2 pmaddwd), then a multiply and an
// add (no FMA at that level). A decoder type has one of the two functions, never both: kquant_gemm picks the
// kernel by which one it has. SSE4.2 code here uses x86-64-v2 instructions only (portable builds compile it
// with -march=x86-64-v2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/backend/cpu/int8_blocks.hpp" // hsum256
#include "qforge/backend/cpu/tile.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/block/q8_k.hpp"

#if QFORGE_ARCH_X86_64
#include <immintrin.h>

// Inline helpers return 256-bit vectors; GCC warns about their ABI (-Wpsabi) in translation units compiled
// without AVX, where they are never emitted (no kernel of that level is specialized). GCC 12 also reports its
// own _mm512_undefined_* helpers as "maybe uninitialized" (PR 105593). Both are silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace qforge::cpu_detail {

struct kquant_acc {
    __m256 v;
    __m128 m;
};

template <class D>
struct kquant_kernel {
    using wblock = typename D::block;
    using arow = const q8_k::block*;
    using acc = kquant_acc;
    using wprep = const wblock*;
    using aprep = const q8_k::block*;
    static constexpr std::size_t step = 1;
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return {_mm256_setzero_ps(), _mm_setzero_ps()}; }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept { return w + i; }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept { return w + i; }
    static QFORGE_ALWAYS_INLINE aprep prep_a(arow a, std::size_t i) noexcept { return a + i; }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(arow a, std::size_t i, std::size_t) noexcept { return a + i; }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, wprep w, aprep a) noexcept { D::accumulate(s, *w, *a); }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return hsum256(s.v) + hsum128(s.m); }
};

// SSE4.2: 4 float lanes for the block sums, 4 more for the mins terms where the format has them.
struct kquant_acc128 {
    __m128 v;
    __m128 m;
};

template <class D>
struct kquant_kernel128 {
    using wblock = typename D::block;
    using arow = const q8_k::block*;
    using acc = kquant_acc128;
    using wprep = const wblock*;
    using aprep = const q8_k::block*;
    static constexpr std::size_t step = 1;
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return {_mm_setzero_ps(), _mm_setzero_ps()}; }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept { return w + i; }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept { return w + i; }
    static QFORGE_ALWAYS_INLINE aprep prep_a(arow a, std::size_t i) noexcept { return a + i; }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(arow a, std::size_t i, std::size_t) noexcept { return a + i; }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, wprep w, aprep a) noexcept { D::accumulate128(s, *w, *a); }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return hsum128(s.v) + hsum128(s.m); }
};

// Whether decoder D is an SSE4.2 one (it has accumulate128, and then no 256-bit accumulate).
template <class D>
inline constexpr bool kquant_sse_decoder =
    requires(kquant_acc128& s, const typename D::block& x, const q8_k::block& y) { D::accumulate128(s, x, y); };

// The levels with K-quant kernels: SSE4.2 and up.
template <class Arch>
inline constexpr bool kquant_level_ok =
    isa_usable<Arch> && static_cast<int>(isa_traits<Arch>::level) >= static_cast<int>(isa_level::sse4_2);

template <class D, BlockFormat F>
void kquant_gemm(qmatrix_view<F> w, const q8_k::block* xq, std::size_t n, float* y, std::size_t r0, std::size_t r1) {
    const std::size_t nb = w.blocks_per_row();
    const auto rows = [xq, nb](std::size_t j) { return xq + j * nb; };
    if constexpr (kquant_sse_decoder<D>) gemm_rows<kquant_kernel128<D>, 1, 2>(w, rows, n, y, r0, r1, 32);
    else if (n == 1) gemm_rows<kquant_kernel<D>, 1, 1>(w, rows, n, y, r0, r1, 32);
    else gemm_rows<kquant_kernel<D>, 1, 4>(w, rows, n, y, r0, r1, 32);
}

// SSE4.2 helpers. S holds 8 int16 scales; bcast16<k>(S) = S[k] x 8 (one pshufb).
template <int k>
QFORGE_ALWAYS_INLINE __m128i bcast16(__m128i S) noexcept {
    constexpr char a = static_cast<char>(2 * k), b = static_cast<char>(2 * k + 1);
    return _mm_shuffle_epi8(S, _mm_setr_epi8(a, b, a, b, a, b, a, b, a, b, a, b, a, b, a, b));
}
QFORGE_ALWAYS_INLINE __m128i load128(const void* p) noexcept {
    return _mm_loadu_si128(static_cast<const __m128i*>(p));
}
// acc.v += float(isum) * d (lane-wise; multiply, then add: no FMA at SSE4.2).
QFORGE_ALWAYS_INLINE void add_scaled(__m128& acc, __m128i isum, float d) noexcept {
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(isum), _mm_set1_ps(d)));
}

template <class Arch, BlockFormat F, class D>
struct kquant_gemv_kernel {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<F> w, const q8_k::block* xq, float* y, std::size_t r0,
                    std::size_t r1) {
        kquant_gemm<D>(w, xq, 1, y, r0, r1);
    }
};
template <class Arch, BlockFormat F, class D>
struct kquant_gemm_kernel {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<F> w, const q8_k::block* xq, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        kquant_gemm<D>(w, xq, n, y, r0, r1);
    }
};

// 16 int16 q8_k bsums -> 8 sums of 32 values (adjacent pairs), as int16 (each at most 32 * 127 in size).
QFORGE_ALWAYS_INLINE __m128i group32_sums(const q8_k::block& a) noexcept {
    return _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.bsums)),
                          _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.bsums + 8)));
}

// [lo x 8 | hi x 8] as int16: the scales of two 16-value groups for one 32-byte register.
QFORGE_ALWAYS_INLINE __m256i two_scales(int lo, int hi) noexcept {
    return _mm256_set_m128i(_mm_set1_epi16(static_cast<short>(hi)), _mm_set1_epi16(static_cast<short>(lo)));
}

// The 8 six-bit scales and 8 six-bit mins of q4_k/q5_k (12 packed bytes), as block_detail::get_scale_min_k4
// gives them one by one, unpacked with 32-bit masks: scales 0..3 and mins 0..3 are the low 6 bits of bytes
// 0..3 and 4..7; scales/mins 4..7 take their low 4 bits from the nibbles of bytes 8..11 and their top 2 bits
// from the top of bytes 0..3 / 4..7.
QFORGE_ALWAYS_INLINE void unpack_scales_mins_k4(const std::uint8_t* packed, std::uint8_t* sc, std::uint8_t* mn) noexcept {
    std::uint32_t u[3];
    std::memcpy(u, packed, 12);
    constexpr std::uint32_t low6 = 0x3f3f3f3fu, low4 = 0x0f0f0f0fu, low2 = 0x03030303u;
    const std::uint32_t s[2] = {u[0] & low6, (u[2] & low4) | (((u[0] >> 6) & low2) << 4)};
    const std::uint32_t m[2] = {u[1] & low6, ((u[2] >> 4) & low4) | (((u[1] >> 6) & low2) << 4)};
    std::memcpy(sc, s, 8);
    std::memcpy(mn, m, 8);
}

QFORGE_ALWAYS_INLINE __m256i load256(const void* p) noexcept {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}


// ---- Level-aware helpers (q2_k, q4_k, q6_k). All are exact integer arithmetic, and every int32 lane of the block
// sum gets the same value whatever the level, so the float results are the same at every level.

template <isa_level L>
inline constexpr bool kquant_vnni = static_cast<int>(L) >= static_cast<int>(isa_level::avx512_vnni);

// acc + pmaddwd(p, s): one vpdpwssd with AVX-512 VNNI (no saturation: it is the same int32 sum).
template <isa_level L>
QFORGE_ALWAYS_INLINE __m256i madd_acc(__m256i acc, __m256i p, __m256i s) noexcept {
    if constexpr (kquant_vnni<L>)
        return _mm256_dpwssd_epi32(acc, p, s);
    else
        return _mm256_add_epi32(acc, _mm256_madd_epi16(p, s));
}

// Scale registers without scalar round trips: S holds 8 int16 scales in both 128-bit lanes; pair_scales<k>(S)
// gives [S[2k] x 8 | S[2k+1] x 8] (two 16-value groups of one 32-byte register), word_scales<k>(S) gives
// S[k] x 16 (one 32-value group). One vpshufb each.
template <int k>
QFORGE_ALWAYS_INLINE __m256i pair_scales(__m256i S) noexcept {
    constexpr char a = static_cast<char>(4 * k), b = static_cast<char>(4 * k + 2);
    return _mm256_shuffle_epi8(S, _mm256_setr_epi8(a, a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1, a,
                                                   a + 1, a, a + 1, b, b + 1, b, b + 1, b, b + 1, b, b + 1, b, b + 1,
                                                   b, b + 1, b, b + 1, b, b + 1));
}
template <int k>
QFORGE_ALWAYS_INLINE __m256i word_scales(__m256i S) noexcept {
    constexpr char a = static_cast<char>(2 * k);
    return _mm256_shuffle_epi8(S, _mm256_setr_epi8(a, a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1, a,
                                                   a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1, a, a + 1,
                                                   a, a + 1, a, a + 1, a, a + 1));
}
// 16 int16 scales (lane 0: scales 0..7, lane 1: 8..15) -> lane 0 copied to both lanes / lane 1 to both lanes.
QFORGE_ALWAYS_INLINE __m256i low_lanes(__m256i v) noexcept { return _mm256_permute4x64_epi64(v, 0x44); }
QFORGE_ALWAYS_INLINE __m256i high_lanes(__m256i v) noexcept { return _mm256_permute4x64_epi64(v, 0xee); }

// Loaded weights that several instructions read: an empty asm makes them register values, so that the compiler
// does not fold the same load into each of those instructions (a Zen 4 core loads at most 64 bytes a cycle,
// and the activations already take most of that).
QFORGE_ALWAYS_INLINE void keep_in_register([[maybe_unused]] __m256i& v) noexcept {
#if defined(__GNUC__) && defined(__AVX512VL__)
    __asm__("" : "+v"(v));
#elif defined(__GNUC__) && defined(__AVX__)
    __asm__("" : "+x"(v));
#endif
}
template <class... V>
QFORGE_ALWAYS_INLINE void keep_in_register(__m256i& v, V&... more) noexcept {
    keep_in_register(v);
    (keep_in_register(more), ...);
}

// The 16-byte head of a q4_k / q5_k block (f16 d, f16 dmin, 12 packed bytes) -> its 8 six-bit scales in bytes
// 0..7 and 8 mins in bytes 8..15, the layout of unpack_scales_mins_k4, in vector registers: scales/mins 0..3
// are the low 6 bits of packed bytes 0..3 / 4..7; scales/mins 4..7 take the low / high nibbles of bytes 8..11
// and their top 2 bits from the top of bytes 0..3 / 4..7.
QFORGE_ALWAYS_INLINE __m128i unpack_k4_head(__m128i head) noexcept {
    constexpr char z = static_cast<char>(0x80); // pshufb: zero
    // packed byte i is head byte 4 + i
    const __m128i a = _mm_shuffle_epi8(head, _mm_setr_epi8(4, 5, 6, 7, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m128i top = _mm_shuffle_epi8(head, _mm_setr_epi8(z, z, z, z, 4, 5, 6, 7, z, z, z, z, 8, 9, 10, 11));
    const __m128i low = _mm_blend_epi16(a, _mm_srli_epi16(a, 4), 0xc0); // mins 4..7: the high nibbles (SSE4.1)
    const __m128i low_mask = _mm_setr_epi8(0x3f, 0x3f, 0x3f, 0x3f, 0x0f, 0x0f, 0x0f, 0x0f, 0x3f, 0x3f, 0x3f, 0x3f, 0x0f,
                                           0x0f, 0x0f, 0x0f);
    return _mm_or_si128(_mm_and_si128(low, low_mask), _mm_and_si128(_mm_srli_epi16(top, 2), _mm_set1_epi8(0x30)));
}

// unpack_scales_mins_k4 straight into registers: the 8 scales / 8 mins as bytes in the low 8 bytes of each.
QFORGE_ALWAYS_INLINE void unpack_scales_mins_k4_reg(const std::uint8_t* packed, __m128i& sc, __m128i& mn) noexcept {
    std::uint32_t u[3];
    std::memcpy(u, packed, 12);
    constexpr std::uint32_t low6 = 0x3f3f3f3fu, low4 = 0x0f0f0f0fu, low2 = 0x03030303u;
    const std::uint64_t s = (u[0] & low6) | (std::uint64_t{(u[2] & low4) | (((u[0] >> 6) & low2) << 4)} << 32);
    const std::uint64_t m = (u[1] & low6) | (std::uint64_t{((u[2] >> 4) & low4) | (((u[1] >> 6) & low2) << 4)} << 32);
    sc = _mm_cvtsi64_si128(static_cast<long long>(s));
    mn = _mm_cvtsi64_si128(static_cast<long long>(m));
}

} // namespace qforge::cpu_detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // QFORGE_ARCH_X86_64
