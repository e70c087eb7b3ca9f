// Golden tests for q8_k, the activation format of the K-quant dot products: byte-exact quantization of
// every golden input (ggml's CPU from_float), dequantization and the self dot.
#include <qforge/block/q8_k.hpp>

#include <cmath>
#include <cstddef>
#include <cstring>

#include "block/kquant_checks.hpp"

using namespace qforge;
using qforge_test::golden_quant_dir;

TEST(q8_k, layout) {
    static_assert(sizeof(q8_k::block) == 292);
    static_assert(q8_k::bits_per_weight == 9.125);
    static_assert(q8_k::type_id == ggml_type::q8_k);
    static_assert(offsetof(q8_k::block, qs) == 4 && offsetof(q8_k::block, bsums) == 260);
}

// edge.q block 0 is all zero: ggml leaves its bsums (bytes 260..291) unwritten, the golden file has zeros
// there (zero-filled destination), and so do we.
TEST(q8_k, golden_quantize) {
    QFORGE_REQUIRE_SHARED();
    for (const auto& in : qforge_test::golden_inputs()) {
        SCOPED_TRACE(in);
        const auto x = kquant_checks::input(in);
        const auto want = qforge_test::read_bytes(golden_quant_dir() / "q8_k" / (in + ".q"));
        std::vector<q8_k::block> q(x.size() / 256);
        // Pre-fill with garbage: the all-zero block must still get zero bsums.
        std::memset(q.data(), 0xA5, q.size() * sizeof(q8_k::block));
        q8_k::quantize(x, q);
        ASSERT_EQ(want.size(), q.size() * sizeof(q8_k::block));
        EXPECT_EQ(0, std::memcmp(want.data(), q.data(), want.size()));
    }
}

TEST(q8_k, dequantize_is_d_times_q) {
    QFORGE_REQUIRE_SHARED();
    const auto q = qforge_test::as_blocks<q8_k::block>(qforge_test::read_bytes(golden_quant_dir() / "q8_k/gauss.q"));
    std::vector<float> y(q.size() * 256);
    q8_k::dequantize(q, y);
    const auto x = kquant_checks::input("gauss");
    for (std::size_t i = 0; i < y.size(); ++i) {
        const auto& b = q[i / 256];
        ASSERT_EQ(y[i], b.d * static_cast<float>(b.qs[i % 256])) << i;
        ASSERT_NEAR(y[i], x[i], 0.5 * std::fabs(b.d) + 1e-7) << i; // within half a step of the input
    }
}

TEST(q8_k, dot_matches_dequantized_dot) {
    QFORGE_REQUIRE_SHARED();
    const auto g = kquant_checks::input("gauss");
    const auto u = kquant_checks::input("uniform");
    std::vector<q8_k::block> qg(g.size() / 256), qu(u.size() / 256);
    q8_k::quantize(g, qg);
    q8_k::quantize(u, qu);
    std::vector<float> yg(g.size()), yu(u.size());
    q8_k::dequantize(qg, yg);
    q8_k::dequantize(qu, yu);
    double want = 0;
    for (std::size_t i = 0; i < yg.size(); ++i) want += static_cast<double>(yg[i]) * yu[i];
    EXPECT_NEAR(q8_k::dot(qg, qu), want, 1e-5 * std::fabs(want) + 1e-6);
}

TEST(q8_k, ggml_accuracy_threshold) {
    // q8_k has no entry in test-quantize-fns (ggml exposes no to_float for it); hold it to the default
    // threshold on the same synthetic input.
    std::vector<float> x(4096);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(0.1 + 2 * std::cos(static_cast<float>(i)));
    std::vector<q8_k::block> q(16);
    q8_k::quantize(x, q);
    std::vector<float> y(x.size());
    q8_k::dequantize(q, y);
    double sum = 0;
    for (std::size_t i = 0; i < x.size(); ++i) sum += (static_cast<double>(x[i]) - y[i]) * (x[i] - y[i]);
    EXPECT_LT(std::sqrt(sum) / x.size(), 0.002);
}

TEST(q8_k, shape_errors_are_clear) { kquant_checks::shape_errors<q8_k>(); }
