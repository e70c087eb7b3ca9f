// tools/common/llama_ftype.hpp: llama.cpp's file types (LLAMA_FTYPE_*, stored as general.file_type) and
// llama-quantize's rules for which tensor of a Llama model gets which ggml type. Following the same rules
// is what makes `qforge-quantize in.gguf out.gguf Q4_0` produce llama.cpp's file, tensor for tensor.
// Only the rules of the file types listed here are implemented (no IQ1/IQ2/IQ3 mixes: this build has no
// such formats).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qforge/core/ggml_type.hpp"
#include "cli.hpp"

namespace qforge::tools {

struct llama_ftype {
    std::string_view name;  // as llama-quantize spells it
    std::uint32_t id;       // LLAMA_FTYPE_* (general.file_type)
    ggml_type base;         // the type most 2-D weights get
    std::string_view mix;   // what the rules change, for --help and the docs
};

inline const std::vector<llama_ftype>& llama_ftypes() {
    static const std::vector<llama_ftype> t{
        {"F32", 0, ggml_type::f32, "everything f32"},
        {"F16", 1, ggml_type::f16, "2-D weights f16"},
        {"BF16", 32, ggml_type::bf16, "2-D weights bf16"},
        {"Q4_0", 2, ggml_type::q4_0, "output q6_k"},
        {"Q4_1", 3, ggml_type::q4_1, "output q6_k"},
        {"Q5_0", 8, ggml_type::q5_0, "output q6_k"},
        {"Q5_1", 9, ggml_type::q5_1, "output q6_k"},
        {"Q8_0", 7, ggml_type::q8_0, "everything q8_0"},
        {"Q2_K", 10, ggml_type::q2_k, "attn_v q3_k (q4_k if GQA >= 4), ffn_down and attn_output q3_k, output q6_k"},
        {"Q2_K_S", 21, ggml_type::q2_k, "attn_v q4_k if GQA >= 4, ffn_down q4_k in the first 1/8 layers, output q6_k"},
        {"Q3_K_S", 11, ggml_type::q3_k, "output q6_k"},
        {"Q3_K_M", 12, ggml_type::q3_k, "attn_v q5_k (first 2) else q4_k, ffn_down q5_k (first 1/16) else q4_k, attn_output q4_k, output q6_k"},
        {"Q3_K_L", 13, ggml_type::q3_k, "attn_v, ffn_down and attn_output q5_k, output q6_k"},
        {"Q4_K_S", 14, ggml_type::q4_k, "attn_v q5_k (first 4), ffn_down q5_k (first 1/8 layers), output q6_k"},
        {"Q4_K_M", 15, ggml_type::q4_k, "attn_v and ffn_down q6_k in the use_more_bits layers, output q6_k"},
        {"Q5_K_S", 16, ggml_type::q5_k, "output q6_k"},
        {"Q5_K_M", 17, ggml_type::q5_k, "attn_v and ffn_down q6_k in the use_more_bits layers, output q6_k"},
        {"Q6_K", 18, ggml_type::q6_k, "everything q6_k"},
        {"IQ4_NL", 25, ggml_type::iq4_nl, "attn_v q5_k if GQA >= 4, ffn_down q5_k (first 1/8, without imatrix), output q6_k"},
        {"IQ4_XS", 30, ggml_type::iq4_xs, "attn_v q5_k if GQA >= 4, ffn_down q5_k (first 1/8, without imatrix), output q6_k"},
        {"TQ1_0", 36, ggml_type::tq1_0, "token_embd q4_k, output q6_k"},
        {"TQ2_0", 37, ggml_type::tq2_0, "token_embd q4_k, output q6_k"},
    };
    return t;
}

// A file type by llama-quantize name (case-insensitive; Q3_K/Q4_K/Q5_K mean their _M variants, as in
// llama-quantize).
inline std::optional<llama_ftype> find_llama_ftype(std::string_view name) {
    std::string n = lower(std::string(name));
    if (n == "q3_k") n = "q3_k_m";
    if (n == "q4_k") n = "q4_k_m";
    if (n == "q5_k") n = "q5_k_m";
    for (const auto& f : llama_ftypes())
        if (lower(std::string(f.name)) == n) return f;
    return std::nullopt;
}

// The file type that a model of (mostly) one ggml type has, for general.file_type of a --pure file.
inline std::uint32_t ftype_of_type(ggml_type t) {
    switch (t) {
    case ggml_type::f32: return 0;
    case ggml_type::f16: return 1;
    case ggml_type::bf16: return 32;
    case ggml_type::q4_0: return 2;
    case ggml_type::q4_1: return 3;
    case ggml_type::q5_0: return 8;
    case ggml_type::q5_1: return 9;
    case ggml_type::q8_0: return 7;
    case ggml_type::q2_k: return 10;
    case ggml_type::q3_k: return 12;
    case ggml_type::q4_k: return 15;
    case ggml_type::q5_k: return 17;
    case ggml_type::q6_k: return 18;
    case ggml_type::iq4_nl: return 25;
    case ggml_type::iq4_xs: return 30;
    case ggml_type::tq1_0: return 36;
    case ggml_type::tq2_0: return 37;
    case ggml_type::mxfp4: return 38;
    default: return 1024; // LLAMA_FTYPE_GUESSED
    }
}

// llama.cpp's use_more_bits: the first and last eighth of the layers, and every third layer in between.
inline bool use_more_bits(int i_layer, int n_layers) {
    return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

// Per-model state of the rules: counters over attn_v / ffn_down in file order, as llama-quantize keeps.
struct llama_mix_state {
    int n_attention_wv = 0, n_ffn_down = 0;
    int i_attention_wv = 0, i_ffn_down = 0;
    bool has_output = false; // an untied output.weight exists
    bool has_imatrix = false;
    std::uint64_t n_gqa = 1; // heads / kv heads
};

inline bool name_has(std::string_view name, std::string_view part) { return name.find(part) != std::string_view::npos; }

// llama_tensor_get_type for the file types above: the type the rules give a 2-D weight named `name` with
// rows of `cols` values, before the block-size fallback.
inline ggml_type llama_tensor_type(const llama_ftype& ft, std::string_view name, std::uint64_t cols,
                                   llama_mix_state& s) {
    const std::string_view f = ft.name;
    ggml_type t = ft.base;
    const auto bs = [](ggml_type x) { return ggml_type_info(static_cast<std::uint32_t>(x)).block_size; };
    if (name == "output.weight" || (!s.has_output && name == "token_embd.weight")) {
        if (cols % bs(t) != 0) t = ggml_type::q8_0;
        else if (t != ggml_type::q8_0) t = ggml_type::q6_k;
    } else if (name == "token_embd.weight") {
        if (f == "TQ1_0" || f == "TQ2_0") t = ggml_type::q4_k;
    } else if (name_has(name, "attn_v.weight")) {
        if (f == "Q2_K") t = s.n_gqa >= 4 ? ggml_type::q4_k : ggml_type::q3_k;
        else if (f == "Q2_K_S" && s.n_gqa >= 4) t = ggml_type::q4_k;
        else if (f == "Q3_K_M") t = s.i_attention_wv < 2 ? ggml_type::q5_k : ggml_type::q4_k;
        else if (f == "Q3_K_L") t = ggml_type::q5_k;
        else if ((f == "IQ4_NL" || f == "IQ4_XS") && s.n_gqa >= 4) t = ggml_type::q5_k;
        else if ((f == "Q4_K_M" || f == "Q5_K_M") && use_more_bits(s.i_attention_wv, s.n_attention_wv)) t = ggml_type::q6_k;
        else if (f == "Q4_K_S" && s.i_attention_wv < 4) t = ggml_type::q5_k;
        ++s.i_attention_wv;
    } else if (name_has(name, "ffn_down")) {
        const int i = s.i_ffn_down, n = s.n_ffn_down;
        if (f == "Q2_K") t = ggml_type::q3_k;
        else if (f == "Q2_K_S") { if (i < n / 8) t = ggml_type::q4_k; }
        else if (f == "Q3_K_M") t = i < n / 16 ? ggml_type::q5_k : ggml_type::q4_k;
        else if (f == "Q3_K_L") t = ggml_type::q5_k;
        else if (f == "Q4_K_M") { if (use_more_bits(i, n)) t = ggml_type::q6_k; }
        else if (i < n / 8 && (f == "IQ4_NL" || f == "IQ4_XS") && !s.has_imatrix) t = ggml_type::q5_k;
        else if (f == "Q5_K_M" && use_more_bits(i, n)) t = ggml_type::q6_k;
        else if (f == "Q4_K_S" && i < n / 8) t = ggml_type::q5_k;
        else if ((f == "Q4_0" || f == "Q5_0") && s.has_imatrix && i < n / 8)
            t = f == "Q4_0" ? ggml_type::q4_1 : ggml_type::q5_1; // llama.cpp's guard for the first ffn_down layers
        ++s.i_ffn_down;
    } else if (name_has(name, "attn_output.weight")) {
        if (f == "Q2_K") t = ggml_type::q3_k;
        else if (f == "Q3_K_M") t = ggml_type::q4_k;
        else if (f == "Q3_K_L") t = ggml_type::q5_k;
    }
    return t;
}

// llama.cpp's fallback when rows do not divide into the chosen type's blocks; nullopt when even that does
// not fit (then the caller keeps f16, llama.cpp's last resort, or f32 when f16 is not possible).
inline ggml_type fallback_type(ggml_type t, std::uint64_t cols) {
    ggml_type f;
    switch (t) {
    case ggml_type::tq1_0:
    case ggml_type::tq2_0: f = ggml_type::q4_0; break;
    case ggml_type::q2_k:
    case ggml_type::q3_k:
    case ggml_type::iq4_xs: f = ggml_type::iq4_nl; break;
    case ggml_type::q4_k: f = ggml_type::q5_0; break;
    case ggml_type::q5_k: f = ggml_type::q5_1; break;
    case ggml_type::q6_k: f = ggml_type::q8_0; break;
    default: f = ggml_type::f16; break; // llama.cpp refuses here ("Unsupported tensor size"); we keep f16
    }
    if (cols % ggml_type_info(static_cast<std::uint32_t>(f)).block_size != 0) f = ggml_type::f16;
    return f;
}

} // namespace qforge::tools
