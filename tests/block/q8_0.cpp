// Golden tests for q8_0: byte-exact quantization, exact dequantization and ggml's vec_dot result.
#include <qforge/block/q8_0.hpp>

#include <cmath>
#include <cstring>

#include "support/format_golden.hpp"
#include "support/golden.hpp"

using namespace qforge;
using qforge_test::golden_quant_dir;

TEST(q8_0, layout) {
    static_assert(sizeof(q8_0::block) == 34);
    static_assert(q8_0::bits_per_weight == 8.5);
    static_assert(q8_0::type_id == ggml_type::q8_0);
}

TEST(q8_0, golden_quantize_and_dequantize) {
    QFORGE_REQUIRE_SHARED();
    for (const auto& in : qforge_test::golden_inputs()) {
        SCOPED_TRACE(in);
        const auto x = qforge_test::read_f32(golden_quant_dir() / "inputs" / (in + ".f32"));
        const auto want_q = qforge_test::read_bytes(golden_quant_dir() / "q8_0" / (in + ".q"));
        const auto want_y = qforge_test::read_f32(golden_quant_dir() / "q8_0" / (in + ".deq.f32"));
        std::vector<q8_0::block> q(x.size() / q8_0::block_size);
        q8_0::quantize(x, q);
        ASSERT_EQ(want_q.size(), q.size() * sizeof(q8_0::block));
        EXPECT_EQ(0, std::memcmp(want_q.data(), q.data(), want_q.size()));
        std::vector<float> y(x.size());
        q8_0::dequantize(q, y);
        EXPECT_EQ(0, std::memcmp(want_y.data(), y.data(), y.size() * 4));
    }
}

TEST(q8_0, golden_dot) {
    QFORGE_REQUIRE_SHARED();
    const auto w = qforge_test::as_blocks<q8_0::block>(qforge_test::read_bytes(golden_quant_dir() / "q8_0/gauss.q"));
    const auto a = qforge_test::as_blocks<q8_0::block>(qforge_test::read_bytes(golden_quant_dir() / "q8_0/dot.act.q"));
    const float want = qforge_test::read_f32(golden_quant_dir() / "q8_0/dot.f32").at(0);
    // The activations are ggml's CPU quantization of uniform.f32: ours must give the same bytes.
    const auto u = qforge_test::read_f32(golden_quant_dir() / "inputs/uniform.f32");
    std::vector<q8_0::block> ours(u.size() / 32);
    q8_0::quantize(u, ours);
    EXPECT_EQ(0, std::memcmp(ours.data(), a.data(), a.size() * sizeof(q8_0::block)));
    const float got = q8_0::dot(w, a);
    EXPECT_NEAR(got, want, 1e-5 * std::fabs(want));
}

TEST(q8_0, ggml_accuracy_thresholds) { qforge_test::expect_ggml_accuracy<q8_0>(); }

TEST(q8_0, shape_errors_are_clear) {
    std::vector<float> x(33);
    std::vector<q8_0::block> q(1);
    EXPECT_THROW(q8_0::quantize(x, q), qforge::error);
}
