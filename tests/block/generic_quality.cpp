// Round-trip quality of the generic block families on ggml's golden inputs (gauss: N(0,1); weights:
// N(0, 0.02^2)): more bits are never worse within a family, and each RMSE relative to sigma stays below a
// bound set from the step size (range / levels, with uniform rounding error step / sqrt(12) plus margin).
// The printed table is the one in docs/formats-generic.md.
#include <qforge/block/binary.hpp>
#include <qforge/block/block_int.hpp>
#include <qforge/block/group_affine.hpp>
#include <qforge/block/per_channel.hpp>

#include <cstdio>
#include <string>

#include "block/generic_support.hpp"
#include "support/golden.hpp"

using namespace qforge;

namespace {

struct row {
    std::string_view name;
    double bpw;
    double rmse_gauss;
    double rmse_weights;
};

template <class F>
row measure(const std::vector<float>& gauss, const std::vector<float>& weights) {
    return {F::name, F::bits_per_weight, qforge_test::rms_error(gauss, qforge_test::round_trip<F>(gauss)),
            qforge_test::rms_error(weights, qforge_test::round_trip<F>(weights))};
}

} // namespace

TEST(generic_quality, golden_inputs) {
    QFORGE_REQUIRE_SHARED();
    const auto g = qforge_test::read_f32(qforge_test::golden_quant_dir() / "inputs/gauss.f32");
    const auto w = qforge_test::read_f32(qforge_test::golden_quant_dir() / "inputs/weights.f32");
    ASSERT_EQ(g.size(), 4096u);
    const std::vector<row> affine{measure<group_affine<2, 64>>(g, w), measure<group_affine<3, 64>>(g, w),
                                  measure<group_affine<4, 64>>(g, w), measure<group_affine<5, 64>>(g, w),
                                  measure<group_affine<6, 64>>(g, w), measure<group_affine<8, 64>>(g, w)};
    const std::vector<row> sym{measure<block_int<2, 32>>(g, w), measure<block_int<3, 32>>(g, w),
                               measure<block_int<4, 32>>(g, w), measure<block_int<8, 32>>(g, w)};
    const std::vector<row> zp{measure<block_int<2, 32, true>>(g, w), measure<block_int<3, 32, true>>(g, w),
                              measure<block_int<4, 32, true>>(g, w), measure<block_int<8, 32, true>>(g, w)};
    const std::vector<row> other{measure<binary<32>>(g, w), measure<binary<128>>(g, w),
                                 measure<group_affine<4, 32>>(g, w), measure<group_affine<4, 128>>(g, w),
                                 measure<per_channel<std::int8_t, true>::row<4096>>(g, w)};
    for (const auto* family : {&affine, &sym, &zp})
        for (std::size_t i = 1; i < family->size(); ++i) {
            EXPECT_LT((*family)[i].rmse_gauss, (*family)[i - 1].rmse_gauss) << (*family)[i].name;
            EXPECT_LT((*family)[i].rmse_weights, (*family)[i - 1].rmse_weights) << (*family)[i].name;
        }
    // Bounds relative to sigma (1 for gauss, 0.02 for weights).
    EXPECT_LT(affine[2].rmse_gauss, 0.10);        // 4-bit groups of 64: range ~5 sigma / 15 / sqrt(12)
    EXPECT_LT(affine[5].rmse_gauss, 0.006);       // 8-bit
    EXPECT_LT(sym[2].rmse_weights / 0.02, 0.12);  // 4-bit symmetric groups of 32
    EXPECT_LT(zp[3].rmse_gauss, 0.005);
    EXPECT_NEAR(other[1].rmse_gauss, 0.603, 0.03); // binary: sqrt(1 - 2/pi) for N(0,1)
    EXPECT_LT(other[4].rmse_gauss, 0.02);          // per-row int8 over 4096 values: max ~3.7 sigma / 127
    std::printf("| format | bits/weight | RMSE gauss (sigma 1) | RMSE weights (sigma 0.02) |\n|---|---|---|---|\n");
    for (const auto* family : {&affine, &sym, &zp, &other})
        for (const row& r : *family)
            std::printf("| %.*s | %.4g | %.5f | %.6f |\n", static_cast<int>(r.name.size()), r.name.data(), r.bpw,
                        r.rmse_gauss, r.rmse_weights);
}
