// Golden tests for q8_1 (an activation format: ggml has no to_float and no q8_1 x q8_1 vec_dot for it).
// Byte-exact against ggml's CPU quantizer (.q) and its reference quantizer (.ref.q); q4_1's and q5_1's
// activations (dot.act.q) are q8_1 too. Dequantization is checked against ggml's q8_0 floats, which must be
// the same values (same scale, same quants), and the dot against a double-precision sum.
#include <qforge/block/q8_1.hpp>
#include <qforge/block/q8_0.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "support/format_golden.hpp"

using namespace qforge;
using qforge_test::golden_quant_dir;

TEST(q8_1, layout) {
    static_assert(sizeof(q8_1::block) == 36);
    static_assert(q8_1::bits_per_weight == 9.0);
    static_assert(q8_1::type_id == ggml_type::q8_1);
}

TEST(q8_1, golden_quantize_cpu_and_reference) {
    QFORGE_REQUIRE_SHARED();
    qforge_test::expect_golden_roundtrip<q8_1>("q8_1", false); // .q: no .deq.f32 exists, bytes only
    for (const auto& in : qforge_test::golden_inputs()) {
        SCOPED_TRACE(in);
        const auto x = qforge_test::read_f32(golden_quant_dir() / "inputs" / (in + ".f32"));
        const auto want = qforge_test::read_bytes(golden_quant_dir() / "q8_1" / (in + ".ref.q"));
        std::vector<q8_1::block> q(x.size() / 32);
        q8_1::quantize(x, q);
        ASSERT_EQ(want.size(), q.size() * sizeof(q8_1::block));
        EXPECT_EQ(0, std::memcmp(want.data(), q.data(), want.size()));
    }
}

TEST(q8_1, golden_activations_of_q4_1_and_q5_1) {
    QFORGE_REQUIRE_SHARED();
    const auto u = qforge_test::read_f32(golden_quant_dir() / "inputs/uniform.f32");
    std::vector<q8_1::block> q(u.size() / 32);
    q8_1::quantize(u, q);
    for (const char* folder : {"q4_1", "q5_1"}) {
        const auto want = qforge_test::read_bytes(golden_quant_dir() / folder / "dot.act.q");
        ASSERT_EQ(want.size(), q.size() * sizeof(q8_1::block));
        EXPECT_EQ(0, std::memcmp(want.data(), q.data(), want.size())) << folder;
    }
}

TEST(q8_1, dequantize_equals_ggml_q8_0_values) {
    QFORGE_REQUIRE_SHARED();
    for (const auto& in : qforge_test::golden_inputs()) {
        SCOPED_TRACE(in);
        const auto q = qforge_test::as_blocks<q8_1::block>(
            qforge_test::read_bytes(golden_quant_dir() / "q8_1" / (in + ".q")));
        const auto want = qforge_test::read_f32(golden_quant_dir() / "q8_0" / (in + ".deq.f32"));
        std::vector<float> y(q.size() * 32);
        q8_1::dequantize(q, y);
        ASSERT_EQ(want.size(), y.size());
        EXPECT_EQ(0, std::memcmp(want.data(), y.data(), y.size() * 4));
    }
}

TEST(q8_1, dot_matches_double_sum) {
    QFORGE_REQUIRE_SHARED();
    const auto g = qforge_test::read_f32(golden_quant_dir() / "inputs/gauss.f32");
    const auto u = qforge_test::read_f32(golden_quant_dir() / "inputs/uniform.f32");
    std::vector<q8_1::block> a(g.size() / 32), b(u.size() / 32);
    q8_1::quantize(g, a);
    q8_1::quantize(u, b);
    std::vector<float> ga(g.size()), ub(u.size());
    q8_1::dequantize(a, ga);
    q8_1::dequantize(b, ub);
    double exact = 0, magnitude = 0;
    for (std::size_t i = 0; i < g.size(); ++i) {
        exact += double(ga[i]) * ub[i];
        magnitude += std::fabs(double(ga[i]) * ub[i]);
    }
    EXPECT_NEAR(q8_1::dot(a, b), exact, 1e-5 * magnitude);
}

TEST(q8_1, ggml_accuracy_thresholds) { qforge_test::expect_ggml_accuracy<q8_1>(); }

TEST(q8_1, shape_errors_are_clear) {
    std::vector<float> x(33), y(33);
    std::vector<q8_1::block> q(1), q2(2);
    EXPECT_THROW(q8_1::quantize(x, q), qforge::error);
    EXPECT_THROW(q8_1::dequantize(q, y), qforge::error);
    EXPECT_THROW((void)q8_1::dot(q, q2), qforge::error);
}
