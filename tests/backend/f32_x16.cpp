// f32_x16 (f32 weights in 16-row k-major panels, backend/cpu/f32_x16.hpp, ops/interleaved.hpp): the layout is
// lossless (padding rows included), every path (the AVX-512 GEMV and GEMM tiles, the last partial panel, the
// scalar build) equals one FMA chain per output over k in order bit for bit, at every n and thread count, and
// the results agree with the reference backend on the original layout within the float-order tolerance.
#include <qforge/ops/interleaved.hpp>

#include <cmath>
#include <cstring>

#include "check.hpp"

using namespace qforge;
using namespace qforge_test;

namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

qmatrix_view<f32> view(const std::vector<float>& w, std::size_t rows, std::size_t cols) {
    return {reinterpret_cast<const f32::block*>(w.data()), rows, cols};
}

// The arithmetic the layout promises: s = 0; s = fma(w[r][k], x[j][k], s) for k in order.
std::vector<float> fma_chain(const std::vector<float>& w, const std::vector<float>& x, std::size_t rows, std::size_t cols,
                             std::size_t n) {
    std::vector<float> y(n * rows);
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t r = 0; r < rows; ++r) {
            float s = 0.0f;
            for (std::size_t k = 0; k < cols; ++k) s = std::fma(w[r * cols + k], x[j * cols + k], s);
            y[j * rows + r] = s;
        }
    return y;
}

constexpr std::size_t row_counts[] = {1, 15, 16, 17, 37, 48, 64, 100, 172};
constexpr std::size_t widths[] = {1, 17, 64, 260};
constexpr std::size_t batch[] = {1, 2, 4, 5, 8, 13, 24, 29};

} // namespace

TEST(backend_f32_x16, pack_is_lossless_and_pads_with_zeros) {
    for (const std::size_t rows : row_counts)
        for (const std::size_t cols : widths) {
            auto w = random_floats(rows * cols, static_cast<unsigned>(rows * 31 + cols));
            if (rows * cols > 3) { // special values survive: NaN payloads, infinities, signed zero, subnormals
                std::uint32_t nan = 0x7fc01234u;
                std::memcpy(&w[0], &nan, 4);
                w[1] = -INFINITY;
                w[2] = -0.0f;
                w[3] = 1e-41f;
            }
            std::size_t progress = 0;
            const auto m = f32_x16_matrix::pack(view(w, rows, cols), [&](const void*, std::size_t b) { progress += b; });
            EXPECT_EQ(progress, rows * cols * sizeof(float)) << "every source byte is reported consumed once";
            ASSERT_EQ(m.rows(), rows);
            ASSERT_EQ(m.cols(), cols);
            EXPECT_EQ(m.panels(), (rows + 15) / 16);
            EXPECT_EQ(m.bytes(), m.panels() * 16 * (cols + 1) * sizeof(float));
            std::vector<float> row(cols);
            for (std::size_t r = 0; r < rows; ++r) {
                m.unpack_row(r, row.data());
                ASSERT_EQ(std::memcmp(row.data(), &w[r * cols], cols * sizeof(float)), 0) << rows << "x" << cols << " row " << r;
            }
            const float* last = m.panel(m.panels() - 1);
            for (std::size_t k = 0; k < cols; ++k)
                for (std::size_t i = rows - (m.panels() - 1) * 16; i < 16; ++i)
                    ASSERT_EQ(last[k * 16 + i], 0.0f) << "padding lane " << i;
            EXPECT_THROW(m.unpack_row(rows, row.data()), error);
        }
}

TEST(backend_f32_x16, every_path_is_one_fma_chain_per_output) {
    for (const std::size_t rows : row_counts)
        for (const std::size_t cols : widths)
            for (const std::size_t n : batch) {
                const auto w = random_floats(rows * cols, static_cast<unsigned>(rows + cols));
                const auto x = random_floats(n * cols, static_cast<unsigned>(n + 7));
                const auto m = f32_x16_matrix::pack(view(w, rows, cols));
                std::vector<float> y(n * rows, NAN);
                gemm(cpu_auto{}, m, x, n, y);
                ASSERT_TRUE(same_bits(y, fma_chain(w, x, rows, cols, n))) << rows << "x" << cols << ", n " << n;
                // A sub-range from a 16-row boundary (how threads split it) writes only its rows.
                if (rows > 16) {
                    std::vector<float> part(n * rows, -7.0f);
                    cpu_detail::f32_x16_gemm(m, x.data(), n, part.data(), 16, rows);
                    for (std::size_t j = 0; j < n; ++j)
                        for (std::size_t r = 0; r < rows; ++r)
                            ASSERT_EQ(part[j * rows + r], r < 16 ? -7.0f : y[j * rows + r]) << "row " << r;
                }
            }
}

TEST(backend_f32_x16, gemv_equals_the_gemm_row_and_the_reference_within_rounding) {
    const std::size_t rows = 100, cols = 260;
    const auto w = random_floats(rows * cols, 3), x = random_floats(cols, 4);
    const auto m = f32_x16_matrix::pack(view(w, rows, cols));
    std::vector<float> y(rows), yg(rows), ref(rows);
    gemv(cpu_auto{}, m, x, y);
    gemm(cpu_auto{}, m, x, 1, yg);
    EXPECT_TRUE(same_bits(y, yg));
    const auto fm = make_matrix<f32>(w, rows, cols);
    gemv(reference{}, fm.view(), x, ref);
    for (std::size_t r = 0; r < rows; ++r)
        EXPECT_NEAR(y[r], ref[r], order_tolerance(&w[r * cols], x.data(), cols, cols)) << "row " << r;
}

TEST(backend_f32_x16, any_thread_count_gives_the_same_bits) {
    const std::size_t rows = 1013, cols = 96; // 64 panels, the last one partial: many guided claims
    const auto w = random_floats(rows * cols, 8);
    const auto m = f32_x16_matrix::pack(view(w, rows, cols));
    for (const std::size_t n : {std::size_t{1}, std::size_t{9}}) {
        const auto x = random_floats(n * cols, 9);
        std::vector<float> one(n * rows);
        gemm(cpu_auto{}, m, x, n, one);
        for (std::size_t t = 2; t <= 4; ++t) {
            std::vector<float> y(n * rows, NAN);
            gemm(threads<0, cpu_auto>(t), m, x, n, y);
            EXPECT_TRUE(same_bits(one, y)) << t << " threads, n " << n;
        }
    }
}

TEST(backend_f32_x16, wrong_shapes_are_errors) {
    const auto w = random_floats(32 * 8, 1);
    const auto m = f32_x16_matrix::pack(view(w, 32, 8));
    std::vector<float> x(8), y(32), small(31);
    EXPECT_THROW(gemv(cpu_auto{}, m, std::span<const float>(x).first(7), y), error);
    EXPECT_THROW(gemv(cpu_auto{}, m, x, small), error);
    EXPECT_THROW(gemm(cpu_auto{}, m, x, 2, y), error);
    const f32_x16_matrix empty = f32_x16_matrix::pack(view(w, 0, 8));
    EXPECT_EQ(empty.panels(), 0u);
    gemm(cpu_auto{}, empty, x, 1, std::span<float>()); // nothing to do, no error
}

TEST(backend_f32_x16, usable_only_at_avx512) {
    EXPECT_FALSE(f32_x16_usable(reference{}));
    EXPECT_FALSE(f32_x16_usable(cpu<xsimd::avx2>{}));
#if QFORGE_ARCH_X86_64 && defined(__AVX512F__)
    EXPECT_TRUE(f32_x16_usable(cpu<xsimd::avx512bw>{}));
    EXPECT_TRUE(f32_x16_usable(cpu<avx512_vnni>{}));
    EXPECT_EQ(f32_x16_usable(cpu_auto{}), static_cast<int>(cpu_auto_level()) >= static_cast<int>(isa_level::avx512));
    EXPECT_EQ(f32_x16_usable(threads<2, cpu_auto>{}), f32_x16_usable(cpu_auto{}));
#else
    EXPECT_FALSE(f32_x16_usable(cpu_auto{}));
#endif
}
