// qforge-quantize-stats: how well each block format keeps the tensors of a model (or a raw f32 tensor):
// bits per weight, RMSE, SNR, max abs error and quantize throughput, per tensor and overall.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/quantize.hpp"
#include "qforge/io/gguf.hpp"
#include "qforge/quant/metrics.hpp"

namespace {

using namespace qforge;
using tools::usage_error;

constexpr const char* usage = R"(usage: qforge-quantize-stats FILE [--types q4_0,q8_0,...] [options]

Quantizes every tensor of FILE into each format and reports, per tensor and overall: bits per weight,
RMSE, SNR (dB), max abs error, and quantize throughput (MB/s of f32 input).

FILE is a GGUF model (its tensors of 2 or more dimensions; quantized ones are dequantized first) or,
with --shape, a raw little-endian float32 file.

  --types LIST       formats (default q4_0,q4_1,q5_0,q5_1,q8_0,q2_k,q3_k,q4_k,q5_k,q6_k,iq4_nl,iq4_xs)
  --shape ROWSxCOLS  read FILE as raw f32 with this shape (COLS alone: one row)
  --filter TEXT      only tensors whose name contains TEXT
  -t, --threads N    quantization threads (default 1, as ggml's single-thread figures)
  --summary          print only the overall table

A tensor whose row length is not a multiple of a format's block size is reported as skipped, with why.
)";

struct input {
    std::string name;
    std::vector<float> values;
    std::size_t rows = 0, cols = 0;
};

struct totals {
    double se = 0, sx = 0, max_err = 0, seconds = 0;
    std::uint64_t n = 0, bytes = 0;
    std::size_t tensors = 0, skipped = 0;
};

std::vector<float> read_raw(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw error(errc::io, "cannot open file", {path, {}, {}});
    const std::string b{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    if (b.size() % 4 != 0) throw error(errc::format, "size " + std::to_string(b.size()) + " is not a multiple of 4", {path, {}, {}});
    std::vector<float> v(b.size() / 4);
    std::memcpy(v.data(), b.data(), b.size());
    return v;
}

int run(int argc, char** argv) {
    tools::args a(argc, argv);
    if (a.flag("--help") || a.flag("-h")) {
        std::cout << usage;
        return 0;
    }
    const auto type_names = tools::split_list(
        a.value("--types").value_or("q4_0,q4_1,q5_0,q5_1,q8_0,q2_k,q3_k,q4_k,q5_k,q6_k,iq4_nl,iq4_xs"));
    const auto shape = a.value("--shape");
    const auto filter = a.value("--filter").value_or("");
    const unsigned threads = a.number<unsigned>("--threads", "-t").value_or(1);
    const bool summary = a.flag("--summary");
    const auto pos = a.positionals();
    if (pos.size() != 1) throw usage_error("expected one input file");
    if (threads == 0) throw usage_error("--threads must be at least 1");
    std::vector<ggml_type> types;
    for (const auto& n : type_names) {
        const auto t = visit_format(tools::lower(n), [](auto f) { return decltype(f)::type_id; });
        if (t == ggml_type::q8_1 || t == ggml_type::q8_k)
            throw usage_error(n + " is an activation format without a row quantizer");
        types.push_back(t);
    }
    if (types.empty()) throw usage_error("--types is empty");

    // The tensors, as f32 (a GGUF file stays mapped; each tensor is converted when its turn comes).
    std::vector<input> raw;
    std::optional<gguf::file> file;
    std::vector<const gguf::tensor_info*> gguf_tensors;
    if (shape) {
        input in;
        in.name = std::filesystem::path(pos[0]).filename().string();
        in.values = read_raw(pos[0]);
        const auto x = shape->find('x');
        in.cols = tools::args::parse_number<std::size_t>(x == std::string::npos ? *shape : shape->substr(x + 1), "--shape");
        in.rows = x == std::string::npos ? 1 : tools::args::parse_number<std::size_t>(shape->substr(0, x), "--shape");
        if (in.rows == 0 || in.cols == 0 || in.rows * in.cols != in.values.size())
            throw error(errc::shape, "--shape " + *shape + " does not match the file's " + std::to_string(in.values.size()) +
                                         " values", {pos[0], {}, {}});
        raw.push_back(std::move(in));
    } else {
        file = gguf::open(pos[0]);
        for (const auto& t : file->tensors())
            if (t.n_dims >= 2 && t.name.find(filter) != std::string::npos) gguf_tensors.push_back(&t);
        if (gguf_tensors.empty()) throw error(errc::missing, "no tensor of 2 or more dimensions" +
                                                                 (filter.empty() ? std::string() : " matching '" + filter + "'"),
                                              {pos[0], {}, {}});
    }
    const std::size_t n_tensors = shape ? 1 : gguf_tensors.size();

    std::vector<totals> tot(types.size());
    if (!summary)
        std::printf("%-28s %-7s %8s %12s %9s %12s %10s  %s\n", "tensor", "type", "bpw", "rmse", "snr_db", "max_abs_err",
                    "MB/s", "note");
    tools::progress prog("qforge-quantize-stats", n_tensors * types.size());
    std::size_t done = 0;
    for (std::size_t ti = 0; ti < n_tensors; ++ti) {
        input cur;
        if (shape) {
            cur = std::move(raw[0]);
        } else {
            const auto& t = *gguf_tensors[ti];
            cur.name = t.name;
            cur.values = tools::tensor_f32(t);
            cur.cols = static_cast<std::size_t>(t.ne[0]);
            cur.rows = static_cast<std::size_t>(t.n_elements / t.ne[0]);
        }
        double sx = 0;
        for (const float v : cur.values) sx += static_cast<double>(v) * v;
        for (std::size_t k = 0; k < types.size(); ++k) {
            const ggml_type type = types[k];
            const std::string tname = tools::lower(std::string(ggml_type_info(static_cast<std::uint32_t>(type)).name));
            if (const auto why = tools::row_misfit(type, cur.cols); !why.empty()) {
                ++tot[k].skipped;
                if (!summary)
                    std::printf("%-28s %-7s %8s %12s %9s %12s %10s  skipped: %s\n", cur.name.c_str(), tname.c_str(), "-",
                                "-", "-", "-", "-", why.c_str());
                prog.step(++done, cur.name);
                continue;
            }
            const auto t0 = std::chrono::steady_clock::now();
            const auto q = tools::quantize_matrix(type, cur.values, cur.rows, cur.cols, {}, threads);
            const double secs = tools::seconds_since(t0);
            const auto y = tools::dequantize_bytes(type, q, cur.values.size());
            const auto e = quant::compare(cur.values, y);
            const double mb = static_cast<double>(cur.values.size()) * 4.0 / 1e6;
            const double bpw = 8.0 * static_cast<double>(q.size()) / static_cast<double>(cur.values.size());
            auto& T = tot[k];
            T.se += e.mse * static_cast<double>(e.count);
            T.sx += sx;
            T.max_err = std::max(T.max_err, e.max_abs_error);
            T.seconds += secs;
            T.n += e.count;
            T.bytes += q.size();
            ++T.tensors;
            if (!summary)
                std::printf("%-28s %-7s %8.4f %12.4e %9.2f %12.4e %10.1f\n", cur.name.c_str(), tname.c_str(), bpw, e.rmse,
                            e.snr_db, e.max_abs_error, secs > 0 ? mb / secs : 0.0);
            prog.step(++done, cur.name);
        }
    }
    std::printf("\noverall (%zu tensors, %u thread%s)\n", n_tensors, threads, threads == 1 ? "" : "s");
    std::printf("%-7s %8s %12s %9s %12s %10s %8s %8s\n", "type", "bpw", "rmse", "snr_db", "max_abs_err", "MB/s", "tensors",
                "skipped");
    for (std::size_t k = 0; k < types.size(); ++k) {
        const auto& T = tot[k];
        const std::string tname = tools::lower(std::string(ggml_type_info(static_cast<std::uint32_t>(types[k])).name));
        if (T.n == 0) {
            std::printf("%-7s %8s %12s %9s %12s %10s %8zu %8zu\n", tname.c_str(), "-", "-", "-", "-", "-", T.tensors, T.skipped);
            continue;
        }
        const double rmse = std::sqrt(T.se / static_cast<double>(T.n));
        const double snr = T.se == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(T.sx / T.se);
        std::printf("%-7s %8.4f %12.4e %9.2f %12.4e %10.1f %8zu %8zu\n", tname.c_str(),
                    8.0 * static_cast<double>(T.bytes) / static_cast<double>(T.n), rmse, snr, T.max_err,
                    T.seconds > 0 ? static_cast<double>(T.n) * 4e-6 / T.seconds : 0.0, T.tensors, T.skipped);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qforge::tools::run_tool("qforge-quantize-stats", [&] { return run(argc, argv); });
}
