// bench/matmul_support.hpp: shared set-up of bench_gemv and bench_gemm: quantized 4096 x 4096 weights per
// format (made once), the backend variants to compare, and the counters.
#pragma once

#include <benchmark/benchmark.h>

#include <qforge/backend.hpp>
#include <qforge/block/all.hpp>
#include <qforge/ops/gemm.hpp>
#include <qforge/ops/gemv.hpp>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace qforge_bench {

inline constexpr std::size_t dim = 4096;

// The formats benchmarked (every format with CPU SIMD kernels).
using bench_formats = boost::mp11::mp_list<qforge::f32, qforge::f16_format, qforge::bf16_format, qforge::q4_0,
                                           qforge::q4_1, qforge::q5_0, qforge::q5_1, qforge::q8_0, qforge::q2_k,
                                           qforge::q3_k, qforge::q4_k, qforge::q5_k, qforge::q6_k, qforge::iq4_nl,
                                           qforge::iq4_xs, qforge::tq1_0, qforge::tq2_0, qforge::mxfp4,
                                           qforge::group_affine<4, 64>, qforge::group_affine<8, 64>,
                                           qforge::block_int<4, 32>, qforge::block_int<4, 128, true>,
                                           qforge::per_channel<std::int8_t, true>::row<dim>, qforge::binary<128>>;

inline std::vector<float> gaussian(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(gen);
    return v;
}

// A dim x dim weight of format F (the k-th distinct copy), quantized once and kept for the process.
template <qforge::BlockFormat F>
const std::vector<typename F::block>& weight(unsigned k = 0) {
    static std::map<unsigned, std::unique_ptr<std::vector<typename F::block>>> cache;
    auto& slot = cache[k];
    if (!slot) {
        const auto w = gaussian(dim * dim, 100 + k);
        slot = std::make_unique<std::vector<typename F::block>>(dim * dim / F::block_size);
        F::quantize(w, *slot);
    }
    return *slot;
}

template <qforge::BlockFormat F>
qforge::qmatrix_view<F> view(unsigned k = 0) {
    return {weight<F>(k).data(), dim, dim};
}

inline void set_counters(benchmark::State& state, std::size_t n, std::size_t weight_bytes) {
    const double iters = static_cast<double>(state.iterations());
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * dim * dim * n * iters / 1e9, benchmark::Counter::kIsRate);
    state.counters["W_GB/s"] = benchmark::Counter(static_cast<double>(weight_bytes) * iters / 1e9,
                                                  benchmark::Counter::kIsRate);
}

// Calls fn(backend, name) for the backends compared: each runnable cpu<Arch>, cpu_auto on 1 and 2 threads.
template <class Fn>
void for_each_variant(Fn&& fn) {
    using namespace qforge;
    if (isa_runnable<xsimd::sse4_2>()) fn(cpu<xsimd::sse4_2>{}, "sse4_2");
    if (isa_runnable<xsimd::avx2>()) fn(cpu<xsimd::avx2>{}, "avx2");
    if (isa_runnable<xsimd::avx512bw>()) fn(cpu<xsimd::avx512bw>{}, "avx512bw");
    if (isa_runnable<avx512_vnni>()) fn(cpu<avx512_vnni>{}, "avx512_vnni");
    fn(threads<2, cpu_auto>{}, "auto_2T");
}

} // namespace qforge_bench
