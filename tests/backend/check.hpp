// tests/backend/check.hpp: the shared conformance checks of a SIMD kernel against the reference backend.
#pragma once

#include <qforge/backend.hpp>
#include <qforge/ops/dot.hpp>
#include <qforge/ops/gemm.hpp>
#include <qforge/ops/gemv.hpp>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "support/golden.hpp"

namespace qforge_test {

// The arch variants of the CPU backend this test binary holds; those the CPU cannot run are skipped.
using cpu_archs = boost::mp11::mp_list<xsimd::sse4_2, xsimd::avx2, xsimd::avx512bw, qforge::avx512_vnni>;

inline std::vector<float> random_floats(std::size_t n, unsigned seed, float scale = 1.0f) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(gen);
    return v;
}

template <qforge::BlockFormat F>
struct test_matrix {
    std::size_t rows, cols;
    std::vector<typename F::block> blocks;
    std::vector<float> deq; // the dequantized weights, for tolerances
    qforge::qmatrix_view<F> view() const { return {blocks.data(), rows, cols}; }
};

template <qforge::BlockFormat F>
test_matrix<F> make_matrix(const std::vector<float>& w, std::size_t rows, std::size_t cols) {
    test_matrix<F> m{rows, cols, std::vector<typename F::block>(rows * cols / F::block_size), {}};
    F::quantize(w, m.blocks);
    m.deq.resize(w.size());
    F::dequantize(m.blocks, m.deq);
    return m;
}

// The SIMD result may differ from the reference only by float summation order: both add the same per-block
// terms (the integer part of each block is exact in both), in different orders. Recursive summation of
// k terms errs by at most k * eps * sum|terms| each, so two orders differ by at most 2k * eps * sum|terms|;
// a few eps more cover the per-block scale products. sum|terms| <= sum_j |w_j| |x_j| over the dequantized
// values (activation quantization keeps |xq| within a rounding of |x|, covered by the 1.01 factor).
inline double order_tolerance(const float* w, const float* x, std::size_t cols, std::size_t terms) {
    double s = 0.0;
    for (std::size_t j = 0; j < cols; ++j) s += std::fabs(static_cast<double>(w[j]) * x[j]);
    return 1.01 * (2.0 * static_cast<double>(terms) + 8.0) * FLT_EPSILON * s + 1e-30;
}

// Whether the bf16 GEMM of n activation rows on `be` runs the vdpbf16ps panels (n >= 8 on AVX-512 with BF16).
template <qforge::Backend B>
bool bf16_gemm_is_vdpbf16ps([[maybe_unused]] std::size_t n) {
#if defined(__AVX512BF16__)
    using namespace qforge;
    isa_level level = cpu_auto_level(); // cpu_auto, threads<> and fallbacks over it
    if constexpr (requires { typename B::arch; }) level = isa_traits<typename B::arch>::level;
    return n >= 8 && static_cast<int>(level) >= static_cast<int>(isa_level::avx512) &&
           cpu_detail::bf16_panel::supported();
#else
    return false;
#endif
}

// Whether a GEMM row of n activation rows on `be` is bit-identical to the GEMV of that row: everywhere except
// q4_k and q6_k on AVX-512 VNNI with n >= 4 (the panel GEMM sums one exact term per super-block, the GEMV
// sums like ggml's AVX2 lanes), f32 on AVX-512 with n >= 8 (the panel GEMM is one FMA chain per output, the
// GEMV sums 16 lanes) and bf16 on AVX-512 BF16 with n >= 8 (vdpbf16ps panels; docs/backends.md, Guarantees).
template <qforge::BlockFormat F, qforge::Backend B>
bool gemm_row_is_gemv(std::size_t n) {
    using namespace qforge;
    isa_level level = cpu_auto_level(); // cpu_auto, threads<> and fallbacks over it
    if constexpr (requires { typename B::arch; }) level = isa_traits<typename B::arch>::level;
    if constexpr (std::is_same_v<F, q4_k> || std::is_same_v<F, q6_k>) {
        return n < 4 || level != isa_level::avx512_vnni;
    } else if constexpr (std::is_same_v<F, f32>) {
        return n < 8 || static_cast<int>(level) < static_cast<int>(isa_level::avx512);
    } else if constexpr (std::is_same_v<F, bf16_format>) {
        return !bf16_gemm_is_vdpbf16ps<B>(n);
    } else {
        return true;
    }
}

// The magnitudes of the terms a kernel sums, per weight value, for order_tolerance. Formats whose dot adds an
// offset term apart from the quants' term (q2_k: d * sc * q * a and -dmin * m * a through the bsums; tq1_0,
// tq2_0: d * (t + 1) * a and -d * a) sum |w - off| + |off| per value, off = the value of a zero quant; that
// exceeds |w| where the two parts cancel (|w| = 0 with both parts large: the reference's own rounding).
template <qforge::BlockFormat F>
std::vector<float> term_magnitudes(const test_matrix<F>& m) {
    using namespace qforge;
    if constexpr (std::is_same_v<F, q2_k> || std::is_same_v<F, tq1_0> || std::is_same_v<F, tq2_0>) {
        auto zq = m.blocks;
        for (auto& b : zq) {
            std::memset(b.qs, 0, sizeof b.qs);
            if constexpr (std::is_same_v<F, tq1_0>) std::memset(b.qh, 0, sizeof b.qh);
        }
        std::vector<float> off(m.deq.size()), mag(m.deq.size());
        F::dequantize(zq, off);
        for (std::size_t i = 0; i < mag.size(); ++i) mag[i] = std::fabs(m.deq[i] - off[i]) + std::fabs(off[i]);
        return mag;
    } else {
        return m.deq;
    }
}

// Checks gemv and gemm of backend `be` against the reference backend on weights w (rows x cols) and n
// activation rows x; also gemv == gemm row (bit-exact) where gemm_row_is_gemv says so.
template <qforge::BlockFormat F, qforge::Backend B>
void check_against_reference(const B& be, const test_matrix<F>& m, const std::vector<float>& x, std::size_t n,
                             std::size_t terms) {
    using namespace qforge;
    const auto w = m.view();
    const std::vector<float> mag = term_magnitudes(m);
    std::vector<float> want(n * m.rows), got(n * m.rows), got1(m.rows);
    gemm(reference{}, w, x, n, want);
    gemm(be, w, x, n, got);
    for (std::size_t j = 0; j < n; ++j) {
        const std::span<const float> xj(x.data() + j * m.cols, m.cols);
        gemv(be, w, xj, std::span<float>(got1));
        for (std::size_t r = 0; r < m.rows; ++r) {
            const float g = got[j * m.rows + r], w = want[j * m.rows + r];
            // Overflowing extremes: the same infinity, or NaN on both sides (inf - inf, NaN weights).
            if (!std::isfinite(w) && (std::isnan(w) ? std::isnan(g) : g == w)) continue;
            // vdpbf16ps sums each pair of products before rounding (no overflow in between), so a pair of
            // opposite overflowing products cancels: an infinity where f32 FMAs meet inf - inf.
            if constexpr (std::is_same_v<F, bf16_format>)
                if (std::isnan(w) && std::isinf(g) && bf16_gemm_is_vdpbf16ps<B>(n)) continue;
            const double tol = order_tolerance(mag.data() + r * m.cols, xj.data(), m.cols, terms);
            ASSERT_NEAR(got[j * m.rows + r], want[j * m.rows + r], tol) << "row " << r << " col " << j;
            ASSERT_NEAR(got1[r], want[j * m.rows + r], tol) << "gemv, row " << r << " col " << j;
            if (gemm_row_is_gemv<F, B>(n)) {
                ASSERT_EQ(std::bit_cast<std::uint32_t>(got1[r]), std::bit_cast<std::uint32_t>(got[j * m.rows + r]))
                    << "gemv and gemm differ at row " << r << " col " << j;
            }
        }
    }
}

// Runs fn(backend, name) for every runnable cpu<Arch>, cpu_auto, and threads<0, cpu_auto> with 1..4 threads.
template <class Fn>
void for_each_backend(Fn&& fn, bool with_reference = true) {
    using namespace qforge;
    boost::mp11::mp_for_each<cpu_archs>([&](auto arch) {
        using A = decltype(arch);
        if (isa_runnable<A>()) fn(cpu<A>{}, std::string("cpu<") + A::name() + ">");
    });
    fn(cpu_auto{}, std::string("cpu_auto"));
    for (std::size_t t = 1; t <= 4; ++t) fn(threads<0, cpu_auto>(t), "threads(" + std::to_string(t) + ")");
    if (with_reference) fn(threads<3, reference>{}, std::string("threads<3, reference>"));
}

// Every arch in cpu_archs must be runnable where this test runs (a Zen 4): a silently skipped arch is a
// coverage hole, so name it.
inline void expect_all_archs_run() {
    using namespace qforge;
    boost::mp11::mp_for_each<cpu_archs>([&](auto arch) {
        using A = decltype(arch);
        if (!isa_runnable<A>()) std::printf("note: cpu<%s> is not runnable here, not tested\n", A::name());
    });
}

// A GEMM row's bits do not depend on where the row falls: rows 16..20 of a 37-row matrix sit in a 16-row panel
// group, the same rows of its first 21 rows are the tail past the last group (a different code path).
template <qforge::BlockFormat F, qforge::Backend B>
void check_rows_independent_of_position(const B& be, std::size_t n) {
    using namespace qforge;
    const std::size_t cols = 3 * F::block_size;
    const auto w = random_floats(37 * cols, 21);
    const auto big = make_matrix<F>(w, 37, cols);
    const auto small = make_matrix<F>(std::vector<float>(w.begin(), w.begin() + 21 * cols), 21, cols);
    const auto x = random_floats(n * cols, 22);
    std::vector<float> yb(n * 37), ys(n * 21);
    gemm(be, big.view(), x, n, yb);
    gemm(be, small.view(), x, n, ys);
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t r = 0; r < 21; ++r)
            ASSERT_EQ(std::bit_cast<std::uint32_t>(yb[j * 37 + r]), std::bit_cast<std::uint32_t>(ys[j * 21 + r]))
                << "row " << r << " col " << j << " n " << n;
}

// The same on every backend of for_each_backend (the reference aside), for each activation-row count in ns.
template <qforge::BlockFormat F>
void check_rows_independent_of_position_everywhere(std::initializer_list<std::size_t> ns) {
    for (std::size_t n : ns) {
        for_each_backend(
            [&](const auto& be, const std::string& name) {
                SCOPED_TRACE(name + ", n = " + std::to_string(n));
                check_rows_independent_of_position<F>(be, n);
            },
            false);
    }
}

// y from several thread counts must be bit-identical.
template <qforge::BlockFormat F>
void check_thread_invariance(const test_matrix<F>& m, const std::vector<float>& x, std::size_t n) {
    using namespace qforge;
    std::vector<float> base(n * m.rows), y(n * m.rows);
    gemm(cpu_auto{}, m.view(), x, n, base);
    for (std::size_t t = 1; t <= 4; ++t) {
        threads<0, cpu_auto> be(t);
        gemm(be, m.view(), x, n, y);
        ASSERT_EQ(0, std::memcmp(base.data(), y.data(), y.size() * 4)) << t << " threads";
        if (n == 1) { // the GEMV path (guided row claims for plain float formats)
            std::fill(y.begin(), y.end(), -1.0f);
            gemv(be, m.view(), x, std::span<float>(y));
            ASSERT_EQ(0, std::memcmp(base.data(), y.data(), y.size() * 4)) << t << " threads, gemv";
        }
    }
}

// The golden vec_dot of ggml for a format (folder): weights gauss.q, activations dot.act.q.
template <qforge::BlockFormat F, qforge::Backend B>
void check_golden_dot(const B& be, const std::string& folder) {
    using namespace qforge;
    using P = typename F::dot_partner;
    const auto dir = golden_quant_dir() / folder;
    const auto w = as_blocks<typename F::block>(read_bytes(dir / "gauss.q"));
    const auto a = as_blocks<typename P::block>(read_bytes(dir / "dot.act.q"));
    const float want = read_f32(dir / "dot.f32").at(0);
    const float got = dot<B, F>(be, w, a);
    // 1e-5 relative to ggml's value, widened by ggml's own distance from the exact dot of the quantized
    // values (double sum of the dequantized products): where the result cancels (q4_0's 0.73 from terms
    // summing to 301 in magnitude) ggml's float summation is itself 1.7e-5 off, and a kernel summing in
    // another order (or exactly) cannot be held to ggml's rounding. Not for q8_1 partners, whose dot uses
    // the block sums rounded to f16 (the dequantized values do not define it).
    double tol = 1e-5 * std::fabs(want), exact = 0.0;
    if constexpr (!std::is_same_v<P, q8_1>) {
        std::vector<float> wd(w.size() * F::block_size), ad(a.size() * P::block_size);
        F::dequantize(w, wd);
        P::dequantize(a, ad);
        for (std::size_t k = 0; k < wd.size(); ++k) exact += static_cast<double>(wd[k]) * ad[k];
        tol += std::fabs(exact - static_cast<double>(want));
        EXPECT_LE(tol, 3e-5 * std::fabs(want)) << folder << ": ggml's value is far from the exact dot " << exact;
    }
    EXPECT_NEAR(got, want, tol) << folder << ": exact " << exact;
}

} // namespace qforge_test

namespace qforge_test {

// Zero weights give exact zeros on every backend; 301 rows x 7 activation rows give the same bits on 1..4
// threads.
template <qforge::BlockFormat F>
void check_zeros_and_thread_invariance(std::size_t cols) {
    using namespace qforge;
    const auto z = make_matrix<F>(std::vector<float>(9 * cols, 0.0f), 9, cols);
    const auto x = random_floats(cols, 4);
    for_each_backend([&](const auto& be, const std::string& name) {
        std::vector<float> y(9, 1.0f);
        gemv(be, z.view(), x, std::span<float>(y));
        for (float v : y) EXPECT_EQ(v, 0.0f) << name;
    });
    const auto big = make_matrix<F>(random_floats(301 * cols, 5), 301, cols);
    check_thread_invariance(big, random_floats(7 * cols, 6), 7);
}

// The standard suite of a weight format: random weights (odd rows, an odd block count per row), n = 1..8,
// every backend; zero weights give exact zeros; thread-count invariance; ggml's golden dot.
template <qforge::BlockFormat F>
void format_suite(const std::string& golden_folder, std::size_t blocks_per_row = 7) {
    using namespace qforge;
    // The suite is for formats with their own SIMD kernels: make sure it does not silently test reference.
    static_assert(!isa_usable<xsimd::sse4_2> || (provides_kernel<op::gemv, cpu<xsimd::sse4_2>, F> &&
                                                 provides_kernel<op::gemm, cpu<xsimd::sse4_2>, F>));
    static_assert(!isa_usable<xsimd::avx2> ||
                  (provides_kernel<op::gemv, cpu<xsimd::avx2>, F> && provides_kernel<op::gemm, cpu<xsimd::avx2>, F>));
    static_assert(!isa_usable<avx512_vnni> || (provides_kernel<op::gemv, cpu<avx512_vnni>, F> &&
                                               provides_kernel<op::gemm, cpu<avx512_vnni>, F>));
    expect_all_archs_run();
    const std::size_t rows = 37, cols = blocks_per_row * F::block_size;
    const auto m = make_matrix<F>(random_floats(rows * cols, 2), rows, cols);
    const std::size_t terms = cols / F::block_size * (F::block_size >= 256 ? 8 : 1);
    for (std::size_t n : {1u, 2u, 5u, 8u}) {
        const auto x = random_floats(n * cols, 3 + static_cast<unsigned>(n));
        for_each_backend([&](const auto& be, const std::string& name) {
            SCOPED_TRACE(name + ", n = " + std::to_string(n));
            check_against_reference(be, m, x, n, terms);
        });
    }
    check_zeros_and_thread_invariance<F>(cols);
    // ggml's golden vec_dot within 1e-5 relative, widened by ggml's own error where its summation errs more
    // (check_golden_dot): the AVX2-shaped kernels sum like ggml's AVX2 kernels, the VNNI panel kernels
    // (panel16, q4_k/q6_k_vnni) sum one term per block in block order.
    if (std::filesystem::exists(golden_quant_dir() / golden_folder / "dot.f32")) {
        for_each_backend(
            [&](const auto& be, const std::string& name) {
                SCOPED_TRACE(name);
                check_golden_dot<F>(be, golden_folder);
            },
            false);
    }
}

// Max-magnitude weights: every block byte set to `fill` (the extreme quants of most formats are all-ones
// bytes), scales left as the fill makes them unless set_scale changes them; activations at +-1e4.
template <qforge::BlockFormat F, class SetScale>
void extreme_suite(std::uint8_t fill, SetScale set_scale) {
    using namespace qforge;
    const std::size_t rows = 9, cols = 3 * F::block_size;
    test_matrix<F> m{rows, cols, std::vector<typename F::block>(rows * cols / F::block_size), std::vector<float>(rows * cols)};
    for (auto& b : m.blocks) {
        std::memset(static_cast<void*>(&b), fill, sizeof(b));
        set_scale(b);
    }
    F::dequantize(m.blocks, m.deq);
    // 2 and 8 activation rows: 8 reaches the panel GEMMs of f32 and bf16.
    for (std::size_t n : {2u, 8u}) {
        std::vector<float> x(n * cols);
        for (std::size_t j = 0; j < x.size(); ++j) x[j] = (j % 5 == 0) ? -1e4f : 1e4f;
        for_each_backend([&](const auto& be, const std::string& name) {
            SCOPED_TRACE(name + ", n = " + std::to_string(n));
            check_against_reference(be, m, x, n, cols / F::block_size * (F::block_size >= 256 ? 8 : 1));
        });
    }
}

} // namespace qforge_test
