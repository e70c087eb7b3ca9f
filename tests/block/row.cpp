// Whole-matrix quantization: row by row equals the per-row reference, any thread count gives the same
// bytes, ggml's golden row comes out through the matrix API, and shape errors are clear.
#include <qforge/block/all.hpp>
#include <qforge/block/row.hpp>

#include <boost/mp11/algorithm.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "support/format_golden.hpp"

using namespace qforge;

namespace {

std::vector<float> random_matrix(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(gen);
    return v;
}

template <class F>
bool same_bytes(const std::vector<typename F::block>& a, const std::vector<typename F::block>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(typename F::block)) == 0;
}

using legacy_formats = boost::mp11::mp_list<f16_format, q4_0, q4_1, q5_0, q5_1, q8_0, q8_1, iq4_nl, bf16_format, mxfp4>;

} // namespace

TEST(row, equals_per_row_reference_for_any_thread_count) {
    constexpr std::size_t rows = 37, cols = 256;
    const auto x = random_matrix(rows * cols, 1);
    boost::mp11::mp_for_each<legacy_formats>([&](auto f) {
        using F = decltype(f);
        SCOPED_TRACE(std::string(F::name));
        const std::size_t per_row = cols / F::block_size;
        std::vector<typename F::block> want(rows * per_row);
        for (std::size_t r = 0; r < rows; ++r)
            F::quantize(std::span(x).subspan(r * cols, cols), std::span(want).subspan(r * per_row, per_row));
        for (unsigned threads : {1u, 2u, 3u, 7u, 64u, 0u}) {
            std::vector<typename F::block> got(rows * per_row);
            quantize_rows<F>(x, rows, cols, got, quantize_policy{threads});
            EXPECT_TRUE(same_bytes<F>(want, got)) << threads << " threads";
        }
    });
}

TEST(row, imatrix_is_per_column_and_thread_independent) {
    constexpr std::size_t rows = 19, cols = 128;
    const auto x = random_matrix(rows * cols, 2);
    std::vector<float> im(cols);
    for (std::size_t c = 0; c < cols; ++c) im[c] = 0.5f + static_cast<float>(c % 5);
    boost::mp11::mp_for_each<boost::mp11::mp_list<q4_0, q4_1, q5_0, q5_1, iq4_nl>>([&](auto f) {
        using F = decltype(f);
        SCOPED_TRACE(std::string(F::name));
        const std::size_t per_row = cols / F::block_size;
        std::vector<typename F::block> want(rows * per_row), plain(rows * per_row);
        for (std::size_t r = 0; r < rows; ++r)
            F::quantize(std::span(x).subspan(r * cols, cols), std::span(want).subspan(r * per_row, per_row), im);
        quantize_rows<F>(x, rows, cols, plain);
        EXPECT_FALSE(same_bytes<F>(want, plain)) << "the importance matrix changed nothing";
        for (unsigned threads : {1u, 4u, 0u}) {
            std::vector<typename F::block> got(rows * per_row);
            quantize_rows<F>(x, rows, cols, got, im, quantize_policy{threads});
            EXPECT_TRUE(same_bytes<F>(want, got)) << threads << " threads";
        }
    });
}

TEST(row, golden_rows_through_the_matrix_api) {
    QFORGE_REQUIRE_SHARED();
    const auto dir = qforge_test::golden_quant_dir();
    const auto x = qforge_test::read_f32(dir / "inputs/weights.f32");
    const auto im = qforge_test::read_f32(dir / "inputs/imatrix.f32");
    // The 4096 golden values as 2 rows of 2048 would change q4_0's row statistics; as 1 row they are ggml's.
    std::vector<q4_0::block> q(x.size() / 32);
    quantize_rows<q4_0>(x, 1, x.size(), q, im, quantize_policy{2});
    const auto want = qforge_test::read_bytes(dir / "q4_0/weights.imatrix.q");
    ASSERT_EQ(want.size(), q.size() * sizeof(q4_0::block));
    EXPECT_EQ(0, std::memcmp(want.data(), q.data(), want.size()));
    std::vector<iq4_nl::block> n(x.size() / 32);
    quantize_rows<iq4_nl>(x, 4, x.size() / 4, n, std::span(im).first(x.size() / 4), quantize_policy{3});
    // iq4_nl's imatrix weights are per column; rows of 1024 see columns 0..1023 of imatrix.f32 again and
    // again, so only the first row can be compared with the golden file (which weighs all 4096 columns).
    const auto want_n = qforge_test::read_bytes(dir / "iq4_nl/weights.imatrix.q");
    EXPECT_EQ(0, std::memcmp(want_n.data(), n.data(), 32 * sizeof(iq4_nl::block)));
}

TEST(row, shape_errors_are_clear) {
    std::vector<float> x(2 * 64), im(64);
    std::vector<q4_0::block> q(4), small(3);
    EXPECT_NO_THROW(quantize_rows<q4_0>(x, 2, 64, q));
    EXPECT_THROW(quantize_rows<q4_0>(x, 2, 60, q), error);                  // not whole blocks
    EXPECT_THROW(quantize_rows<q4_0>(x, 3, 64, q), error);                  // too few values
    EXPECT_THROW(quantize_rows<q4_0>(x, 2, 64, small), error);              // too few blocks
    EXPECT_THROW(quantize_rows<q4_0>(x, 2, 64, q, std::span(im).first(32)), error); // imatrix length
    EXPECT_THROW(quantize_rows<q4_0>(x, std::size_t{1} << 40, std::size_t{1} << 40, q), error); // overflow
    try {
        quantize_rows<q4_0>(x, 2, 64, small);
    } catch (const error& e) {
        EXPECT_EQ(e.code(), errc::shape);
        EXPECT_NE(std::string(e.what()).find("q4_0"), std::string::npos);
    }
}

TEST(row, empty_matrix_is_fine) {
    std::vector<float> x;
    std::vector<q8_0::block> q;
    EXPECT_NO_THROW(quantize_rows<q8_0>(x, 0, 64, q, quantize_policy{0}));
}
