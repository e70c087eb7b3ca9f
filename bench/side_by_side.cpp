// bench/side_by_side.cpp: the qforge half of the side-by-side kernel table of docs/performance.md.
// qforge::gemm(threads<T, cpu_auto>) on a 4096 x 4096 N(0,1) weight quantized by the format's reference
// quantizer: n = 1 on 1 and 2 threads (best of 30) and n = 512 on 2 threads (best of 3); best wall time and
// best CPU time per thread. The ggml half (not in this repository: build ggml under /tmp) is the same loop
// over ggml_mul_mat + ggml_graph_compute_with_ctx with the same seed, shapes and thread counts.
// Usage: bench_side_by_side [format substring]
#include <qforge/backend.hpp>
#include <qforge/block/all.hpp>
#include <qforge/ops/gemm.hpp>
#include <qforge/ops/gemv.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
using namespace qforge;
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
static double cpu_now(){ timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t); return t.tv_sec+t.tv_nsec*1e-9; }
template <class F> void run(const char* name, const std::vector<float>& w, std::mt19937& g, std::normal_distribution<float>& d, const char* only) {
    if (only && std::strstr(only, name) == nullptr) return;
    const std::size_t K = 4096, M = 4096;
    std::vector<typename F::block> q(M * K / F::block_size);
    F::quantize(w, q);
    const qmatrix_view<F> W{q.data(), M, K};
    for (std::size_t n : {std::size_t{1}, std::size_t{512}}) {
        std::vector<float> x(K * n), y(M * n);
        for (auto& v : x) v = d(g);
        for (std::size_t th : {1u, 2u}) {
            if (n == 512 && th == 1) continue;
            threads<0, cpu_auto> be(th);
            gemm(be, W, x, n, y);
            const int reps = n == 1 ? 30 : 3;
            double best = 1e9, bestc = 1e9;
            for (int r = 0; r < reps; ++r) {
                const double t0 = now(), c0 = cpu_now();
                gemm(be, W, x, n, y);
                best = std::min(best, now() - t0);
                bestc = std::min(bestc, (cpu_now() - c0) / th);
            }
            std::printf("qforge %-7s n=%-3zu %zuT: best wall %8.3f ms (%7.1f GFLOP/s), best cpu/thread %8.3f ms\n", name, n, th,
                        best * 1e3, 2.0 * K * M * n / best / 1e9, bestc * 1e3);
            std::fflush(stdout);
        }
    }
}
int main(int argc, char** argv) {
    const char* only = argc > 1 ? argv[1] : nullptr;
    std::mt19937 g(100);
    std::normal_distribution<float> d;
    std::vector<float> w(4096 * 4096);
    for (auto& v : w) v = d(g);
    run<f32>("f32", w, g, d, only);
    run<bf16_format>("bf16", w, g, d, only);
    run<q4_0>("q4_0", w, g, d, only);
    run<q8_0>("q8_0", w, g, d, only);
    run<q2_k>("q2_k", w, g, d, only);
    run<q4_k>("q4_k", w, g, d, only);
    run<q6_k>("q6_k", w, g, d, only);
    run<iq4_nl>("iq4_nl", w, g, d, only);
    run<tq2_0>("tq2_0", w, g, d, only);
}
