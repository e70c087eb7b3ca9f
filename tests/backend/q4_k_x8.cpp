// q4_k_x8 (q4_k weights 8 rows interleaved, backend/cpu/q4_k_x8.hpp, ops/interleaved.hpp): the layout is
// lossless, the AVX-512 VNNI GEMV equals the scalar path and q4_k_vnni's per-row arithmetic bit for bit, GEMM
// rows equal the GEMV at every n and thread count, and everything agrees with the reference backend on the
// original layout within the float-order tolerance.
#include <qforge/ops/interleaved.hpp>

#include <cstring>

#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

namespace {

constexpr std::size_t row_counts[] = {1, 7, 8, 9, 16, 37, 64};
constexpr std::size_t widths[] = {256, 768, 2048};

std::vector<q8_k::block> activations(std::size_t cols, unsigned seed) {
    const auto x = random_floats(cols, seed);
    std::vector<q8_k::block> a(cols / 256);
    q8_k::quantize(x, a);
    return a;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Random bytes for every block (any bit pattern must round-trip), with finite d and dmin.
std::vector<q4_k::block> random_blocks(std::size_t n, unsigned seed) {
    std::mt19937 g(seed);
    std::vector<q4_k::block> b(n);
    auto* p = reinterpret_cast<unsigned char*>(b.data());
    for (std::size_t i = 0; i < n * sizeof(q4_k::block); ++i) p[i] = static_cast<unsigned char>(g());
    for (auto& x : b) {
        x.d = f16::from_float(std::ldexp(static_cast<float>(g() % 1000) / 1000.0f, -8));
        x.dmin = f16::from_float(std::ldexp(static_cast<float>(g() % 1000) / 1000.0f, -9));
    }
    return b;
}

} // namespace

TEST(backend_q4_k_x8, pack_unpack_round_trip_is_bit_exact) {
    for (const std::size_t rows : row_counts)
        for (const std::size_t cols : widths) {
            const auto blocks = random_blocks(rows * cols / 256, static_cast<unsigned>(rows * 31 + cols));
            const auto m = q4_k_x8_matrix::pack({blocks.data(), rows, cols});
            EXPECT_EQ(m.rows(), rows);
            EXPECT_EQ(m.cols(), cols);
            EXPECT_EQ(m.full_rows(), rows / 8 * 8);
            EXPECT_EQ(m.bytes(), rows / 8 * (cols / 256) * sizeof(q4_k_x8_block) + rows % 8 * (cols / 256) * 144);
            std::vector<q4_k::block> back(cols / 256);
            for (std::size_t r = 0; r < rows; ++r) {
                m.unpack_row(r, back.data());
                ASSERT_EQ(std::memcmp(back.data(), blocks.data() + r * (cols / 256), back.size() * sizeof(q4_k::block)), 0)
                    << rows << "x" << cols << " row " << r;
            }
        }
}

TEST(backend_q4_k_x8, bad_shapes_are_errors) {
    std::vector<q4_k::block> b(3);
    EXPECT_THROW((void)q4_k_x8_matrix::pack({b.data(), 1, 300}), error);
    const auto m = q4_k_x8_matrix::pack({b.data(), 3, 256});
    std::vector<q4_k::block> out(1);
    EXPECT_THROW(m.unpack_row(3, out.data()), error);
    std::vector<float> x(256), y(2);
    EXPECT_THROW(gemv(cpu_auto{}, m, x, y), error);
    std::vector<float> x2(255), y3(3);
    EXPECT_THROW(gemv(cpu_auto{}, m, x2, y3), error);
    EXPECT_THROW(gemm(cpu_auto{}, m, x, 2, y3), error);
}

// The SIMD kernel, the scalar path and q4_k_vnni's per-row kernel (on the original blocks) give the same bits,
// also for row ranges that do not start at a multiple of 8.
TEST(backend_q4_k_x8, simd_scalar_and_q4_k_vnni_rows_agree_bitwise) {
    for (const std::size_t rows : row_counts)
        for (const std::size_t cols : widths) {
            const auto m0 = make_matrix<q4_k>(random_floats(rows * cols, static_cast<unsigned>(rows + cols)), rows, cols);
            const auto m = q4_k_x8_matrix::pack(m0.view());
            const auto a = activations(cols, 7);
            std::vector<float> simd(rows), scalar(rows);
            cpu_detail::q4_k_x8_rows(m, a.data(), simd.data(), 0, rows, true);
            cpu_detail::q4_k_x8_rows(m, a.data(), scalar.data(), 0, rows, false);
            EXPECT_TRUE(same_bits(simd, scalar)) << rows << "x" << cols;
#if QFORGE_Q4_K_X8_SIMD && defined(__AVX512BW__)
            std::vector<float> vnni(rows);
            cpu_detail::q4_k_vnni::rows(m0.blocks.data(), cols / 256, a.data(), vnni.data(), 0, rows);
            EXPECT_TRUE(same_bits(simd, vnni)) << rows << "x" << cols;
#endif
            if (rows > 5) {
                std::vector<float> part(rows, -1.0f);
                cpu_detail::q4_k_x8_rows(m, a.data(), part.data(), 3, rows - 1);
                for (std::size_t r = 3; r < rows - 1; ++r) EXPECT_EQ(part[r], simd[r]) << "row " << r;
                EXPECT_EQ(part[0], -1.0f);
                EXPECT_EQ(part[rows - 1], -1.0f);
            }
        }
}

// Against the reference backend on the original layout: the same per-block terms summed in another order.
TEST(backend_q4_k_x8, matches_reference_gemm_and_gemv) {
    for (const std::size_t rows : {9u, 37u, 64u})
        for (const std::size_t cols : widths)
            for (const std::size_t n : {1u, 2u, 3u, 4u, 5u, 9u}) {
                const auto m0 = make_matrix<q4_k>(random_floats(rows * cols, static_cast<unsigned>(3 * rows + cols)), rows, cols);
                const auto m = q4_k_x8_matrix::pack(m0.view());
                const auto x = random_floats(n * cols, static_cast<unsigned>(n));
                std::vector<float> want(n * rows), got(n * rows), got2(n * rows), one(rows);
                gemm(reference{}, m0.view(), x, n, want);
                gemm(cpu_auto{}, m, x, n, got);
                gemm(threads<0, cpu_auto>(3), m, x, n, got2);
                EXPECT_TRUE(same_bits(got, got2)) << "threads: " << rows << "x" << cols << " n " << n;
                const std::vector<float> mag = term_magnitudes(m0);
                for (std::size_t j = 0; j < n; ++j) {
                    const std::span<const float> xj(x.data() + j * cols, cols);
                    gemv(cpu_auto{}, m, xj, std::span<float>(one));
                    for (std::size_t r = 0; r < rows; ++r) {
                        // GEMM rows are the GEMV bit for bit, whatever n (the panel kernel has the same arithmetic).
                        ASSERT_EQ(std::bit_cast<std::uint32_t>(one[r]), std::bit_cast<std::uint32_t>(got[j * rows + r]))
                            << rows << "x" << cols << " n " << n << " row " << r << " col " << j;
                        const double tol = order_tolerance(mag.data() + r * cols, xj.data(), cols, 2 * cols / 256);
                        ASSERT_NEAR(got[j * rows + r], want[j * rows + r], tol) << "row " << r << " col " << j;
                    }
                }
            }
}

// For n >= 4 on AVX-512 VNNI the GEMM is q4_k_vnni's panel kernel on the unpacked rows: the same bits as that
// kernel on the original layout.
TEST(backend_q4_k_x8, gemm_equals_q4_k_vnni_panel) {
#if QFORGE_Q4_K_X8_SIMD && defined(__AVX512BW__)
    for (const std::size_t rows : {16u, 37u, 64u})
        for (const std::size_t n : {4u, 7u}) {
            const std::size_t cols = 768, nb = cols / 256;
            const auto m0 = make_matrix<q4_k>(random_floats(rows * cols, static_cast<unsigned>(rows)), rows, cols);
            const auto m = q4_k_x8_matrix::pack(m0.view());
            const auto x = random_floats(n * cols, 11);
            std::vector<q8_k::block> xq(n * nb);
            for (std::size_t j = 0; j < n; ++j)
                q8_k::quantize(std::span<const float>(x.data() + j * cols, cols), std::span<q8_k::block>(xq.data() + j * nb, nb));
            std::vector<float> a(n * rows), b(n * rows);
            cpu_detail::q4_k_vnni::gemm(m0.view(), xq.data(), n, a.data(), 0, rows);
            cpu_detail::q4_k_x8_gemm(m, xq.data(), n, b.data(), 0, rows);
            EXPECT_TRUE(same_bits(a, b)) << rows << " rows, n " << n;
        }
#else
    GTEST_SKIP() << "no AVX-512 VNNI in this build: the panel kernel is not compiled";
#endif
}

// Extreme blocks (every quant and scale at its maximum, the largest finite f16 super-scales) stay finite and
// agree between the SIMD and scalar paths.
TEST(backend_q4_k_x8, extreme_blocks) {
    for (const unsigned char fill : {0x00, 0xff, 0x80, 0x7f, 0x3f}) {
        std::vector<q4_k::block> b(16 * 3);
        std::memset(static_cast<void*>(b.data()), fill, b.size() * sizeof(q4_k::block));
        for (auto& x : b) x.d = x.dmin = f16::from_bits(0x7bff);
        const auto m = q4_k_x8_matrix::pack({b.data(), 16, 768});
        std::vector<q8_k::block> a(3);
        for (auto& x : a) {
            x.d = 1.0f;
            std::memset(x.qs, 0x80, sizeof x.qs); // -128
            for (auto& s : x.bsums) s = -128 * 16;
        }
        std::vector<float> s1(16), s2(16);
        cpu_detail::q4_k_x8_rows(m, a.data(), s1.data(), 0, 16, true);
        cpu_detail::q4_k_x8_rows(m, a.data(), s2.data(), 0, 16, false);
        EXPECT_TRUE(same_bits(s1, s2)) << "fill " << int(fill);
    }
}

TEST(backend_q4_k_x8, usable_only_where_the_layout_runs_natively) {
    EXPECT_FALSE(interleaved_usable(reference{}));
    EXPECT_FALSE(interleaved_usable(cpu<xsimd::avx2>{}));
#if QFORGE_Q4_K_X8_SIMD && defined(__AVX512BW__)
    EXPECT_TRUE(interleaved_usable(cpu<avx512_vnni>{}));
    EXPECT_EQ(interleaved_usable(cpu_auto{}), cpu_auto_level() == isa_level::avx512_vnni);
    EXPECT_EQ(interleaved_usable(threads<2, cpu_auto>{}), interleaved_usable(cpu_auto{}));
#else
    EXPECT_FALSE(interleaved_usable(cpu_auto{}));
#endif
}
