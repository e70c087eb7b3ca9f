// Quantization throughput: a 4096 x 4096 f32 matrix (64 MiB, N(0,1) values) into each legacy format, on one
// thread and on all hardware threads (block/row.hpp). Reports bytes/s of f32 input, the unit of ggml's
// anchors (../shared/anchors/ggml.md: q4_0 3.9 GB/s, q8_0 1.0 GB/s, iq4_nl 21 MB/s single thread).
//   bench_quantize --benchmark_filter=q4_0 --benchmark_min_time=2
#include <qforge/block/all.hpp>
#include <qforge/block/row.hpp>

#include <benchmark/benchmark.h>

#include <boost/mp11/algorithm.hpp>

#include <cstdint>
#include <string>
#include <random>
#include <vector>

using namespace qforge;

namespace {

constexpr std::size_t rows = 4096, cols = 4096;

const std::vector<float>& matrix() {
    static const std::vector<float> x = [] {
        std::vector<float> v(rows * cols);
        std::mt19937 gen(42);
        std::normal_distribution<float> dist(0.0f, 1.0f);
        for (auto& e : v) e = dist(gen);
        return v;
    }();
    return x;
}

const std::vector<float>& importance() {
    static const std::vector<float> im = [] {
        std::vector<float> v(cols);
        for (std::size_t c = 0; c < cols; ++c) v[c] = 1.0f + static_cast<float>(c % 7) * 0.25f;
        return v;
    }();
    return im;
}

template <class F>
void quantize_matrix(benchmark::State& state) {
    const auto& x = matrix();
    std::vector<typename F::block> out(rows * cols / F::block_size);
    const quantize_policy policy{static_cast<unsigned>(state.range(0))};
    for (auto _ : state) {
        quantize_rows<F>(x, rows, cols, out, policy);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows * cols * sizeof(float)));
}

template <class F>
void quantize_matrix_imatrix(benchmark::State& state) {
    const auto& x = matrix();
    std::vector<typename F::block> out(rows * cols / F::block_size);
    const quantize_policy policy{static_cast<unsigned>(state.range(0))};
    for (auto _ : state) {
        quantize_rows<F>(x, rows, cols, out, importance(), policy);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows * cols * sizeof(float)));
}

template <class F, class Fn>
void add(const char* kind, Fn fn) {
    const std::string name = std::string(kind) + "/" + std::string(F::name);
    // One thread: timed by the CPU time of the thread doing the work, which a busy shared machine disturbs
    // far less than wall time. All hardware threads (arg 0): wall time, the only honest measure there.
    benchmark::RegisterBenchmark((name + "/threads:1/cpu_time").c_str(), fn)->Arg(1)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((name + "/threads:all").c_str(), fn)
        ->Arg(0)
        ->UseRealTime()
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMillisecond);
}

} // namespace

int main(int argc, char** argv) {
    using all = boost::mp11::mp_list<q4_0, q8_0, iq4_nl, q4_1, q5_0, q5_1, q8_1, mxfp4, f16_format, bf16_format>;
    boost::mp11::mp_for_each<all>([](auto f) { add<decltype(f)>("quantize", quantize_matrix<decltype(f)>); });
    using with_imatrix = boost::mp11::mp_list<q4_0, q4_1, q5_0, q5_1, iq4_nl>;
    boost::mp11::mp_for_each<with_imatrix>(
        [](auto f) { add<decltype(f)>("quantize_imatrix", quantize_matrix_imatrix<decltype(f)>); });
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
