// tools: format-table
// qforge-format-table: its figures agree with ggml's own round trips (the golden .deq.f32 files), and they
// are sane: within a family more bits per weight never give a larger error.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "support/golden.hpp"
#include "tools/tool_runner.hpp"

namespace {

using namespace qforge_test;

struct row {
    double bpw = 0, rmse_gauss = 0, rmse_weights = 0;
};

// Parses the Markdown table: | format | id | block | bytes | bpw | RMSE gauss | SNR | RMSE gauss imatrix | RMSE weights | ...
std::map<std::string, row> parse(const std::string& md) {
    std::map<std::string, row> rows;
    std::istringstream in(md);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("| ", 0) != 0 || line.find("format") != std::string::npos) continue;
        std::vector<std::string> cells;
        std::istringstream ls(line.substr(1));
        std::string cell;
        while (std::getline(ls, cell, '|')) {
            const auto b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
            cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
        }
        if (cells.size() < 11) continue;
        rows[cells[0]] = {std::stod(cells[4]), std::stod(cells[5]), std::stod(cells[8])};
    }
    return rows;
}

const std::map<std::string, row>& table() {
    static const auto t = [] {
        const auto r = run_tool("format-table", quote(golden_quant_dir() / "inputs"));
        EXPECT_EQ(r.code, 0) << r.err;
        return parse(r.out);
    }();
    return t;
}

double golden_rmse(const std::string& format, const std::string& input) {
    const auto x = read_f32(golden_quant_dir() / "inputs" / (input + ".f32"));
    const auto y = read_f32(golden_quant_dir() / format / (input + ".deq.f32"));
    double se = 0;
    for (std::size_t i = 0; i < x.size(); ++i) se += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
    return std::sqrt(se / static_cast<double>(x.size()));
}

TEST(format_table, lists_every_format_with_ggml_bits_per_weight) {
    QFORGE_REQUIRE_SHARED();
    const auto& t = table();
    // bpw = 8 * type_size / block_size as ggml defines them (see ../shared/golden/quant/MANIFEST.md).
    const std::map<std::string, double> bpw{{"f32", 32},      {"f16", 16},     {"bf16", 16},     {"q4_0", 4.5},
                                            {"q4_1", 5},      {"q5_0", 5.5},   {"q5_1", 6},      {"q8_0", 8.5},
                                            {"q8_1", 9},      {"q2_k", 2.625}, {"q3_k", 3.4375}, {"q4_k", 4.5},
                                            {"q5_k", 5.5},    {"q6_k", 6.5625}, {"q8_k", 9.125}, {"iq4_nl", 4.5},
                                            {"iq4_xs", 4.25}, {"tq1_0", 1.6875}, {"tq2_0", 2.0625}, {"mxfp4", 4.25}};
    for (const auto& [name, b] : bpw) {
        ASSERT_TRUE(t.count(name)) << name;
        EXPECT_DOUBLE_EQ(t.at(name).bpw, b) << name;
    }
}

TEST(format_table, rmse_matches_ggml_round_trips) {
    QFORGE_REQUIRE_SHARED();
    const auto& t = table();
    for (const char* f : {"q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl",
                          "iq4_xs", "tq1_0", "tq2_0", "mxfp4", "f16", "bf16"}) {
        for (const char* in : {"gauss", "weights"}) {
            const double g = golden_rmse(f, in);
            const double ours = std::string(in) == "gauss" ? t.at(f).rmse_gauss : t.at(f).rmse_weights;
            EXPECT_NEAR(ours, g, g * 1e-3) << f << " on " << in; // the table prints 5 significant digits
        }
    }
}

TEST(format_table, more_bits_never_give_a_larger_error_within_a_family) {
    QFORGE_REQUIRE_SHARED();
    const auto& t = table();
    const std::vector<std::vector<std::string>> families{
        {"q4_0", "q5_0", "q8_0"}, {"q4_1", "q5_1"}, {"q2_k", "q3_k", "q4_k", "q5_k", "q6_k"}, {"bf16", "f16", "f32"},
        {"tq1_0", "q2_k"}};
    for (const auto& fam : families)
        for (std::size_t i = 1; i < fam.size(); ++i) {
            const auto& lo = t.at(fam[i - 1]);
            const auto& hi = t.at(fam[i]);
            EXPECT_LE(lo.bpw, hi.bpw) << fam[i - 1] << " <= " << fam[i]; // (bf16 and f16 both have 16 bits: mantissa decides)
            EXPECT_GT(lo.rmse_gauss, hi.rmse_gauss) << fam[i - 1] << " vs " << fam[i];
            EXPECT_GT(lo.rmse_weights, hi.rmse_weights) << fam[i - 1] << " vs " << fam[i];
        }
    // The generic families are listed too: more bits, less error across them.
    EXPECT_GT(t.at("binary_g32").rmse_gauss, t.at("group_affine_b3_g32_f16").rmse_gauss);
    EXPECT_GT(t.at("group_affine_b3_g32_f16").rmse_gauss, t.at("group_affine_b4_g64_f16").rmse_gauss);
    EXPECT_GT(t.at("group_affine_b4_g64_f16").rmse_gauss, t.at("per_channel_i8_sym_c256").rmse_gauss);
    // Same bits, affine beats symmetric: q4_1 has a min, q4_0 does not (and the K-quant beats both).
    EXPECT_LT(t.at("q4_k").rmse_gauss, t.at("q4_0").rmse_gauss);
}

TEST(format_table, bad_input) {
    EXPECT_EQ(run_tool("format-table", "--help").code, 0);
    EXPECT_EQ(run_tool("format-table", "").code, 2);
    const auto r = run_tool("format-table", "/nonexistent-dir");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("/nonexistent-dir/gauss.f32"), std::string::npos) << r.err;
}

} // namespace
