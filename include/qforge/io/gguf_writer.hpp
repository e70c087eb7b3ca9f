// qforge/io/gguf_writer.hpp: writes GGUF v3 (little-endian): metadata of every type, tensors padded to the
// alignment. What it writes, gguf::open reads back identically, and so does the reference gguf-py reader.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/core/ggml_type.hpp"
#include "qforge/io/gguf_types.hpp"

namespace qforge::gguf {

class writer {
public:
    writer() = default;

    // Adds one metadata entry (kept in insertion order). A duplicate key is an error. Setting
    // "general.alignment" (UINT32, a power of two) changes the tensor alignment.
    writer& add(std::string key, value v) {
        require(!key.empty(), errc::invalid_argument, "gguf writer: empty metadata key");
        if (index_.count(key))
            throw error(errc::invalid_argument, "gguf writer: duplicate metadata key '" + key + "'");
        if (key == "general.alignment") {
            if (!v.holds<std::uint32_t>())
                throw error(errc::type, "gguf writer: general.alignment must be UINT32, got " + type_name(v));
            const std::uint32_t a = v.as<std::uint32_t>();
            require(a != 0 && std::has_single_bit(a), errc::invalid_argument,
                    "gguf writer: general.alignment must be a power of two");
            alignment_ = a;
        }
        index_.emplace(key, metadata_.size());
        metadata_.emplace_back(std::move(key), std::move(v));
        return *this;
    }

    // Adds a tensor: extents ne[0] first (as GGUF stores them), type, and exactly the tensor's bytes (copied).
    writer& add_tensor(std::string name, ggml_type type, std::span<const std::uint64_t> ne,
                       std::span<const std::byte> bytes) {
        const error_location where{{}, name, {}};
        if (name.empty()) throw error(errc::invalid_argument, "gguf writer: empty tensor name");
        if (tensor_index_.count(name)) throw error(errc::invalid_argument, "gguf writer: duplicate tensor name", where);
        if (ne.empty() || ne.size() > max_dims)
            throw error(errc::shape, "gguf writer: 1 to 4 extents required", where);
        const auto ti = ggml_type_info(static_cast<std::uint32_t>(type));
        if (ti.block_size == 0) throw error(errc::unsupported, "gguf writer: unknown ggml type", where);
        std::uint64_t n = 1;
        for (const auto e : ne) {
            if (e == 0) throw error(errc::shape, "gguf writer: zero extent", where);
            if (__builtin_mul_overflow(n, e, &n)) throw error(errc::shape, "gguf writer: element count overflows", where);
        }
        if (ne[0] % ti.block_size != 0)
            throw error(errc::shape, "gguf writer: ne[0] is not a multiple of the block size", where);
        const std::uint64_t expect = n / ti.block_size * ti.block_bytes;
        if (bytes.size() != expect)
            throw error(errc::shape, "gguf writer: " + std::to_string(bytes.size()) + " bytes given, the shape needs " +
                                         std::to_string(expect), where);
        tensor t{std::move(name), type, {ne.begin(), ne.end()}, {bytes.begin(), bytes.end()}};
        tensor_index_.emplace(t.name, tensors_.size());
        tensors_.push_back(std::move(t));
        return *this;
    }

    // Convenience for f32 (and other element-typed) data: the bytes of `values`.
    template <class T>
        requires std::is_trivially_copyable_v<T>
    writer& add_tensor(std::string name, ggml_type type, std::span<const std::uint64_t> ne, std::span<const T> values) {
        return add_tensor(std::move(name), type, ne, std::as_bytes(values));
    }

    std::uint32_t alignment() const noexcept { return alignment_; }

    // The whole file.
    std::vector<std::byte> to_bytes() const {
        std::vector<std::byte> out;
        put<std::uint32_t>(out, magic);
        put<std::uint32_t>(out, 3);
        put<std::uint64_t>(out, tensors_.size());
        put<std::uint64_t>(out, metadata_.size());
        for (const auto& [key, v] : metadata_) {
            put_string(out, key);
            put<std::uint32_t>(out, static_cast<std::uint32_t>(v.type()));
            put_value(out, v);
        }
        std::uint64_t offset = 0;
        for (const tensor& t : tensors_) {
            put_string(out, t.name);
            put<std::uint32_t>(out, static_cast<std::uint32_t>(t.ne.size()));
            for (const auto e : t.ne) put<std::uint64_t>(out, e);
            put<std::uint32_t>(out, static_cast<std::uint32_t>(t.type));
            put<std::uint64_t>(out, offset);
            offset = pad(offset + t.data.size());
        }
        out.resize(pad(out.size()));
        for (const tensor& t : tensors_) {
            out.insert(out.end(), t.data.begin(), t.data.end());
            out.resize(pad(out.size()));
        }
        return out;
    }

    void write(const std::filesystem::path& path) const {
        const auto bytes = to_bytes();
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        if (!f) throw error(errc::io, "cannot create file", {path.string(), {}, {}});
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        f.close();
        if (!f) throw error(errc::io, "write failed", {path.string(), {}, {}});
    }

private:
    struct tensor {
        std::string name;
        ggml_type type;
        std::vector<std::uint64_t> ne;
        std::vector<std::byte> data;
    };

    std::uint64_t pad(std::uint64_t n) const { return (n + alignment_ - 1) / alignment_ * alignment_; }

    template <class T> static void put(std::vector<std::byte>& out, T v) {
        static_assert(std::endian::native == std::endian::little, "the GGUF writer assumes a little-endian host");
        const auto at = out.size();
        out.resize(at + sizeof(T));
        std::memcpy(out.data() + at, &v, sizeof(T));
    }
    static void put_string(std::vector<std::byte>& out, std::string_view s) {
        put<std::uint64_t>(out, s.size());
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        out.insert(out.end(), p, p + s.size());
    }
    template <class T> static void put_item(std::vector<std::byte>& out, const T& v) {
        if constexpr (std::is_same_v<T, std::string>) put_string(out, v);
        else if constexpr (std::is_same_v<T, bool>) put<std::uint8_t>(out, v ? 1 : 0);
        else if constexpr (std::is_same_v<T, array>) put_array(out, v);
        else put<T>(out, v);
    }
    static void put_array(std::vector<std::byte>& out, const array& a) {
        put<std::uint32_t>(out, static_cast<std::uint32_t>(a.element_type()));
        put<std::uint64_t>(out, a.size());
        std::visit(
            [&](const auto& items) {
                using item_type = typename std::decay_t<decltype(items)>::value_type;
                for (const auto& item : items) put_item<item_type>(out, item); // (vector<bool> yields proxies)
            },
            a.data());
    }
    static void put_value(std::vector<std::byte>& out, const value& v) {
        std::visit([&](const auto& x) { put_item(out, x); }, v.data());
    }

    std::uint32_t alignment_ = default_alignment;
    std::vector<std::pair<std::string, value>> metadata_;
    std::map<std::string, std::size_t, std::less<>> index_;
    std::vector<tensor> tensors_;
    std::map<std::string, std::size_t, std::less<>> tensor_index_;
};

} // namespace qforge::gguf

namespace qforge {
using gguf_writer = gguf::writer;
} // namespace qforge
