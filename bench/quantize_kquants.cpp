// Quantization throughput of the K-quants, iq4_xs and the ternary formats: a 4096 x 4096 f32 matrix
// (N(0,1), fixed seed), single thread, bytes = f32 input bytes. ggml's single-thread figures for the same
// job (ggml_quantize_chunk) are in ../shared/anchors/ggml.md; docs/formats-kquants.md records ours.
#include <benchmark/benchmark.h>

#include <qforge/block/iq4_xs.hpp>
#include <qforge/block/q2_k.hpp>
#include <qforge/block/q3_k.hpp>
#include <qforge/block/q4_k.hpp>
#include <qforge/block/q5_k.hpp>
#include <qforge/block/q6_k.hpp>
#include <qforge/block/q8_k.hpp>
#include <qforge/block/tq1_0.hpp>
#include <qforge/block/tq2_0.hpp>

#include <cstddef>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t rows = 4096;
constexpr std::size_t cols = 4096;

const std::vector<float>& matrix() {
    static const std::vector<float> m = [] {
        std::vector<float> v(rows * cols);
        std::mt19937 gen(42);
        std::normal_distribution<float> dist(0.0f, 1.0f);
        for (float& f : v) f = dist(gen);
        return v;
    }();
    return m;
}

// One importance weight per column, as llama.cpp's imatrix files hold them.
const std::vector<float>& column_weights() {
    static const std::vector<float> w = [] {
        std::vector<float> v(cols);
        for (std::size_t i = 0; i < cols; ++i) v[i] = 1.0f + static_cast<float>(i % 7) * 0.25f;
        return v;
    }();
    return w;
}

template <class F>
void quantize_matrix(benchmark::State& state) {
    const auto& x = matrix();
    std::vector<typename F::block> q(x.size() / F::block_size);
    for (auto _ : state) {
        F::quantize(x, q);
        benchmark::DoNotOptimize(q.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * x.size() * sizeof(float)));
}

template <class F>
void quantize_matrix_imatrix(benchmark::State& state) {
    const auto& x = matrix();
    const auto& w = column_weights();
    constexpr std::size_t blocks_per_row = cols / F::block_size;
    std::vector<typename F::block> q(x.size() / F::block_size);
    for (auto _ : state) {
        for (std::size_t r = 0; r < rows; ++r)
            F::quantize(std::span<const float>(x).subspan(r * cols, cols),
                        std::span<typename F::block>(q).subspan(r * blocks_per_row, blocks_per_row), w);
        benchmark::DoNotOptimize(q.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * x.size() * sizeof(float)));
}

} // namespace

template <class... F>
void register_all(const char* prefix, bool with_imatrix) {
    const auto one = [&](auto fn, std::string_view name) {
        benchmark::RegisterBenchmark((std::string(prefix) + std::string(name)).c_str(), fn)
            ->Unit(benchmark::kMillisecond)
            ->MinTime(2.0);
    };
    if (with_imatrix) {
        if constexpr ((qforge::ImatrixFormat<F> && ...)) (one(quantize_matrix_imatrix<F>, F::name), ...);
    } else {
        (one(quantize_matrix<F>, F::name), ...);
    }
}

int main(int argc, char** argv) {
    using namespace qforge;
    register_all<q4_k, q6_k, q2_k, iq4_xs, q3_k, q5_k, q8_k, tq1_0, tq2_0>("quantize/", false);
    register_all<q4_k, q6_k, q2_k, iq4_xs, q3_k, q5_k>("quantize_imatrix/", true);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
