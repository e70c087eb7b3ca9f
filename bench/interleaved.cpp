// bench_interleaved: the GEMV of the load-time layouts (ops/interleaved.hpp: q4_k and q6_k 8 rows interleaved, f32
// in 16-row panels) against the GEMV of the original layout, same weights, same binary, at the 110M model's shapes
// and at 4096 x 4096; and for f32 the prompt's GEMM (64 activation rows, the engine's batch), where the original
// layout repacks its panels on every call. Each case cycles through enough copies of the matrix (>= 16 MiB) that
// the weights come from L3/DRAM as in a real model.
//
//   build/bench/bench_interleaved --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Compare the medians of the pairs (orig / relaid of one case and shape); the bytes counter is the matrix's bytes in its own
// layout.
#include <benchmark/benchmark.h>

#include <qforge/backend.hpp>
#include <qforge/block/all.hpp>
#include <qforge/ops/gemm.hpp>
#include <qforge/ops/gemv.hpp>
#include <qforge/ops/interleaved.hpp>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace qforge;

namespace {

template <class F, class X8>
struct gemv_case {
    std::size_t rows, cols;
    std::vector<std::vector<typename F::block>> orig;
    std::vector<X8> x8;
    std::vector<float> x, y, xs, ys; // xs, ys: 64 activation rows (GEMM)

    gemv_case(std::size_t r, std::size_t c) : rows(r), cols(c), x(c), y(r) {
        std::mt19937 g(1);
        std::normal_distribution<float> d;
        std::vector<float> w(rows * cols);
        xs.resize(64 * cols);
        ys.resize(64 * rows);
        for (auto& v : xs) v = d(g);
        for (auto& v : w) v = d(g);
        for (auto& v : x) v = d(g);
        const std::size_t bytes = rows * cols / F::block_size * sizeof(typename F::block);
        const std::size_t copies = std::max<std::size_t>(2, (16u << 20) / bytes + 1);
        orig.resize(copies, std::vector<typename F::block>(rows * cols / F::block_size));
        F::quantize(w, orig[0]);
        for (std::size_t i = 1; i < copies; ++i) orig[i] = orig[0];
        for (const auto& o : orig) x8.push_back(X8::pack({o.data(), rows, cols}));
    }

    static gemv_case& get(std::size_t rows, std::size_t cols) {
        static std::vector<std::unique_ptr<gemv_case>> cases;
        for (auto& c : cases)
            if (c->rows == rows && c->cols == cols) return *c;
        cases.push_back(std::make_unique<gemv_case>(rows, cols));
        return *cases.back();
    }
};

template <class X8>
bool usable() {
    if constexpr (std::is_same_v<X8, f32_x16_matrix>) return f32_x16_usable(cpu_auto{});
    else return interleaved_usable(cpu_auto{});
}

// N = 1: the GEMV; N = 64: the GEMM of a prompt batch.
template <class F, class X8, bool Interleaved, std::size_t N = 1>
void bench_gemv(benchmark::State& state) {
    auto& c = gemv_case<F, X8>::get(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
    if (Interleaved && !usable<X8>()) {
        state.SkipWithError("the load-time layout does not run natively here");
        return;
    }
    const cpu_auto be;
    std::size_t i = 0;
    const std::span<const float> x = N == 1 ? std::span<const float>(c.x) : std::span<const float>(c.xs);
    const std::span<float> y = N == 1 ? std::span<float>(c.y) : std::span<float>(c.ys);
    for (auto _ : state) {
        if constexpr (Interleaved) gemm(be, c.x8[i], x, N, y);
        else if constexpr (N == 1) gemv(be, qmatrix_view<F>{c.orig[i].data(), c.rows, c.cols}, x, y);
        else gemm(be, qmatrix_view<F>{c.orig[i].data(), c.rows, c.cols}, x, N, y);
        benchmark::DoNotOptimize(y.data());
        i = (i + 1) % c.orig.size();
    }
    const double bytes = Interleaved ? static_cast<double>(c.x8[0].bytes())
                                     : static_cast<double>(c.rows * c.cols / F::block_size * sizeof(typename F::block));
    state.counters["GB/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
    if (N > 1) state.counters["GFLOP/s"] = benchmark::Counter(2.0 * N * c.rows * c.cols * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

} // namespace

// Each shape's pair registered side by side (orig, then x8), so that a pair runs close together in time.
int main(int argc, char** argv) {
    const std::pair<long, long> sizes[] = {{768, 768}, {2048, 768}, {768, 2048}, {32000, 768}, {4096, 4096}};
    const auto add = [](const char* format, long r, long c, auto orig, auto x8) {
        char a[64], b[64];
        std::snprintf(a, sizeof a, "%s/orig/%ldx%ld", format, r, c);
        std::snprintf(b, sizeof b, "%s/relaid/%ldx%ld", format, r, c);
        benchmark::RegisterBenchmark(a, orig)->Args({r, c})->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(b, x8)->Args({r, c})->Unit(benchmark::kMicrosecond);
    };
    for (const auto& [r, c] : sizes) {
        add("q4_k_gemv", r, c, bench_gemv<q4_k, q4_k_x8_matrix, false>, bench_gemv<q4_k, q4_k_x8_matrix, true>);
        add("q6_k_gemv", r, c, bench_gemv<q6_k, q6_k_x8_matrix, false>, bench_gemv<q6_k, q6_k_x8_matrix, true>);
        add("f32_gemv", r, c, bench_gemv<f32, f32_x16_matrix, false>, bench_gemv<f32, f32_x16_matrix, true>);
        add("f32_gemm64", r, c, bench_gemv<f32, f32_x16_matrix, false, 64>, bench_gemv<f32, f32_x16_matrix, true, 64>);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
