// tools/common/imatrix.hpp: importance matrices as llama.cpp's llama-imatrix writes them, in both of its
// file formats:
//   - legacy .dat: int32 n_entries; then per entry: int32 name_len, name bytes, int32 ncall, int32 nval,
//     float values[nval]; optionally followed by int32 chunk count and the dataset name (ignored).
//     The values are sums of squared activations over ncall calls: importance = value / ncall
//     (what llama-quantize's load_imatrix does).
//   - GGUF (llama.cpp >= b5942): per weight tensor "<name>.in_sum2" (f32, ne = {n_per_row, n_mat}) and
//     "<name>.counts" (f32, ne = {1, n_mat}); importance = in_sum2 / counts (per matrix).
// The result maps a weight's tensor name to one importance per column (for 3-D expert tensors, the
// matrices' vectors one after another).
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/io/gguf.hpp"

namespace qforge::tools {

using imatrix_map = std::map<std::string, std::vector<float>, std::less<>>;

inline imatrix_map load_imatrix_dat(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(errc::io, "cannot open imatrix file", {path.string(), {}, {}});
    const auto fail = [&](const std::string& what) -> error {
        return error(errc::format, "imatrix .dat: " + what, {path.string(), {}, static_cast<std::uint64_t>(in.tellg())});
    };
    const auto read_i32 = [&](const char* what) {
        std::int32_t v = 0;
        if (!in.read(reinterpret_cast<char*>(&v), sizeof v)) throw fail(std::string("truncated while reading ") + what);
        return v;
    };
    const std::uint64_t file_size = std::filesystem::file_size(path);
    const std::int32_t n = read_i32("the entry count");
    if (n <= 0) throw fail("entry count " + std::to_string(n) + " is not positive");
    imatrix_map m;
    for (std::int32_t e = 0; e < n; ++e) {
        const std::int32_t len = read_i32("a name length");
        if (len <= 0 || static_cast<std::uint64_t>(len) > 4096) throw fail("bad name length " + std::to_string(len));
        std::string name(static_cast<std::size_t>(len), '\0');
        if (!in.read(name.data(), len)) throw fail("truncated name");
        const std::int32_t ncall = read_i32("ncall");
        const std::int32_t nval = read_i32("nval");
        if (nval <= 0 || static_cast<std::uint64_t>(nval) * 4 > file_size)
            throw fail("entry '" + name + "': bad value count " + std::to_string(nval));
        std::vector<float> v(static_cast<std::size_t>(nval));
        if (!in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float))))
            throw fail("entry '" + name + "': truncated values");
        if (ncall > 0)
            for (float& x : v) x /= static_cast<float>(ncall);
        m[name] = std::move(v);
    }
    return m;
}

inline imatrix_map load_imatrix_gguf(const std::filesystem::path& path) {
    const auto f = gguf::open(path);
    imatrix_map m;
    const std::string sum_suffix = ".in_sum2";
    for (const auto& t : f.tensors()) {
        if (t.name.size() <= sum_suffix.size() ||
            t.name.compare(t.name.size() - sum_suffix.size(), sum_suffix.size(), sum_suffix) != 0)
            continue;
        const std::string base = t.name.substr(0, t.name.size() - sum_suffix.size());
        const auto* counts = f.find_tensor(base + ".counts");
        const error_location where{path.string(), t.name, {}};
        if (!counts) throw error(errc::missing, "no matching '" + base + ".counts' tensor", where);
        if (t.type() != ggml_type::f32 || counts->type() != ggml_type::f32)
            throw error(errc::type, "imatrix tensors must be F32", where);
        const std::size_t per_row = static_cast<std::size_t>(t.ne[0]);
        const std::size_t n_mat = static_cast<std::size_t>(t.n_elements / t.ne[0]);
        if (counts->n_elements != n_mat)
            throw error(errc::shape, "counts has " + std::to_string(counts->n_elements) + " entries for " +
                                         std::to_string(n_mat) + " matrices", where);
        std::vector<float> sums(t.n_elements), cnt(n_mat);
        std::memcpy(sums.data(), t.data.data(), sums.size() * 4);
        std::memcpy(cnt.data(), counts->data.data(), cnt.size() * 4);
        for (std::size_t j = 0; j < n_mat; ++j)
            for (std::size_t i = 0; i < per_row; ++i)
                if (cnt[j] > 0) sums[j * per_row + i] /= cnt[j];
        m[base] = std::move(sums);
    }
    if (m.empty()) throw error(errc::format, "GGUF file has no '*.in_sum2' tensors: not an imatrix", {path.string(), {}, {}});
    return m;
}

// Either format, told apart by the GGUF magic.
inline imatrix_map load_imatrix(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(errc::io, "cannot open imatrix file", {path.string(), {}, {}});
    char magic[4] = {};
    in.read(magic, 4);
    if (in && std::memcmp(magic, "GGUF", 4) == 0) return load_imatrix_gguf(path);
    return load_imatrix_dat(path);
}

} // namespace qforge::tools
