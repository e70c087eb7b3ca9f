// q6_k_x8 (8 rows interleaved): the layout round-trips bit for bit; its GEMV (SIMD and scalar) and GEMM give
// the same bits as each other, as an independent scalar evaluation of the documented arithmetic and as
// q6_k_vnni's panel GEMM and rows(); within the order tolerance of the reference GEMV.
#include <qforge/backend/cpu/q6_k_x8.hpp>

#include "check.hpp"

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

using namespace qforge;
using namespace qforge_test;

namespace {

constexpr std::size_t row_counts[] = {1, 7, 8, 9, 16, 37, 64};
constexpr std::size_t widths[] = {256, 768, 2048};

// Random weights quantized by q6_k::quantize.
std::vector<q6_k::block> quantized(std::size_t rows, std::size_t cols, unsigned seed) {
    std::vector<q6_k::block> b(rows * cols / 256);
    q6_k::quantize(random_floats(rows * cols, seed), b);
    return b;
}

// Random bytes in every field; with finite_d, d is a random finite f16 of modest size (the dot tests compare
// bits; infinities and NaNs are not what they are about).
std::vector<q6_k::block> raw(std::size_t rows, std::size_t cols, unsigned seed, bool finite_d) {
    std::vector<q6_k::block> b(rows * cols / 256);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dd(-0.05f, 0.05f);
    for (auto& x : b) {
        auto* p = reinterpret_cast<unsigned char*>(&x);
        for (std::size_t i = 0; i < sizeof x; ++i) p[i] = static_cast<unsigned char>(gen());
        if (finite_d) x.d = f16::from_float(dd(gen));
    }
    return b;
}

std::vector<q8_k::block> activations(std::size_t n, std::size_t cols, unsigned seed) {
    std::vector<q8_k::block> a(n * cols / 256);
    q8_k::quantize(random_floats(n * cols, seed), a);
    return a;
}

// The documented arithmetic, evaluated from q6_k's own decoding (q6_k::quant), independent of the layout.
float expected_row(const q6_k::block* w, const q8_k::block* a, std::size_t nb) {
    float s = 0;
    for (std::size_t b = 0; b < nb; ++b) {
        std::int64_t T = 0;
        for (int g = 0; g < 16; ++g) {
            std::int64_t dot = 0;
            for (int i = 0; i < 16; ++i) dot += std::int64_t{q6_k::quant(w[b], 16 * g + i)} * a[b].qs[16 * g + i];
            T += w[b].scales[g] * (dot - 32 * std::int64_t{a[b].bsums[g]});
        }
        s = std::fma(static_cast<float>(static_cast<std::int32_t>(T)), w[b].d.to_float() * a[b].d, s);
    }
    return s;
}

bool same_bits(const std::vector<float>& x, const std::vector<float>& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
}

// Every shape, quantized and raw weights.
template <class Fn>
void for_each_matrix(Fn&& fn, bool finite_d = true) {
    unsigned seed = 100;
    for (std::size_t rows : row_counts)
        for (std::size_t cols : widths)
            for (bool is_raw : {false, true}) {
                SCOPED_TRACE(std::to_string(rows) + " x " + std::to_string(cols) + (is_raw ? " raw" : " quantized"));
                const auto w = is_raw ? raw(rows, cols, ++seed, finite_d) : quantized(rows, cols, ++seed);
                fn(w, rows, cols, ++seed);
            }
}

} // namespace

TEST(backend_q6_k_x8, pack_unpack_round_trip) {
    for_each_matrix(
        [](const std::vector<q6_k::block>& w, std::size_t rows, std::size_t cols, unsigned) {
            const auto m = q6_k_x8_matrix::pack({w.data(), rows, cols});
            const std::size_t nb = cols / 256;
            ASSERT_EQ(m.rows(), rows);
            ASSERT_EQ(m.cols(), cols);
            ASSERT_EQ(m.blocks_per_row(), nb);
            ASSERT_EQ(m.full_rows(), rows / 8 * 8);
            EXPECT_EQ(m.bytes(), rows * nb * sizeof(q6_k::block));
            std::vector<q6_k::block> out(nb);
            for (std::size_t r = 0; r < rows; ++r) {
                m.unpack_row(r, out.data());
                ASSERT_EQ(0, std::memcmp(out.data(), w.data() + r * nb, nb * sizeof(q6_k::block))) << "row " << r;
            }
            EXPECT_THROW(m.unpack_row(rows, out.data()), qforge::error);
        },
        false);
}

TEST(backend_q6_k_x8, pack_rejects_a_row_length_not_a_multiple_of_256) {
    const auto w = quantized(2, 512, 1);
    qmatrix_view<q6_k> v; // the view's own constructor checks the length too: set the fields directly
    v.data = w.data();
    v.rows = 2;
    v.cols = 300;
    try {
        (void)q6_k_x8_matrix::pack(v);
        FAIL() << "no error";
    } catch (const qforge::error& e) {
        EXPECT_EQ(e.code(), errc::shape);
        EXPECT_NE(std::string(e.what()).find("300"), std::string::npos) << e.what();
    }
}

TEST(backend_q6_k_x8, gemv_simd_scalar_and_vnni_rows_agree_bitwise) {
    for_each_matrix([](const std::vector<q6_k::block>& w, std::size_t rows, std::size_t cols, unsigned seed) {
        const std::size_t nb = cols / 256;
        const auto m = q6_k_x8_matrix::pack({w.data(), rows, cols});
        const auto a = activations(1, cols, seed);
        std::vector<float> want(rows), simd(rows), scalar(rows);
        for (std::size_t r = 0; r < rows; ++r) want[r] = expected_row(w.data() + r * nb, a.data(), nb);
        cpu_detail::q6_k_x8_rows(m, a.data(), simd.data(), 0, rows);
        cpu_detail::q6_k_x8_rows(m, a.data(), scalar.data(), 0, rows, false);
        EXPECT_TRUE(same_bits(scalar, want)) << "scalar path";
        EXPECT_TRUE(same_bits(simd, want)) << "SIMD path";
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
        std::vector<float> vnni(rows);
        cpu_detail::q6_k_vnni::rows(w.data(), nb, a.data(), vnni.data(), 0, rows);
        EXPECT_TRUE(same_bits(simd, vnni)) << "q6_k_vnni::rows";
#endif
        // A sub-range not aligned to 8: the same bits, nothing outside it written.
        if (rows >= 5) {
            const std::size_t r0 = 3, r1 = rows - 1;
            for (bool use_simd : {true, false}) {
                std::vector<float> part(rows, -7.0f);
                cpu_detail::q6_k_x8_rows(m, a.data(), part.data(), r0, r1, use_simd);
                for (std::size_t r = 0; r < rows; ++r) {
                    const float e = r >= r0 && r < r1 ? want[r] : -7.0f;
                    ASSERT_EQ(std::bit_cast<std::uint32_t>(part[r]), std::bit_cast<std::uint32_t>(e))
                        << "row " << r << (use_simd ? " simd" : " scalar");
                }
            }
        }
    });
}

TEST(backend_q6_k_x8, extreme_blocks_simd_equals_scalar) {
    // Every byte 0xff etc., d the largest finite f16, activations +-1e4: overflowing sums give the same bits.
    const std::size_t rows = 24, cols = 768, nb = 3;
    for (std::uint8_t fill : {0x00, 0xff, 0x80, 0x7f, 0x3f}) {
        std::vector<q6_k::block> w(rows * nb);
        for (auto& b : w) {
            std::memset(static_cast<void*>(&b), fill, sizeof b);
            b.d = f16::from_bits(0x7bff);
        }
        std::vector<float> x(cols);
        for (std::size_t j = 0; j < cols; ++j) x[j] = (j % 5 == 0) ? -1e4f : 1e4f;
        std::vector<q8_k::block> a(nb);
        q8_k::quantize(x, a);
        const auto m = q6_k_x8_matrix::pack({w.data(), rows, cols});
        std::vector<float> want(rows), simd(rows), scalar(rows);
        for (std::size_t r = 0; r < rows; ++r) want[r] = expected_row(w.data() + r * nb, a.data(), nb);
        cpu_detail::q6_k_x8_rows(m, a.data(), simd.data(), 0, rows);
        cpu_detail::q6_k_x8_rows(m, a.data(), scalar.data(), 0, rows, false);
        EXPECT_TRUE(same_bits(scalar, want)) << int{fill};
        EXPECT_TRUE(same_bits(simd, want)) << int{fill};
    }
}

TEST(backend_q6_k_x8, gemm_rows_equal_gemv_and_vnni_gemm_bitwise) {
    for (std::size_t rows : {9u, 16u, 37u, 64u})
        for (std::size_t cols : {256u, 768u}) {
            const std::size_t nb = cols / 256;
            const auto w = quantized(rows, cols, static_cast<unsigned>(rows * 7 + cols));
            const auto m = q6_k_x8_matrix::pack({w.data(), rows, cols});
            for (std::size_t n : {1u, 2u, 3u, 4u, 5u, 9u}) {
                SCOPED_TRACE(std::to_string(rows) + " x " + std::to_string(cols) + ", n = " + std::to_string(n));
                const auto a = activations(n, cols, static_cast<unsigned>(n + rows));
                std::vector<float> y(n * rows), gemv(n * rows);
                cpu_detail::q6_k_x8_gemm(m, a.data(), n, y.data(), 0, rows);
                for (std::size_t j = 0; j < n; ++j)
                    cpu_detail::q6_k_x8_rows(m, a.data() + j * nb, gemv.data() + j * rows, 0, rows);
                EXPECT_TRUE(same_bits(y, gemv)) << "gemm row != gemv";
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
                if (n >= 4) {
                    std::vector<float> vnni(n * rows);
                    cpu_detail::q6_k_vnni::gemm(qmatrix_view<q6_k>{w.data(), rows, cols}, a.data(), n, vnni.data(), 0, rows);
                    EXPECT_TRUE(same_bits(y, vnni)) << "q6_k_vnni::gemm";
                }
#endif
                // Sub-ranges: one starting at a 16-row boundary (the panel), one not.
                for (std::size_t r0 : {std::size_t{16}, std::size_t{5}}) {
                    if (r0 >= rows) continue;
                    std::vector<float> part(n * rows, -7.0f);
                    cpu_detail::q6_k_x8_gemm(m, a.data(), n, part.data(), r0, rows);
                    for (std::size_t j = 0; j < n; ++j)
                        for (std::size_t r = 0; r < rows; ++r) {
                            const float e = r >= r0 ? gemv[j * rows + r] : -7.0f;
                            ASSERT_EQ(std::bit_cast<std::uint32_t>(part[j * rows + r]), std::bit_cast<std::uint32_t>(e))
                                << "r0 " << r0 << " row " << r << " col " << j;
                        }
                }
            }
        }
}

TEST(backend_q6_k_x8, gemv_matches_reference_within_order_tolerance) {
    for (std::size_t rows : row_counts)
        for (std::size_t cols : widths) {
            SCOPED_TRACE(std::to_string(rows) + " x " + std::to_string(cols));
            const std::size_t nb = cols / 256;
            const auto tm = make_matrix<q6_k>(random_floats(rows * cols, static_cast<unsigned>(rows + cols)), rows, cols);
            const auto m = q6_k_x8_matrix::pack(tm.view());
            const auto x = random_floats(cols, static_cast<unsigned>(3 * rows + cols));
            std::vector<q8_k::block> a(nb);
            q8_k::quantize(x, a);
            std::vector<float> want(rows), got(rows);
            gemv(reference{}, tm.view(), x, std::span<float>(want));
            cpu_detail::q6_k_x8_rows(m, a.data(), got.data(), 0, rows);
            for (std::size_t r = 0; r < rows; ++r) {
                const double tol = order_tolerance(tm.deq.data() + r * cols, x.data(), cols, 8 * nb);
                ASSERT_NEAR(got[r], want[r], tol) << "row " << r;
            }
        }
}
