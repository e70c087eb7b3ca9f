// bench_gemm: GEMM (Y = X W^T, W 4096 x 4096, X n x 4096 for n = 1, 8, 64, 512) per format and arch, 1 and
// 2 threads, with Eigen f32 and the reference backend as baselines. Counters: GFLOP/s (2 n 4096^2 / t) and
// W_GB/s. Single-threaded cases report CPU time (robust on a shared host); the 2-thread cases wall time.
//   build/bench/bench_gemm --benchmark_min_time=0.2
// GCC 12 flags its own _mm512_undefined_* helpers inside AVX-512 intrinsics, once inlined into Eigen's
// kernels, as "maybe uninitialized" (GCC PR 105593, a false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>

#include "matmul_support.hpp"

using namespace qforge;
using namespace qforge_bench;

namespace {

template <BlockFormat F, class B>
void register_gemm(const B& be, const std::string& name, std::size_t n, bool real_time) {
    auto* b = benchmark::RegisterBenchmark(
        ("gemm/" + std::string(F::name) + "/" + name + "/n:" + std::to_string(n)).c_str(),
        [be, n](benchmark::State& state) {
            const auto w = view<F>();
            const auto x = gaussian(n * dim, 9);
            std::vector<float> y(n * dim);
            for (auto _ : state) {
                gemm(be, w, std::span<const float>(x), n, std::span<float>(y));
                benchmark::DoNotOptimize(y.data());
            }
            set_counters(state, n, w.row_bytes() * w.rows);
        });
    b->Unit(benchmark::kMillisecond);
    if (real_time) b->UseRealTime();
}

void eigen_gemm(benchmark::State& state) {
    const std::size_t n = static_cast<std::size_t>(state.range(0));
    const auto w = view<f32>();
    using rm = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Map<const rm> W(&w.data->v, dim, dim);
    const auto xs = gaussian(n * dim, 9);
    const Eigen::Map<const rm> X(xs.data(), n, dim);
    rm Y(n, dim);
    for (auto _ : state) {
        Y.noalias() = X * W.transpose();
        benchmark::DoNotOptimize(Y.data());
    }
    set_counters(state, n, dim * dim * 4);
}

template <BlockFormat F>
void register_format(std::size_t n) {
    boost::mp11::mp_for_each<boost::mp11::mp_list<xsimd::sse4_2, xsimd::avx2, xsimd::avx512bw, avx512_vnni>>(
        [&](auto arch) {
            using A = decltype(arch);
            if (isa_runnable<A>()) register_gemm<F>(cpu<A>{}, A::name(), n, false);
        });
    register_gemm<F>(threads<2, cpu_auto>{}, "auto_2T", n, true);
    if (n <= 8) register_gemm<F>(reference{}, "reference", n, false);
}

} // namespace

int main(int argc, char** argv) {
    for (std::size_t n : {1u, 8u, 64u, 512u}) {
        benchmark::RegisterBenchmark(("gemm/f32/eigen/n:" + std::to_string(n)).c_str(), eigen_gemm)
            ->Arg(static_cast<long>(n))
            ->Unit(benchmark::kMillisecond);
        boost::mp11::mp_for_each<bench_formats>([n](auto f) { register_format<decltype(f)>(n); });
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
