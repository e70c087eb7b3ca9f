// qforge-quantize: like llama-quantize. Reads a GGUF model, quantizes its weight matrices by a llama.cpp
// file type (Q4_0, Q4_K_M, ...: the same per-tensor rules, so Q8_0/Q4_0 files come out byte-identical to
// llama.cpp's) or into one format for every weight (--pure), copies all metadata, sets general.file_type,
// and reports each tensor's quantization error.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/cli.hpp"
#include "common/imatrix.hpp"
#include "common/llama_ftype.hpp"
#include "common/quantize.hpp"
#include "qforge/io/gguf.hpp"
#include "qforge/io/gguf_writer.hpp"
#include "qforge/quant/metrics.hpp"

namespace {

using namespace qforge;
using tools::usage_error;

std::string usage() {
    std::string u = R"(usage: qforge-quantize IN.gguf OUT.gguf TYPE [options]

Quantizes the weight matrices of a GGUF model. TYPE is either a llama.cpp file type (case-insensitive),
which follows llama-quantize's per-tensor rules, or, with --pure, any block format name for every
2-D weight.

File types (general.file_type id: what differs from the base type):
)";
    for (const auto& f : tools::llama_ftypes())
        u += "  " + std::string(f.name) + std::string(8 - f.name.size(), ' ') + "(" + std::to_string(f.id) + ") " +
             std::string(f.mix) + "\n";
    u += R"(  Q3_K, Q4_K, Q5_K mean Q3_K_M, Q4_K_M, Q5_K_M (as in llama-quantize).
  "output" is output.weight, or token_embd.weight when the classifier is tied. A row length that does
  not fit the chosen type falls back as llama.cpp does (q6_k->q8_0, q4_k->q5_0, q5_k->q5_1, q2_k/q3_k/
  iq4_xs->iq4_nl, tq*->q4_0; otherwise f16) and the report names the tensor.

Options:
  --pure             every 2-D weight gets TYPE (a format name: f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0
                     q2_k q3_k q4_k q5_k q6_k iq4_nl iq4_xs tq1_0 tq2_0 mxfp4), no mixing
  --output-type T    format of the output tensor (overrides the rules)
  --embd-type T      format of token_embd.weight (overrides the rules)
  --imatrix FILE     importance matrix from llama-imatrix (legacy .dat or GGUF imatrix)
  -t, --threads N    quantization threads (default: all cores)
  -q, --quiet        no per-tensor report

1-D tensors (norms) and tensors that are not "*.weight" are copied unchanged.
)";
    return u;
}

ggml_type parse_format(const std::string& s, const char* what) {
    const auto i = format_index(tools::lower(s));
    if (!i) throw usage_error(std::string(what) + ": unknown format '" + s + "'");
    ggml_type t = ggml_type::f32;
    std::size_t k = 0;
    boost::mp11::mp_for_each<ggml_formats>([&](auto f) {
        if (k++ == *i) t = decltype(f)::type_id;
    });
    if (t == ggml_type::q8_1 || t == ggml_type::q8_k)
        throw usage_error(std::string(what) + ": " + s + " is an activation format (dot-product partner), not a storage type");
    return t;
}

std::string type_name(ggml_type t) { return tools::lower(std::string(ggml_type_info(static_cast<std::uint32_t>(t)).name)); }

std::string shape_of(const gguf::tensor_info& t) {
    std::string s;
    for (std::uint32_t d = 0; d < t.n_dims; ++d) {
        if (d) s += 'x';
        s += std::to_string(t.ne[d]);
    }
    return s;
}

int run(int argc, char** argv) {
    tools::args a(argc, argv);
    if (a.flag("--help") || a.flag("-h")) {
        std::cout << usage();
        return 0;
    }
    const bool pure = a.flag("--pure");
    const bool quiet = a.flag("--quiet") || a.flag("-q");
    const auto out_type_s = a.value("--output-type");
    const auto embd_type_s = a.value("--embd-type");
    const auto imatrix_path = a.value("--imatrix");
    unsigned threads = a.number<unsigned>("--threads", "-t").value_or(std::max(1u, std::thread::hardware_concurrency()));
    if (threads == 0) throw usage_error("--threads must be at least 1");
    const auto pos = a.positionals();
    if (pos.size() != 3) throw usage_error("expected IN.gguf OUT.gguf TYPE, got " + std::to_string(pos.size()) + " arguments");
    const std::string& in_path = pos[0];
    const std::string& out_path = pos[1];
    const std::string& type_arg = pos[2];

    std::optional<tools::llama_ftype> ftype;
    ggml_type pure_type = ggml_type::f32;
    if (pure) {
        pure_type = parse_format(type_arg, "TYPE");
    } else {
        ftype = tools::find_llama_ftype(type_arg);
        if (!ftype) {
            std::string known;
            for (const auto& f : tools::llama_ftypes()) known += (known.empty() ? "" : ", ") + std::string(f.name);
            throw usage_error("unknown file type '" + type_arg + "' (known: " + known +
                              "; or use --pure with a format name)");
        }
    }
    const ggml_type out_type = out_type_s ? parse_format(*out_type_s, "--output-type") : ggml_type::none;
    const ggml_type embd_type = embd_type_s ? parse_format(*embd_type_s, "--embd-type") : ggml_type::none;
    if (in_path == out_path) throw usage_error("input and output are the same file");

    const auto in = gguf::open(in_path);
    tools::imatrix_map imatrix;
    if (imatrix_path) {
        imatrix = tools::load_imatrix(*imatrix_path);
        std::cout << "imatrix: " << imatrix.size() << " entries from " << *imatrix_path << "\n";
    }

    // The rules' per-model state.
    tools::llama_mix_state st;
    st.has_imatrix = !imatrix.empty();
    st.has_output = in.find_tensor("output.weight") != nullptr;
    for (const auto& t : in.tensors()) {
        if (tools::name_has(t.name, "attn_v.weight")) ++st.n_attention_wv;
        if (tools::name_has(t.name, "ffn_down")) ++st.n_ffn_down;
    }
    {
        const gguf::value* h = in.find_value("llama.attention.head_count");
        const gguf::value* hk = in.find_value("llama.attention.head_count_kv");
        if (h && hk && h->holds<std::uint32_t>() && hk->holds<std::uint32_t>() && hk->as<std::uint32_t>() != 0)
            st.n_gqa = h->as<std::uint32_t>() / hk->as<std::uint32_t>();
    }

    const std::uint32_t file_type = ftype ? ftype->id : tools::ftype_of_type(pure_type);
    gguf::writer w;
    bool had_qv = false;
    for (const auto& [key, v] : in.metadata()) {
        if (key == "general.file_type") continue;
        if (key == "general.quantization_version") had_qv = true;
        w.add(key, v);
    }
    w.add("general.file_type", file_type);
    if (!had_qv) w.add("general.quantization_version", std::uint32_t{2}); // ggml's GGML_QNT_VERSION

    if (!quiet)
        std::printf("%-28s %-12s %-6s %-6s %12s %9s %12s  %s\n", "tensor", "shape", "from", "to", "rmse", "snr_db",
                    "max_abs_err", "note");
    tools::progress prog("qforge-quantize", in.tensors().size());
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t in_bytes = 0, out_bytes = 0, n_quantized = 0, n_fallback = 0;
    std::map<std::string, std::size_t> type_counts;
    std::size_t done = 0;
    for (const auto& t : in.tensors()) {
        in_bytes += t.n_bytes;
        const std::string_view name = t.name;
        const bool is_weight = name.size() >= 6 && name.substr(name.size() - 6) == "weight";
        const bool quantize = is_weight && t.n_dims >= 2 && !tools::name_has(name, "_norm.weight") &&
                              file_type != 0;
        ggml_type target = t.type();
        std::string note;
        if (quantize) {
            target = pure ? pure_type : ftype->base;
            const bool quantized_base = ggml_type_info(static_cast<std::uint32_t>(target)).block_size > 1;
            if (!pure && quantized_base) target = tools::llama_tensor_type(*ftype, name, t.ne[0], st);
            if (embd_type != ggml_type::none && name == "token_embd.weight") target = embd_type;
            if (out_type != ggml_type::none && (name == "output.weight" || (!st.has_output && name == "token_embd.weight"))) target = out_type;
            if (const auto why = tools::row_misfit(target, t.ne[0]); !why.empty()) {
                const ggml_type fb = tools::fallback_type(target, t.ne[0]);
                note = "fallback: " + why + " (" + type_name(target) + ") -> " + type_name(fb);
                std::cerr << "qforge-quantize: " << t.name << ": " << note << "\n";
                target = fb;
                ++n_fallback;
            }
        }
        const std::uint64_t ne[4] = {t.ne[0], t.ne[1], t.ne[2], t.ne[3]};
        const std::span<const std::uint64_t> dims(ne, t.n_dims);
        if (target == t.type()) {
            w.add_tensor(t.name, t.type(), dims, t.data);
            out_bytes += t.n_bytes;
            if (!quiet)
                std::printf("%-28s %-12s %-6s %-6s %12s %9s %12s  %s\n", t.name.c_str(), shape_of(t).c_str(),
                            type_name(t.type()).c_str(), type_name(target).c_str(), "-", "-", "-",
                            note.empty() ? "copied" : note.c_str());
        } else {
            const std::vector<float> x = tools::tensor_f32(t);
            const std::size_t cols = static_cast<std::size_t>(t.ne[0]);
            const std::size_t rows = static_cast<std::size_t>(t.n_elements / t.ne[0]);
            std::span<const float> imat;
            if (const auto it = imatrix.find(t.name); it != imatrix.end()) {
                if (it->second.size() != cols)
                    throw error(errc::shape, "imatrix has " + std::to_string(it->second.size()) +
                                                 " values for rows of " + std::to_string(cols), {*imatrix_path, t.name, {}});
                imat = it->second;
            }
            const auto q = tools::quantize_matrix(target, x, rows, cols, imat, threads);
            w.add_tensor(t.name, target, dims, std::span<const std::byte>(q));
            out_bytes += q.size();
            ++n_quantized;
            if (!quiet) {
                const auto y = tools::dequantize_bytes(target, q, x.size());
                const auto e = quant::compare(x, y);
                std::printf("%-28s %-12s %-6s %-6s %12.4e %9.2f %12.4e  %s\n", t.name.c_str(), shape_of(t).c_str(),
                            type_name(t.type()).c_str(), type_name(target).c_str(), e.rmse, e.snr_db,
                            e.max_abs_error, (note + (imat.empty() ? "" : (note.empty() ? "imatrix" : ", imatrix"))).c_str());
            }
        }
        ++type_counts[type_name(target)];
        prog.step(++done, t.name);
    }
    w.write(out_path);
    const double secs = tools::seconds_since(t0);
    std::string mix;
    for (const auto& [k, n] : type_counts) mix += (mix.empty() ? "" : ", ") + k + ": " + std::to_string(n);
    std::printf("wrote %s: file_type %u, %llu tensors quantized, %llu fallbacks; tensor data %s -> %s (%.2fx) in %.2f s "
                "with %u threads; types: %s\n",
                out_path.c_str(), file_type, static_cast<unsigned long long>(n_quantized),
                static_cast<unsigned long long>(n_fallback), tools::human_bytes(in_bytes).c_str(),
                tools::human_bytes(out_bytes).c_str(), out_bytes ? static_cast<double>(in_bytes) / static_cast<double>(out_bytes) : 0.0,
                secs, threads, mix.c_str());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return qforge::tools::run_tool("qforge-quantize", [&] { return run(argc, argv); });
}
