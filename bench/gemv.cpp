// bench_gemv: GEMV (y = W x, W 4096 x 4096) per format and arch, 1 and 2 threads; a memory-bound GEMV over
// 8 distinct weights (cycled, far beyond the L3) next to a streaming-read DRAM bandwidth measurement;
// baselines Eigen f32 and the reference backend. Counters: GFLOP/s and W_GB/s (weight bytes read per second).
//   build/bench/bench_gemv --benchmark_min_time=0.2
// GCC 12 flags its own _mm512_undefined_* helpers inside AVX-512 intrinsics, once inlined into Eigen's
// kernels, as "maybe uninitialized" (GCC PR 105593, a false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>

#include <thread>

#include "matmul_support.hpp"

using namespace qforge;
using namespace qforge_bench;

namespace {

template <BlockFormat F, class B>
void register_hot(const B& be, const std::string& name) {
    benchmark::RegisterBenchmark(("gemv/" + std::string(F::name) + "/" + name).c_str(),
                                 [be](benchmark::State& state) {
                                     const auto w = view<F>();
                                     const auto x = gaussian(dim, 7);
                                     std::vector<float> y(dim);
                                     for (auto _ : state) {
                                         gemv(be, w, std::span<const float>(x), std::span<float>(y));
                                         benchmark::DoNotOptimize(y.data());
                                     }
                                     set_counters(state, 1, w.row_bytes() * w.rows);
                                 })
        ->Unit(benchmark::kMillisecond)->UseRealTime();
}

// 8 distinct weights cycled: with q8_0 that is 8 x 17 MiB = 136 MiB, far beyond the 32 MiB L3.
template <BlockFormat F, class B>
void register_cold(const B& be, const std::string& name) {
    benchmark::RegisterBenchmark(("gemv_cold8/" + std::string(F::name) + "/" + name).c_str(),
                                 [be](benchmark::State& state) {
                                     std::vector<qmatrix_view<F>> ws;
                                     for (unsigned k = 0; k < 8; ++k) ws.push_back(view<F>(k));
                                     const auto x = gaussian(dim, 7);
                                     std::vector<float> y(dim);
                                     std::size_t k = 0;
                                     for (auto _ : state) {
                                         gemv(be, ws[k], std::span<const float>(x), std::span<float>(y));
                                         benchmark::DoNotOptimize(y.data());
                                         k = (k + 1) % ws.size();
                                     }
                                     set_counters(state, 1, ws[0].row_bytes() * ws[0].rows);
                                 })
        ->Unit(benchmark::kMillisecond)->UseRealTime();
}

// Streaming read of 512 MiB (sum of floats, 4 independent accumulators), split over `count` threads.
void dram_read(benchmark::State& state) {
    const std::size_t count = static_cast<std::size_t>(state.range(0));
    const std::size_t n = (std::size_t{512} << 20) / sizeof(float);
    static std::vector<float> buffer(n, 1.0f);
    threads<0, reference> pool(count);
    struct ctx_t {
        const float* p;
        std::size_t n;
        float out[8];
    } ctx{buffer.data(), n, {}};
    for (auto _ : state) {
        pool.pool->run(
            [](void* c, std::size_t i, std::size_t t) {
                auto& cx = *static_cast<ctx_t*>(c);
                const std::size_t b = cx.n * i / t, e = cx.n * (i + 1) / t;
                using batch = xsimd::batch<float>;
                batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
                std::size_t j = b;
                for (; j + 4 * batch::size <= e; j += 4 * batch::size) {
                    s0 += batch::load_unaligned(cx.p + j);
                    s1 += batch::load_unaligned(cx.p + j + batch::size);
                    s2 += batch::load_unaligned(cx.p + j + 2 * batch::size);
                    s3 += batch::load_unaligned(cx.p + j + 3 * batch::size);
                }
                cx.out[i] = xsimd::hadd(s0 + s1 + s2 + s3);
            },
            &ctx);
        benchmark::DoNotOptimize(ctx.out);
    }
    state.counters["read_GB/s"] = benchmark::Counter(static_cast<double>(n * sizeof(float)) *
                                                         static_cast<double>(state.iterations()) / 1e9,
                                                     benchmark::Counter::kIsRate);
}

void eigen_gemv(benchmark::State& state) {
    const auto w = view<f32>();
    const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> W(&w.data->v, dim, dim);
    const auto xs = gaussian(dim, 7);
    const Eigen::Map<const Eigen::VectorXf> x(xs.data(), dim);
    Eigen::VectorXf y(dim);
    for (auto _ : state) {
        y.noalias() = W * x;
        benchmark::DoNotOptimize(y.data());
    }
    set_counters(state, 1, dim * dim * 4);
}

template <BlockFormat F>
void register_format() {
    for_each_variant([](const auto& be, const char* name) { register_hot<F>(be, name); });
    register_hot<F>(threads<1, cpu_auto>{}, "auto_1T");
    register_hot<F>(reference{}, "reference");
    register_cold<F>(threads<1, cpu_auto>{}, "auto_1T");
    register_cold<F>(threads<2, cpu_auto>{}, "auto_2T");
}

} // namespace

int main(int argc, char** argv) {
    benchmark::RegisterBenchmark("dram_read", dram_read)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark("gemv/f32/eigen", eigen_gemv)->Unit(benchmark::kMillisecond)->UseRealTime();
    boost::mp11::mp_for_each<bench_formats>([](auto f) { register_format<decltype(f)>(); });
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
