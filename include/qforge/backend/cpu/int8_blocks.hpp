// qforge/backend/cpu/int8_blocks.hpp: the format kernels (see cpu/tile.hpp) for weight formats whose block
// holds 32 values that decode to signed int8 with one scale, dotted with q8_0 activations (q8_0, q4_0, q5_0,
// iq4_nl, ...). The activations are first repacked (int8_act_pack). A decoder D per format supplies the bytes:
//   D::block                        the weight block type
//   D::qs256(const block&) -> __m256i         32 signed int8 values (AVX2 and up)
//   D::qs128(const block&, __m128i& lo, __m128i& hi)   the same, two halves (SSE4.2)
//   D::scale(const block&) -> float           the block's scale (exact conversion)
// The integer part of each block's dot is exact; only the float accumulation order differs from the scalar
// reference (per lane, then a fixed-order horizontal sum).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "qforge/backend/cpu/arch.hpp"
#include "qforge/backend/cpu/panel16.hpp"
#include "qforge/backend/cpu/tile.hpp"
#include "qforge/backend/kernel.hpp"
#include "qforge/backend/tags.hpp"
#include "qforge/block/matrix.hpp"
#include "qforge/block/q8_0.hpp"

#if QFORGE_ARCH_X86_64
#include <immintrin.h>

namespace qforge::cpu_detail {

// Exact f16 -> f32 with F16C where the level has it (the portable conversion is the definition; they agree).
QFORGE_ALWAYS_INLINE float f16_to_f32_fast(f16 h) noexcept {
#if defined(__F16C__)
    return _cvtsh_ss(h.bits);
#else
    return h.to_float();
#endif

// GCC 12 reports its own _mm512_undefined_* helpers (used inside AVX-512 intrinsics such as
// _mm512_inserti64x4 and _mm512_cvtepi32_ps) as "maybe uninitialized" once they are inlined here: a false
// positive (GCC PR 105593). It is silenced for this header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
}

// Activations repacked once per call for the kernels: the quants of each row contiguous, the scales as
// floats, and (for VNNI) the bias correction 128 * (sum of each 4 quants) that vpdpbusd needs.
struct int8_act_row {
    const std::int8_t* qs;     // 32 per block
    const std::int32_t* corr;  // 8 per block
    const float* d;            // 1 per block
};

class int8_act_pack {
public:
    // Packs n rows of nb q8_0 blocks into this thread's buffers (grown rarely, never shrunk).
    static const int8_act_pack& pack(const q8_0::block* xq, std::size_t n, std::size_t nb) {
        thread_local int8_act_pack p;
        p.nb_ = nb;
        const std::size_t blocks = n * nb;
        if (p.qs_.size() < blocks * 32) p.qs_.resize(blocks * 32);
        if (p.corr_.size() < blocks * 8) p.corr_.resize(blocks * 8);
        if (p.d_.size() < blocks) p.d_.resize(blocks);
        for (std::size_t b = 0; b < blocks; ++b) {
            std::memcpy(p.qs_.data() + 32 * b, xq[b].qs, 32);
            for (std::size_t k = 0; k < 8; ++k)
                p.corr_[8 * b + k] = 128 * (xq[b].qs[4 * k] + xq[b].qs[4 * k + 1] + xq[b].qs[4 * k + 2] +
                                            xq[b].qs[4 * k + 3]);
            p.d_[b] = xq[b].d.to_float();
        }
        return p;
    }
    int8_act_row operator()(std::size_t j) const noexcept {
        return {qs_.data() + 32 * nb_ * j, corr_.data() + 8 * nb_ * j, d_.data() + nb_ * j};
    }

private:
    std::size_t nb_ = 0;
    std::vector<std::int8_t> qs_;
    std::vector<std::int32_t> corr_;
    std::vector<float> d_;
};

template <isa_level L, class D>
struct int8_block_kernel;

// AVX2 and AVX-512 without VNNI: one block per 256-bit step (Zen 4 splits 512-bit operations in two, so
// two blocks per zmm would only add shuffles). |w| (unsigned) times a with w's sign, pairs summed in int16
// (exact: at most 2 * 128 * 127), then in int32 by pmaddwd; the block scale d_w * d_a multiplies in float.
template <class D>
struct int8_sign_kernel {
    using wblock = typename D::block;
    using arow = int8_act_row;
    using acc = __m256;
    static constexpr std::size_t step = 1;
    struct wprep {
        __m256i q;
        __m256i absw;
        __m256 d;
    };
    struct aprep {
        __m256i q;
        __m256 d;
    };
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return _mm256_setzero_ps(); }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        const __m256i q = D::qs256(w[i]);
        return {q, _mm256_abs_epi8(q), _mm256_set1_ps(D::scale(w[i]))};
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        return prep_w(w, i);
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a(const arow& a, std::size_t i) noexcept {
        return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs + 32 * i)), _mm256_set1_ps(a.d[i])};
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(const arow& a, std::size_t i, std::size_t) noexcept {
        return prep_a(a, i);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, const aprep& a) noexcept {
        const __m256i p16 = _mm256_maddubs_epi16(w.absw, _mm256_sign_epi8(a.q, w.q));
        const __m256i p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), _mm256_mul_ps(w.d, a.d), s);
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept;
};

template <class D>
struct int8_block_kernel<isa_level::avx2, D> : int8_sign_kernel<D> {};
template <class D>
struct int8_block_kernel<isa_level::avx512, D> : int8_sign_kernel<D> {};

// A fixed-order horizontal sum of 8 floats: (lo4 + hi4), then pairs, then the last two.
QFORGE_ALWAYS_INLINE float hsum256(__m256 v) noexcept {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

template <class D>
QFORGE_ALWAYS_INLINE float int8_sign_kernel<D>::reduce(acc s) noexcept {
    return hsum256(s);
}

// AVX-512 VNNI (256-bit vpdpbusd): it multiplies unsigned by signed bytes, so the weights are biased by +128
// (w ^ 0x80) and the packed correction 128 * sum(a) is subtracted: exact for every int8 weight.
template <class D>
struct int8_block_kernel<isa_level::avx512_vnni, D> {
    using wblock = typename D::block;
    using arow = int8_act_row;
    using acc = __m256;
    static constexpr std::size_t step = 1;
    struct wprep {
        __m256i u;
        __m256 d;
    };
    struct aprep {
        __m256i q;
        __m256i corr;
        __m256 d;
    };
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return _mm256_setzero_ps(); }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        return {_mm256_xor_si256(D::qs256(w[i]), _mm256_set1_epi8(static_cast<char>(0x80))),
                _mm256_set1_ps(D::scale(w[i]))};
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        return prep_w(w, i);
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a(const arow& a, std::size_t i) noexcept {
        return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs + 32 * i)),
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.corr + 8 * i)), _mm256_set1_ps(a.d[i])};
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(const arow& a, std::size_t i, std::size_t) noexcept {
        return prep_a(a, i);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, const aprep& a) noexcept {
        const __m256i p = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), w.u, a.q), a.corr);
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_mul_ps(w.d, a.d), s);
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return hsum256(s); }
};

QFORGE_ALWAYS_INLINE float hsum128(__m128 s) noexcept {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// SSE4.2 (SSSE3's pmaddubsw/psignb): one block per step as two 128-bit halves; no FMA.
template <class D>
struct int8_block_kernel<isa_level::sse4_2, D> {
    using wblock = typename D::block;
    using arow = int8_act_row;
    using acc = __m128;
    static constexpr std::size_t step = 1;
    struct wprep {
        __m128i lo, hi, abslo, abshi;
        __m128 d;
    };
    struct aprep {
        __m128i lo, hi;
        __m128 d;
    };
    static QFORGE_ALWAYS_INLINE acc zero() noexcept { return _mm_setzero_ps(); }
    static QFORGE_ALWAYS_INLINE wprep prep_w(const wblock* w, std::size_t i) noexcept {
        wprep p;
        D::qs128(w[i], p.lo, p.hi);
        p.abslo = _mm_abs_epi8(p.lo);
        p.abshi = _mm_abs_epi8(p.hi);
        p.d = _mm_set1_ps(D::scale(w[i]));
        return p;
    }
    static QFORGE_ALWAYS_INLINE wprep prep_w_tail(const wblock* w, std::size_t i, std::size_t) noexcept {
        return prep_w(w, i);
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a(const arow& a, std::size_t i) noexcept {
        return {_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.qs + 32 * i)),
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.qs + 32 * i + 16)), _mm_set1_ps(a.d[i])};
    }
    static QFORGE_ALWAYS_INLINE aprep prep_a_tail(const arow& a, std::size_t i, std::size_t) noexcept {
        return prep_a(a, i);
    }
    static QFORGE_ALWAYS_INLINE void madd(acc& s, const wprep& w, const aprep& a) noexcept {
        const __m128i one = _mm_set1_epi16(1);
        const __m128i plo = _mm_madd_epi16(_mm_maddubs_epi16(w.abslo, _mm_sign_epi8(a.lo, w.lo)), one);
        const __m128i phi = _mm_madd_epi16(_mm_maddubs_epi16(w.abshi, _mm_sign_epi8(a.hi, w.hi)), one);
        s = _mm_add_ps(s, _mm_mul_ps(_mm_cvtepi32_ps(_mm_add_epi32(plo, phi)), _mm_mul_ps(w.d, a.d)));
    }
    static QFORGE_ALWAYS_INLINE float reduce(acc s) noexcept { return hsum128(s); }
};

// Register-tile shapes per level (R weight rows x C activation rows): what fits the register file.
template <isa_level L>
struct int8_tile_shape {
    static constexpr std::size_t rows = 2, cols = 2;
};
template <>
struct int8_tile_shape<isa_level::avx2> {
    static constexpr std::size_t rows = 2, cols = 3;
};
template <>
struct int8_tile_shape<isa_level::avx512> {
    static constexpr std::size_t rows = 4, cols = 4;
};
template <>
struct int8_tile_shape<isa_level::avx512_vnni> {
    static constexpr std::size_t rows = 4, cols = 4;
};

// GEMM (and GEMV as n = 1) for a format decoded to int8 blocks against q8_0 activations.
template <class Arch, class D, BlockFormat F>
void int8_block_gemm(qmatrix_view<F> w, const q8_0::block* xq, std::size_t n, float* y, std::size_t r0,
                     std::size_t r1) {
    constexpr isa_level L = isa_traits<Arch>::level;
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
    // 4-bit formats with an unsigned decoding: the 16-row VNNI kernels of panel16.hpp.
    if constexpr (L == isa_level::avx512_vnni && requires { D::bias; }) {
        panel16<D>::gemm(w, xq, n, y, r0, r1);
        return;
    }
#endif
    using shape = int8_tile_shape<L>;
    const auto& act = int8_act_pack::pack(xq, n, w.blocks_per_row());
    // GEMV streams each weight row once: one row at a time keeps that stream sequential for the prefetchers
    // (the tiles give the same bits, see tile.hpp).
    if (n == 1) gemm_rows<int8_block_kernel<L, D>, 1, 1>(w, act, n, y, r0, r1);
    else gemm_rows<int8_block_kernel<L, D>, shape::rows, shape::cols>(w, act, n, y, r0, r1);
}

// The kernel<op::gemv / op::gemm, cpu<Arch>, F> bodies of a format with decoder D.
template <class Arch, BlockFormat F, class D>
struct int8_gemv_kernel {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<F> w, const q8_0::block* xq, float* y, std::size_t r0,
                    std::size_t r1) {
        int8_block_gemm<Arch, D>(w, xq, 1, y, r0, r1);
    }
};
template <class Arch, BlockFormat F, class D>
struct int8_gemm_kernel {
    static constexpr bool available = true;
    static void run(const cpu<Arch>&, qmatrix_view<F> w, const q8_0::block* xq, std::size_t n, float* y,
                    std::size_t r0, std::size_t r1) {
        int8_block_gemm<Arch, D>(w, xq, n, y, r0, r1);
    }
};

// 16 bytes of nibbles -> 32 bytes: the low nibbles (values 0..15), then the high nibbles (values 16..31).
QFORGE_ALWAYS_INLINE __m256i nibbles256(const std::uint8_t* qs) noexcept {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m128i m = _mm_set1_epi8(0x0f);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}
QFORGE_ALWAYS_INLINE void nibbles128(const std::uint8_t* qs, __m128i& lo, __m128i& hi) noexcept {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m128i m = _mm_set1_epi8(0x0f);
    lo = _mm_and_si128(b, m);
    hi = _mm_and_si128(_mm_srli_epi16(b, 4), m);
}

} // namespace qforge::cpu_detail

#endif // QFORGE_ARCH_X86_64

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
