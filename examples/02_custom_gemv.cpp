// Example 02: a custom GEMV "engine" from a block format and a backend policy.
//
// The smallest useful composition: a weight matrix stored as q4_0 (qmatrix_view<q4_0> is a non-owning view
// over the blocks, exactly as they would lie in an mmapped GGUF file), multiplied by a float vector on three
// backends. gemv quantizes the activations to the format's dot partner (q8_0) on the fly, as llama.cpp does;
// every backend returns the same bits for a row, whatever the thread count.
#include <qforge/backend.hpp>
#include <qforge/block/q4_0.hpp>
#include <qforge/ops/gemv.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace qf = qforge;

template <qf::Backend B, qf::BlockFormat F>
std::vector<float> run(const B& backend, qf::qmatrix_view<F> w, const std::vector<float>& x) {
    std::vector<float> y(w.rows);
    qf::gemv(backend, w, x, y);
    return y;
}

int main() {
    constexpr std::size_t rows = 256, cols = 512;
    std::mt19937 rng(7);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    std::vector<float> wf(rows * cols), x(cols);
    for (float& v : wf) v = gauss(rng);
    for (float& v : x) v = gauss(rng);

    // Quantize the weights once (what qforge-quantize does to a whole file).
    std::vector<qf::q4_0::block> blocks(rows * cols / qf::q4_0::block_size);
    qf::q4_0::quantize(wf, blocks);
    const qf::qmatrix_view<qf::q4_0> w(blocks.data(), rows, cols);

    const auto ref = run(qf::reference{}, w, x);          // portable scalar kernels: the oracle
    const auto simd = run(qf::cpu_auto{}, w, x);          // best SIMD variant for this CPU
    const auto two = run(qf::threads<2, qf::cpu_auto>{}, w, x); // the same split over 2 threads

    // Compare with the float product: the difference is the quantization error (weights and activations).
    double max_q = 0.0, max_simd = 0.0, max_thr = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
        double exact = 0.0;
        for (std::size_t c = 0; c < cols; ++c) exact += double(wf[r * cols + c]) * x[c];
        max_q = std::max(max_q, std::fabs(ref[r] - exact) / std::sqrt(double(cols)));
        max_simd = std::max(max_simd, double(std::fabs(simd[r] - ref[r])));
        max_thr = std::max(max_thr, double(std::fabs(two[r] - simd[r])));
    }
    std::printf("q4_0 gemv %zux%zu: quantization error per sqrt(cols) %.4f, |simd - reference| %.2g, "
                "|2 threads - 1 thread| %.2g\n", rows, cols, max_q, max_simd, max_thr);
    return (max_q < 0.5 && max_simd < 1e-3 && max_thr == 0.0) ? 0 : 1;
}
