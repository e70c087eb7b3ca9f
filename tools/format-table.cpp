// qforge-format-table: bits per weight and round-trip error of every block format on the golden inputs
// (../shared/golden/quant/inputs), as a Markdown table. docs/formats.md holds its output.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include <boost/mp11/algorithm.hpp>

#include "qforge/block/all.hpp"
#include "qforge/block/row.hpp"
#include "qforge/quant/metrics.hpp"

namespace {

using namespace qforge;
using tools::usage_error;

constexpr const char* usage = R"(usage: qforge-format-table INPUTS_DIR [--inputs gauss,weights] [-o FILE]

For every block format of this build (the GGUF formats of block/all.hpp, then the representative
instances of the generic families in generic_formats), quantizes each input (float32 files INPUTS_DIR/<name>.f32, one row
each, e.g. ../shared/golden/quant/inputs) and prints a Markdown table: bits per weight, RMSE and SNR of
the round trip, and with INPUTS_DIR/imatrix.f32 present the RMSE with that importance matrix (formats
with an importance-weighted quantizer).

  --inputs LIST   comma-separated input names (default gauss,weights)
  -o FILE         write the table to FILE instead of stdout
)";

std::vector<float> read_f32(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw error(errc::io, "cannot open input", {p.string(), {}, {}});
    const std::string bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    if (bytes.empty() || bytes.size() % 4 != 0)
        throw error(errc::format, "not a float32 file (" + std::to_string(bytes.size()) + " bytes)", {p.string(), {}, {}});
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), bytes.size());
    return v;
}

template <class F>
quant::error_stats round_trip(const std::vector<float>& x, const std::vector<float>& imatrix) {
    std::vector<typename F::block> q(x.size() / F::block_size);
    if constexpr (ImatrixFormat<F>) {
        if (!imatrix.empty()) quantize_rows<F>(x, 1, x.size(), q, imatrix);
        else quantize_rows<F>(x, 1, x.size(), q);
    } else {
        quantize_rows<F>(x, 1, x.size(), q);
    }
    std::vector<float> y(x.size());
    F::dequantize(q, y);
    return quant::compare(x, y);
}

int run(int argc, char** argv) {
    tools::args a(argc, argv);
    if (a.flag("--help") || a.flag("-h")) {
        std::cout << usage;
        return 0;
    }
    const auto names = tools::split_list(a.value("--inputs").value_or("gauss,weights"));
    const auto out_path = a.value("-o", "--output");
    const auto pos = a.positionals();
    if (pos.size() != 1) throw usage_error("expected the inputs directory");
    if (names.empty()) throw usage_error("--inputs is empty");
    const std::filesystem::path dir = pos[0];
    std::vector<std::vector<float>> inputs;
    for (const auto& n : names) inputs.push_back(read_f32(dir / (n + ".f32")));
    std::vector<float> imatrix;
    if (std::filesystem::exists(dir / "imatrix.f32")) imatrix = read_f32(dir / "imatrix.f32");

    std::string md = "| format | GGUF id | block | bytes | bits/weight |";
    std::string rule = "|---|---|---|---|---|";
    for (const auto& n : names) {
        md += " RMSE " + n + " | SNR " + n + " (dB) |";
        rule += "---|---|";
        if (!imatrix.empty()) {
            md += " RMSE " + n + " imatrix |";
            rule += "---|";
        }
    }
    md += "\n" + rule + "\n";
    // The GGUF formats, then representative instances of the generic families (no GGUF id).
    boost::mp11::mp_for_each<boost::mp11::mp_append<ggml_formats, generic_formats>>([&]<class F>(F) {
        const std::string id = F::type_id == ggml_type::none ? "-" : std::to_string(static_cast<std::uint32_t>(F::type_id));
        md += "| " + std::string(F::name) + " | " + id + " | " +
              std::to_string(F::block_size) + " | " + std::to_string(F::block_bytes) + " | " +
              tools::fixed(F::bits_per_weight, 4) + " |";
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            const auto& x = inputs[i];
            if (x.size() % F::block_size != 0)
                throw error(errc::shape, std::string(F::name) + ": input '" + names[i] + "' has " +
                                             std::to_string(x.size()) + " values, not a multiple of " +
                                             std::to_string(F::block_size));
            const auto e = round_trip<F>(x, {});
            md += " " + tools::sci(e.rmse, 4) + " | " + tools::fixed(e.snr_db, 2) + " |";
            if (!imatrix.empty()) {
                if constexpr (ImatrixFormat<F>) {
                    if (imatrix.size() != x.size())
                        throw error(errc::shape, "imatrix.f32 has " + std::to_string(imatrix.size()) + " values, input '" +
                                                     names[i] + "' " + std::to_string(x.size()));
                    md += " " + tools::sci(round_trip<F>(x, imatrix).rmse, 4) + " |";
                } else {
                    md += " - |";
                }
            }
        }
        md += "\n";
    });
    if (out_path) {
        std::ofstream o(*out_path);
        if (!(o << md)) throw error(errc::io, "cannot write", {*out_path, {}, {}});
    } else {
        std::cout << md;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qforge::tools::run_tool("qforge-format-table", [&] { return run(argc, argv); });
}
