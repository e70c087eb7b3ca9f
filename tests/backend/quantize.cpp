// SIMD activation quantization (q8_0, q8_1, q8_k) on every arch and policy: byte-identical to the formats'
// reference quantizers on random, golden and edge inputs (zeros, ties, huge values, infinities, NaN).
#include "check.hpp"

#include <limits>

using namespace qforge;
using namespace qforge_test;

namespace {

std::vector<std::vector<float>> quantize_inputs() {
    std::vector<std::vector<float>> inputs{random_floats(4096, 1), random_floats(512, 2, 1e-3f),
                                           std::vector<float>(512, 0.0f)};
    if (std::filesystem::exists(golden_quant_dir()))
        for (const auto& name : golden_inputs())
            inputs.push_back(read_f32(golden_quant_dir() / "inputs" / (name + ".f32")));
    // ties: values that land exactly on .5 after scaling (amax 127 gives id = 1 for q8_0)
    std::vector<float> ties(256);
    for (std::size_t i = 0; i < ties.size(); ++i) ties[i] = (i % 32 == 0 ? 127.0f : (i % 2 ? -1.0f : 1.0f) * (i % 32 * 0.5f));
    inputs.push_back(ties);
    // magnitudes: the largest floats, infinities, NaN, negative zero, subnormals; a repeated maximum of
    // both signs (q8_k takes the first of largest magnitude)
    std::vector<float> odd(512, 0.25f);
    odd[3] = std::numeric_limits<float>::max();
    odd[40] = -std::numeric_limits<float>::infinity();
    odd[77] = std::numeric_limits<float>::quiet_NaN();
    odd[100] = -0.0f;
    odd[101] = std::numeric_limits<float>::denorm_min();
    odd[300] = -5.0f;
    odd[301] = 5.0f;
    odd[302] = -5.0f;
    inputs.push_back(odd);
    std::vector<float> big = random_floats(512, 3, 1e30f);
    inputs.push_back(big);
    return inputs;
}

template <BlockFormat P>
void check_quantizer() {
    for (const auto& x : quantize_inputs()) {
        std::vector<typename P::block> want(x.size() / P::block_size), got(want.size());
        P::quantize(x, want);
        for_each_backend([&](const auto& be, const std::string& name) {
            std::memset(static_cast<void*>(got.data()), 0xAB, got.size() * sizeof(typename P::block));
            quantize_act<std::decay_t<decltype(be)>, P>(be, x, got);
            EXPECT_EQ(0, std::memcmp(static_cast<const void*>(want.data()), static_cast<const void*>(got.data()),
                                     got.size() * sizeof(typename P::block)))
                << P::name << " on " << name << ", " << x.size() << " values";
        });
    }
}

} // namespace

TEST(backend_quantize, q8_0_is_bit_exact) {
    expect_all_archs_run();
    check_quantizer<q8_0>();
}
TEST(backend_quantize, q8_1_is_bit_exact) { check_quantizer<q8_1>(); }
TEST(backend_quantize, q8_k_is_bit_exact) { check_quantizer<q8_k>(); }

// ggml's own CPU quantization of the activations for q8_1 and q8_k (the dot.act.q files) must be ours too.
TEST(backend_quantize, matches_ggml_activation_bytes) {
    QFORGE_REQUIRE_SHARED();
    const auto u = read_f32(golden_quant_dir() / "inputs/uniform.f32");
    const auto check = [&](auto fmt, const char* folder) {
        using P = decltype(fmt);
        const auto want = read_bytes(golden_quant_dir() / folder / "dot.act.q");
        std::vector<typename P::block> got(u.size() / P::block_size);
        quantize_act<cpu_auto, P>(cpu_auto{}, u, got);
        ASSERT_EQ(want.size(), got.size() * sizeof(typename P::block));
        EXPECT_EQ(0, std::memcmp(want.data(), static_cast<const void*>(got.data()), want.size())) << folder;
    };
    check(q8_0{}, "q8_0");
    check(q8_1{}, "q4_1");
    check(q8_k{}, "q4_k");
}
