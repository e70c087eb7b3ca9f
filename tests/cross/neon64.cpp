// tests/cross/neon64.cpp: the AArch64 build of qforge, cross-compiled and run under qemu-user by
// tests/cross/run.sh (ctest: cross.neon64). Not a gtest program (no AArch64 gtest here): it checks and exits
// non-zero on the first failure.
//   - cpu<xsimd::neon64> is a usable backend and cpu_auto picks it;
//   - its own kernels (f32 GEMV/GEMM, q8_0/q8_1/q8_k activation quantization through xsimd) agree with the
//     reference backend: quantization bit for bit, f32 within float summation order, gemv == gemm row;
//   - every ggml format runs through the fallback (reference kernels) and matches the reference exactly.
#include <qforge/backend.hpp>
#include <qforge/block/all.hpp>
#include <qforge/ops/gemm.hpp>
#include <qforge/ops/gemv.hpp>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

using namespace qforge;
using neon = cpu<xsimd::neon64>;

static_assert(isa_usable<xsimd::neon64>, "the AArch64 build holds the neon64 variant");
static_assert(provides_kernel<op::gemv, neon, f32> && provides_kernel<op::gemm, neon, f32>);
static_assert(provides_kernel<op::quantize, neon, q8_0> && provides_kernel<op::quantize, neon, q8_k>);

namespace {

int failures = 0;
void expect(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAIL: %s\n", what);
        ++failures;
    }
}

std::vector<float> randn(std::size_t n, unsigned seed) {
    std::mt19937 g(seed);
    std::normal_distribution<float> d;
    std::vector<float> v(n);
    for (auto& x : v) x = d(g);
    return v;
}

template <class P>
void check_quantize(const char* name) {
    const auto x = randn(4 * 256, 7);
    std::vector<typename P::block> a(x.size() / P::block_size), b(a.size());
    quantize_act<neon, P>(neon{}, x, std::span<typename P::block>(a));
    quantize_act<reference, P>(reference{}, x, std::span<typename P::block>(b));
    expect(std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0, name);
}

template <class F>
void check_format(const char* name, bool exact) {
    const std::size_t rows = 37, cols = 512, n = 5;
    const auto w = randn(rows * cols, 3);
    std::vector<typename F::block> q(rows * cols / F::block_size);
    F::quantize(w, q);
    const qmatrix_view<F> v{q.data(), rows, cols};
    const auto x = randn(n * cols, 4);
    std::vector<float> got(n * rows), want(n * rows), one(rows);
    gemm(neon{}, v, x, n, std::span<float>(got));
    gemm(reference{}, v, x, n, std::span<float>(want));
    bool ok = true, same = true;
    for (std::size_t j = 0; j < n; ++j) {
        gemv(neon{}, v, std::span<const float>(x.data() + j * cols, cols), std::span<float>(one));
        for (std::size_t r = 0; r < rows; ++r) {
            const float g = got[j * rows + r], e = want[j * rows + r];
            double mag = 0;
            for (std::size_t k = 0; k < cols; ++k) mag += std::fabs(double(w[r * cols + k]) * x[j * cols + k]);
            ok = ok && (exact ? g == e : std::fabs(double(g) - e) <= 2.1 * cols * FLT_EPSILON * mag);
            same = same && one[r] == g;
        }
    }
    expect(ok, name);
    expect(same, name);
}

} // namespace

int main() {
    expect(cpu_auto_level() == isa_level::neon64, "cpu_auto picks neon64");
    check_quantize<q8_0>("quantize q8_0");
    check_quantize<q8_1>("quantize q8_1");
    check_quantize<q8_k>("quantize q8_k");
    check_format<f32>("f32", false);
    check_format<q4_0>("q4_0", true);
    check_format<q8_0>("q8_0", true);
    check_format<q4_k>("q4_k", true);
    check_format<q6_k>("q6_k", true);
    check_format<iq4_nl>("iq4_nl", true);
    if (failures == 0) std::printf("neon64: all checks passed (cpu_auto level %s)\n", to_string(cpu_auto_level()).data());
    return failures == 0 ? 0 : 1;
}
