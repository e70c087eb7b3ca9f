// bench_interleaved: the GEMV of the interleaved q4_k and q6_k layouts (ops/interleaved.hpp) against the GEMV of
// the original layout, same weights, same binary, at the 110M model's shapes and at 4096 x 4096. Each case cycles
// through enough copies of the matrix (>= 16 MiB) that the weights come from L3/DRAM as in a real model.
//
//   build/bench/bench_interleaved --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Compare the medians of the pairs (orig / x8 of one format and shape); the bytes counter is the matrix's bytes in its own
// layout.
#include <benchmark/benchmark.h>

#include <qforge/backend.hpp>
#include <qforge/block/all.hpp>
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
    std::vector<float> x, y;

    gemv_case(std::size_t r, std::size_t c) : rows(r), cols(c), x(c), y(r) {
        std::mt19937 g(1);
        std::normal_distribution<float> d;
        std::vector<float> w(rows * cols);
        for (auto& v : w) v = d(g);
        for (auto& v : x) v = d(g);
        const std::size_t bytes = rows * cols / 256 * sizeof(typename F::block);
        const std::size_t copies = std::max<std::size_t>(2, (16u << 20) / bytes + 1);
        orig.resize(copies, std::vector<typename F::block>(rows * cols / 256));
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

template <class F, class X8, bool Interleaved>
void bench_gemv(benchmark::State& state) {
    auto& c = gemv_case<F, X8>::get(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
    if (Interleaved && !interleaved_usable(cpu_auto{})) {
        state.SkipWithError("the interleaved layout needs AVX-512 VNNI");
        return;
    }
    const cpu_auto be;
    std::size_t i = 0;
    for (auto _ : state) {
        if constexpr (Interleaved) gemv(be, c.x8[i], c.x, c.y);
        else gemv(be, qmatrix_view<F>{c.orig[i].data(), c.rows, c.cols}, c.x, c.y);
        benchmark::DoNotOptimize(c.y.data());
        i = (i + 1) % c.orig.size();
    }
    const double bytes = Interleaved ? static_cast<double>(c.x8[0].bytes())
                                     : static_cast<double>(c.rows * c.cols / 256 * sizeof(typename F::block));
    state.counters["GB/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

} // namespace

// Each shape's pair registered side by side (orig, then x8), so that a pair runs close together in time.
int main(int argc, char** argv) {
    const std::pair<long, long> sizes[] = {{768, 768}, {2048, 768}, {768, 2048}, {32000, 768}, {4096, 4096}};
    const auto add = [](const char* format, long r, long c, auto orig, auto x8) {
        char a[64], b[64];
        std::snprintf(a, sizeof a, "%s_gemv/orig/%ldx%ld", format, r, c);
        std::snprintf(b, sizeof b, "%s_gemv/x8/%ldx%ld", format, r, c);
        benchmark::RegisterBenchmark(a, orig)->Args({r, c})->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(b, x8)->Args({r, c})->Unit(benchmark::kMicrosecond);
    };
    for (const auto& [r, c] : sizes) {
        add("q4_k", r, c, bench_gemv<q4_k, q4_k_x8_matrix, false>, bench_gemv<q4_k, q4_k_x8_matrix, true>);
        add("q6_k", r, c, bench_gemv<q6_k, q6_k_x8_matrix, false>, bench_gemv<q6_k, q6_k_x8_matrix, true>);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
