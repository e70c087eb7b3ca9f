// Example 01: quantize a tensor to a few block formats and look at what it costs and what it loses.
//
// A block format is a type (qforge::q8_0, qforge::q4_0, qforge::q4_k, ...) with the file bytes in a nested
// `block` struct and reference quantize/dequantize functions that reproduce ggml bit for bit. Nothing here is
// specific to a model: it is the storage layer on its own.
#include <qforge/block/all.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace qf = qforge;

// Quantizes x with format F, dequantizes it again, and returns the root-mean-square error.
template <qf::BlockFormat F>
double round_trip_rmse(const std::vector<float>& x) {
    std::vector<typename F::block> q(x.size() / F::block_size); // the bytes a GGUF file would hold
    F::quantize(x, q);
    std::vector<float> y(x.size());
    F::dequantize(q, y);
    double se = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) se += (x[i] - y[i]) * double(x[i] - y[i]);
    const double rmse = std::sqrt(se / x.size());
    std::printf("%-6s %5.2f bits/weight  %7zu bytes  rmse %.5f\n", std::string(F::name).c_str(), F::bits_per_weight,
                q.size() * sizeof(typename F::block), rmse);
    return rmse;
}

int main() {
    // A 4096 x 16 "weight matrix" of Gaussian values (row length 4096 is a multiple of every block size).
    std::mt19937 rng(42);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    std::vector<float> w(4096 * 16);
    for (float& v : w) v = gauss(rng);

    const double e8 = round_trip_rmse<qf::q8_0>(w);
    const double e4 = round_trip_rmse<qf::q4_0>(w);
    const double e4k = round_trip_rmse<qf::q4_k>(w);
    const double e6k = round_trip_rmse<qf::q6_k>(w);

    // Fewer bits, more error: a sanity check that also makes this example fail loudly if a format broke.
    const bool ok = e8 < 0.02 && e8 < e6k && e6k < e4k && e4k < 0.15 && e4 < 0.15;
    std::printf("%s\n", ok ? "ok: error grows as bits shrink" : "unexpected errors");
    return ok ? 0 : 1;
}
