// qforge/io/gguf.hpp: the GGUF reader. `gguf::open(path)` memory-maps a file, validates all of it up front
// (header, metadata, tensor infos, alignment, tensor extents) and then hands out zero-copy spans of the tensor
// bytes. Every defect of a hostile or damaged file is a qforge::error naming the file, the tensor and the byte
// offset; nothing past validation can read out of bounds. docs/gguf.md lists the rules.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "qforge/core/error.hpp"
#include "qforge/core/ggml_type.hpp"
#include "qforge/io/gguf_types.hpp"
#include "qforge/io/mmap.hpp"

namespace qforge::gguf {

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

// Bounds that keep a hostile file from asking for absurd work. Counts are also bounded by the bytes left in
// the file (each element needs at least its minimal encoding), which bounds memory by a small multiple of
// the file size.
struct limits {
    static constexpr std::uint32_t max_array_depth = 8;         // ARRAY of ARRAY of ... at most 8 levels
    static constexpr std::uint64_t max_key_bytes = 65535;        // GGUF spec: keys are at most 2^16-1 bytes
    static constexpr std::uint64_t max_tensor_name_bytes = 63;   // GGML_MAX_NAME (64) including the NUL
    static constexpr std::uint64_t max_tensors = 1u << 24;
    static constexpr std::uint64_t max_metadata = 1u << 24;
    static constexpr std::uint64_t max_alignment = 1u << 30;
    // ggml stores sizes and extents as int64: anything larger cannot be a ggml tensor.
    static constexpr std::uint64_t max_extent = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
};

// One tensor as the file describes it, plus its validated bytes.
struct tensor_info {
    std::string name;
    std::uint32_t type_id = 0;                 // ggml type id as stored (validated: a known type)
    std::uint32_t n_dims = 0;                  // 1..4
    std::array<std::uint64_t, max_dims> ne{1, 1, 1, 1}; // extents, ne[0] first (the contiguous one), 1-padded
    std::uint64_t offset = 0;                  // as stored: relative to the start of the data section
    std::uint64_t file_offset = 0;             // absolute byte offset in the file
    std::uint64_t n_elements = 0;
    std::uint64_t n_bytes = 0;
    std::uint64_t info_offset = 0;             // where this tensor's info record starts in the file
    std::span<const std::byte> data;           // n_bytes bytes, zero-copy into the file

    ggml_type type() const noexcept { return static_cast<ggml_type>(type_id); }
    std::string_view type_name() const noexcept { return ggml_type_info(type_id).name; }
    std::span<const std::uint64_t> dims() const noexcept { return {ne.data(), n_dims}; }
    std::uint64_t n_rows() const noexcept { return n_elements / ne[0]; }
    std::uint64_t row_bytes() const noexcept { return n_rows() ? n_bytes / n_rows() : 0; }
};

class file;

namespace detail {

// Built by appends: GCC 12's -Wrestrict misfires on "'" + std::string(s) + "'" at -O3 (GCC bug 105329).
inline std::string quoted(std::string_view s) {
    std::string r;
    r.reserve(s.size() + 2);
    r += '\'';
    r += s;
    r += '\'';
    return r;
}

// A bounds-checked cursor over the file's bytes. Every read checks the bytes left first; errors carry the
// offset where the read started.
class cursor {
public:
    cursor(std::span<const std::byte> bytes, const std::string& name) : bytes_(bytes), name_(name) {}

    std::uint64_t pos() const noexcept { return pos_; }
    std::uint64_t left() const noexcept { return bytes_.size() - pos_; }

    [[noreturn]] void fail(errc code, const std::string& message, std::uint64_t at,
                           const std::string& tensor = {}) const {
        throw error(code, message, {name_, tensor, at});
    }

    void need(std::uint64_t n, std::string_view what) const {
        if (n > left())
            fail(errc::format,
                 "truncated: " + std::string(what) + " needs " + std::to_string(n) + " bytes, only " +
                     std::to_string(left()) + " left in the file",
                 pos_);
    }

    template <class T> T read(std::string_view what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }

    // A GGUF string: uint64 length, then that many bytes (not NUL-terminated).
    std::string read_string(std::string_view what) {
        const std::uint64_t at = pos_;
        const auto n = read<std::uint64_t>(what);
        if (n > left())
            fail(errc::format,
                 std::string(what) + " length " + std::to_string(n) + " is larger than the " +
                     std::to_string(left()) + " bytes left in the file",
                 at);
        std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<std::size_t>(n));
        pos_ += n;
        return s;
    }

    // A count of items that each need at least `min_item_bytes` bytes: larger than the file can hold is a lie.
    void check_count(std::uint64_t count, std::uint64_t min_item_bytes, std::uint64_t cap, std::string_view what,
                     std::uint64_t at) const {
        if (count > cap)
            fail(errc::format, std::string(what) + " " + std::to_string(count) + " exceeds the limit of " +
                                   std::to_string(cap), at);
        if (count > left() / min_item_bytes)
            fail(errc::format,
                 std::string(what) + " " + std::to_string(count) + " is larger than the file can hold (" +
                     std::to_string(left()) + " bytes left, at least " + std::to_string(min_item_bytes) +
                     " bytes each)",
                 at);
    }

    const std::byte* here() const noexcept { return bytes_.data() + pos_; }
    void skip(std::uint64_t n) noexcept { pos_ += n; }
    const std::string& name() const noexcept { return name_; }

private:
    std::span<const std::byte> bytes_;
    const std::string& name_;
    std::uint64_t pos_ = 0;
};

// Calls f(std::type_identity<T>{}) with T the C++ type of scalar or string type t (not array).
template <class F> decltype(auto) with_scalar_type(value_type t, F&& f) {
    switch (t) {
    case value_type::uint8: return f(std::type_identity<std::uint8_t>{});
    case value_type::int8: return f(std::type_identity<std::int8_t>{});
    case value_type::uint16: return f(std::type_identity<std::uint16_t>{});
    case value_type::int16: return f(std::type_identity<std::int16_t>{});
    case value_type::uint32: return f(std::type_identity<std::uint32_t>{});
    case value_type::int32: return f(std::type_identity<std::int32_t>{});
    case value_type::float32: return f(std::type_identity<float>{});
    case value_type::boolean: return f(std::type_identity<bool>{});
    case value_type::uint64: return f(std::type_identity<std::uint64_t>{});
    case value_type::int64: return f(std::type_identity<std::int64_t>{});
    case value_type::float64: return f(std::type_identity<double>{});
    case value_type::string: case value_type::array: break;
    }
    return f(std::type_identity<std::string>{});
}

inline value_type read_type(cursor& c, std::string_view key, std::string_view what) {
    const std::uint64_t at = c.pos();
    const auto t = c.read<std::uint32_t>(what);
    if (t >= value_type_count)
        c.fail(errc::format, "metadata key " + quoted(key) + ": unknown value type " + std::to_string(t), at);
    return static_cast<value_type>(t);
}

template <class T> T read_scalar(cursor& c, std::string_view key) {
    if constexpr (std::is_same_v<T, std::string>) {
        return c.read_string("string value of " + quoted(key));
    } else if constexpr (std::is_same_v<T, bool>) {
        const std::uint64_t at = c.pos();
        const auto b = c.read<std::uint8_t>("BOOL value");
        // Only 0 and 1 are bools; anything else is damage (and loading it into a bool would be UB).
        if (b > 1)
            c.fail(errc::format, "metadata key " + quoted(key) + ": BOOL value is " + std::to_string(b) +
                                     ", not 0 or 1", at);
        return b != 0;
    } else {
        return c.read<T>("value of " + quoted(key));
    }
}

inline array read_array(cursor& c, std::string_view key, std::uint32_t depth);

// Element body of an array of type t with `count` elements (type and count already read).
inline array read_array_items(cursor& c, std::string_view key, value_type t, std::uint64_t count,
                              std::uint64_t count_at, std::uint32_t depth) {
    if (t == value_type::array) {
        if (depth + 1 >= limits::max_array_depth)
            c.fail(errc::format, "metadata key " + quoted(key) + ": arrays nested deeper than " +
                                     std::to_string(limits::max_array_depth) + " levels", count_at);
        c.check_count(count, 12, limits::max_metadata, "array element count of " + quoted(key), count_at);
        std::vector<array> items;
        items.reserve(static_cast<std::size_t>(count));
        for (std::uint64_t i = 0; i < count; ++i) items.push_back(read_array(c, key, depth + 1));
        return array(std::move(items));
    }
    return with_scalar_type(t, [&]<class T>(std::type_identity<T>) {
        std::vector<T> items;
        if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>) {
            c.check_count(count, std::is_same_v<T, bool> ? 1 : 8, std::numeric_limits<std::uint64_t>::max(),
                          "array element count of " + quoted(key), count_at);
            items.reserve(static_cast<std::size_t>(count));
            for (std::uint64_t i = 0; i < count; ++i) items.push_back(read_scalar<T>(c, key));
        } else {
            c.check_count(count, sizeof(T), std::numeric_limits<std::uint64_t>::max(),
                          "array element count of " + quoted(key), count_at);
            items.resize(static_cast<std::size_t>(count));
            if (count) std::memcpy(items.data(), c.here(), static_cast<std::size_t>(count) * sizeof(T));
            c.skip(count * sizeof(T));
        }
        return array(std::move(items));
    });
}

inline array read_array(cursor& c, std::string_view key, std::uint32_t depth) {
    const value_type t = read_type(c, key, "array element type");
    const std::uint64_t count_at = c.pos();
    const auto count = c.read<std::uint64_t>("array element count");
    return read_array_items(c, key, t, count, count_at, depth);
}

inline value read_value(cursor& c, std::string_view key, value_type t) {
    if (t == value_type::array) return value(read_array(c, key, 0));
    return with_scalar_type(t, [&]<class T>(std::type_identity<T>) { return value(read_scalar<T>(c, key)); });
}

// How get<T> and find<T> see a stored value: which C++ types a lookup may ask for and what they return.
template <class T> struct lookup;

template <Element T> struct lookup<T> {
    static bool matches(const value& v) { return v.holds<T>(); }
    static std::string expected() {
        if constexpr (std::is_same_v<T, array>) return "ARRAY";
        else return std::string(to_string(value_type_of<T>));
    }
    static T get(const value& v) { return v.as<T>(); }
};
template <> struct lookup<std::string_view> {
    static bool matches(const value& v) { return v.holds<std::string>(); }
    static std::string expected() { return "STRING"; }
    static std::string_view get(const value& v) { return v.as<std::string>(); }
};
template <Element E> struct lookup<std::vector<E>> {
    static bool matches(const value& v) { return v.holds<array>() && v.as<array>().holds<E>(); }
    static std::string expected() { return "ARRAY[" + lookup<E>::expected() + "]"; }
    static std::vector<E> get(const value& v) { return v.as<array>().items<E>(); }
};
template <Element E>
    requires(!std::is_same_v<E, bool>) // std::vector<bool> has no contiguous storage
struct lookup<std::span<const E>> {
    static bool matches(const value& v) { return v.holds<array>() && v.as<array>().holds<E>(); }
    static std::string expected() { return "ARRAY[" + lookup<E>::expected() + "]"; }
    static std::span<const E> get(const value& v) { return v.as<array>().items<E>(); }
};

template <class T>
concept Lookup = requires(const value& v) {
    { lookup<T>::matches(v) } -> std::same_as<bool>;
    { lookup<T>::get(v) } -> std::same_as<T>;
};

} // namespace detail

// A parsed, validated GGUF file. Holds the bytes (a memory map, an owned buffer, or a caller's buffer) and
// the parsed metadata and tensor infos. Copies share the bytes.
class file {
public:
    // Memory-maps and validates `path`.
    static file open(const std::filesystem::path& path) {
        auto map = std::make_shared<mapped_file>(path);
        const auto bytes = map->bytes();
        file f(std::move(map), bytes, path.string());
        f.mapped_ = true;
        return f;
    }

    // Validates bytes the caller owns; they must outlive the file (and its tensors' spans).
    static file parse(std::span<const std::byte> bytes, std::string name = "<memory>") {
        return file(nullptr, bytes, std::move(name));
    }

    // Takes ownership of a buffer.
    static file parse(std::vector<std::byte> bytes, std::string name = "<memory>") {
        auto owner = std::make_shared<std::vector<std::byte>>(std::move(bytes));
        const std::span<const std::byte> view(*owner);
        return file(std::move(owner), view, std::move(name));
    }

    const std::string& name() const noexcept { return name_; }
    std::uint32_t version() const noexcept { return version_; }
    // Whether the bytes are a read-only memory map of the file (open()), not a buffer (parse()).
    bool memory_mapped() const noexcept { return mapped_; }
    std::uint32_t alignment() const noexcept { return alignment_; }
    std::uint64_t data_offset() const noexcept { return data_offset_; } // start of the tensor data section
    std::span<const std::byte> bytes() const noexcept { return bytes_; }

    // ---- metadata ----
    // Every key/value pair, in file order.
    const std::vector<std::pair<std::string, value>>& metadata() const noexcept { return metadata_; }
    bool contains(std::string_view key) const { return index_.find(key) != index_.end(); }
    const value* find_value(std::string_view key) const {
        const auto it = index_.find(key);
        return it == index_.end() ? nullptr : &metadata_[it->second].second;
    }
    const value& at(std::string_view key) const {
        if (const value* v = find_value(key)) return *v;
        throw error(errc::missing, "metadata key " + detail::quoted(key) + " not found", {name_, {}, {}});
    }

    // The value of `key` as T: a scalar type (std::uint32_t, float, bool, ...), std::string,
    // std::string_view, gguf::array, std::vector<E> or std::span<const E> of an array of E.
    // The type must match exactly (no conversions): a missing key or a wrong type is a qforge::error.
    template <detail::Lookup T> T get(std::string_view key) const { return checked<T>(key, at(key)); }

    // Like get<T>, but std::nullopt when the key is absent (a wrong type is still an error).
    template <detail::Lookup T> std::optional<T> find(std::string_view key) const {
        const value* v = find_value(key);
        if (!v) return std::nullopt;
        return checked<T>(key, *v);
    }

    // ---- tensors ----
    std::span<const tensor_info> tensors() const noexcept { return tensors_; }
    const tensor_info* find_tensor(std::string_view tensor_name) const {
        const auto it = tensor_index_.find(tensor_name);
        return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
    }
    const tensor_info& tensor(std::string_view tensor_name) const {
        if (const tensor_info* t = find_tensor(tensor_name)) return *t;
        throw error(errc::missing, "tensor not found", {name_, std::string(tensor_name), {}});
    }

private:
    file(std::shared_ptr<const void> owner, std::span<const std::byte> bytes, std::string name)
        : owner_(std::move(owner)), bytes_(bytes), name_(std::move(name)) {
        parse_all();
    }

    template <class T> T checked(std::string_view key, const value& v) const {
        if (!detail::lookup<T>::matches(v))
            throw error(errc::type,
                        "metadata key " + detail::quoted(key) + " has type " + type_name(v) + ", expected " +
                            detail::lookup<T>::expected(),
                        {name_, {}, {}});
        return detail::lookup<T>::get(v);
    }

    void parse_all() {
        detail::cursor c(bytes_, name_);
        parse_header(c);
        parse_metadata(c);
        parse_alignment(c);
        parse_tensor_infos(c);
        place_tensors(c);
    }

    void parse_header(detail::cursor& c) {
        const auto m = c.read<std::uint32_t>("magic");
        if (m != magic) {
            char shown[5] = {};
            std::memcpy(shown, &m, 4);
            for (char& ch : shown)
                if (ch && (ch < 0x20 || ch > 0x7e)) ch = '?';
            c.fail(errc::format, "bad magic '" + std::string(shown) + "' (not a GGUF file)", 0);
        }
        version_ = c.read<std::uint32_t>("version");
        if (version_ != 2 && version_ != 3) {
            const std::uint32_t swapped = ((version_ & 0xffu) << 24) | ((version_ & 0xff00u) << 8) |
                                          ((version_ >> 8) & 0xff00u) | (version_ >> 24);
            std::string why;
            if (version_ == 1)
                why = "GGUF version 1 is not supported (it stored 32-bit counts); only versions 2 and 3 are";
            else if ((version_ & 0xffffu) == 0 && swapped >= 1 && swapped <= 3)
                why = "big-endian GGUF (version " + std::to_string(swapped) +
                      " byte-swapped) is not supported; only little-endian files are";
            else
                why = "GGUF version " + std::to_string(version_) + " is not supported; only versions 2 and 3 are";
            c.fail(errc::unsupported, why, 4);
        }
        // Versions 2 and 3 share one little-endian layout (3 only added big-endian files): uint64 counts.
        n_tensors_at_ = c.pos();
        n_tensors_ = c.read<std::uint64_t>("tensor count");
        n_kv_at_ = c.pos();
        n_kv_ = c.read<std::uint64_t>("metadata count");
    }

    void parse_metadata(detail::cursor& c) {
        // Smallest key/value: 8 (key length) + 1 (key) + 4 (type) + 1 (UINT8 value).
        c.check_count(n_kv_, 14, limits::max_metadata, "metadata count", n_kv_at_);
        metadata_.reserve(static_cast<std::size_t>(n_kv_));
        for (std::uint64_t i = 0; i < n_kv_; ++i) {
            const std::uint64_t at = c.pos();
            std::string key = c.read_string("metadata key");
            if (key.empty()) c.fail(errc::format, "empty metadata key (metadata entry " + std::to_string(i) + ")", at);
            if (key.size() > limits::max_key_bytes)
                c.fail(errc::format, "metadata key of " + std::to_string(key.size()) + " bytes exceeds the limit of " +
                                         std::to_string(limits::max_key_bytes), at);
            if (contains(key)) c.fail(errc::format, "duplicate metadata key " + detail::quoted(key), at);
            const value_type t = detail::read_type(c, key, "value type");
            if (key == "general.alignment") alignment_at_ = at;
            value v = detail::read_value(c, key, t);
            index_.emplace(key, metadata_.size());
            metadata_.emplace_back(std::move(key), std::move(v));
        }
    }

    void parse_alignment(detail::cursor& c) {
        const value* v = find_value("general.alignment");
        if (!v) return;
        if (!v->holds<std::uint32_t>())
            c.fail(errc::format, "general.alignment has type " + type_name(*v) + ", expected UINT32", alignment_at_);
        const std::uint32_t a = v->as<std::uint32_t>();
        if (a == 0 || !std::has_single_bit(a) || a > limits::max_alignment)
            c.fail(errc::format, "general.alignment " + std::to_string(a) +
                                     " is not a power of two between 1 and 2^30", alignment_at_);
        alignment_ = a;
    }

    void parse_tensor_infos(detail::cursor& c) {
        // Smallest tensor info: 8 (name length) + 1 (name) + 4 (n_dims) + 8 (one extent) + 4 (type) + 8 (offset).
        c.check_count(n_tensors_, 33, limits::max_tensors, "tensor count", n_tensors_at_);
        tensors_.reserve(static_cast<std::size_t>(n_tensors_));
        for (std::uint64_t i = 0; i < n_tensors_; ++i) {
            tensor_info t;
            t.info_offset = c.pos();
            t.name = c.read_string("tensor name");
            if (t.name.empty())
                c.fail(errc::format, "empty tensor name (tensor " + std::to_string(i) + ")", t.info_offset);
            if (t.name.size() > limits::max_tensor_name_bytes)
                c.fail(errc::format, "tensor name of " + std::to_string(t.name.size()) +
                                         " bytes exceeds ggml's limit of " +
                                         std::to_string(limits::max_tensor_name_bytes),
                       t.info_offset, t.name);
            if (tensor_index_.count(t.name))
                c.fail(errc::format, "duplicate tensor name", t.info_offset, t.name);
            const std::uint64_t dims_at = c.pos();
            t.n_dims = c.read<std::uint32_t>("tensor dimension count");
            if (t.n_dims < 1 || t.n_dims > max_dims)
                c.fail(errc::format, "dimension count " + std::to_string(t.n_dims) + " is not between 1 and " +
                                         std::to_string(max_dims), dims_at, t.name);
            for (std::uint32_t d = 0; d < t.n_dims; ++d) {
                const std::uint64_t at = c.pos();
                t.ne[d] = c.read<std::uint64_t>("tensor extent");
                if (t.ne[d] == 0 || t.ne[d] > limits::max_extent)
                    c.fail(errc::format, "extent ne[" + std::to_string(d) + "] = " + std::to_string(t.ne[d]) +
                                             " is not between 1 and 2^63-1", at, t.name);
            }
            const std::uint64_t type_at = c.pos();
            t.type_id = c.read<std::uint32_t>("tensor type");
            const auto ti = ggml_type_info(t.type_id);
            if (ti.block_size == 0)
                c.fail(errc::unsupported, "unknown ggml type id " + std::to_string(t.type_id), type_at, t.name);
            const std::uint64_t off_at = c.pos();
            t.offset = c.read<std::uint64_t>("tensor data offset");
            size_tensor(c, t, ti, dims_at);
            if (t.offset % alignment_ != 0)
                c.fail(errc::format, "data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                                         std::to_string(alignment_), off_at, t.name);
            tensor_index_.emplace(t.name, tensors_.size());
            tensors_.push_back(std::move(t));
        }
    }

    // Element count and byte size, refusing any product that overflows int64 (ggml's size type).
    static void size_tensor(detail::cursor& c, tensor_info& t, const ggml_type_traits& ti, std::uint64_t dims_at) {
        std::uint64_t elems = 1;
        for (std::uint32_t d = 0; d < t.n_dims; ++d)
            if (__builtin_mul_overflow(elems, t.ne[d], &elems) || elems > limits::max_extent)
                c.fail(errc::format, "element count (product of the extents) overflows", dims_at, t.name);
        if (t.ne[0] % ti.block_size != 0)
            c.fail(errc::format, "row length ne[0] = " + std::to_string(t.ne[0]) + " is not a multiple of " +
                                     std::string(ti.name) + "'s block size " + std::to_string(ti.block_size),
                   dims_at, t.name);
        std::uint64_t bytes = t.ne[0] / ti.block_size;
        bool overflow = __builtin_mul_overflow(bytes, std::uint64_t{ti.block_bytes}, &bytes);
        for (std::uint32_t d = 1; d < t.n_dims && !overflow; ++d) overflow = __builtin_mul_overflow(bytes, t.ne[d], &bytes);
        if (overflow || bytes > limits::max_extent)
            c.fail(errc::format, "byte size overflows", dims_at, t.name);
        t.n_elements = elems;
        t.n_bytes = bytes;
    }

    void place_tensors(detail::cursor& c) {
        const std::uint64_t end_of_infos = c.pos();
        const std::uint64_t size = bytes_.size();
        // end_of_infos <= size and alignment <= 2^30: no overflow.
        data_offset_ = (end_of_infos + alignment_ - 1) / alignment_ * alignment_;
        if (tensors_.empty()) return; // the data section (and the padding before it) may be absent
        if (data_offset_ > size)
            c.fail(errc::format, "truncated: the tensor data section would start at byte " +
                                     std::to_string(data_offset_) + ", past the end of the file (" +
                                     std::to_string(size) + " bytes)", end_of_infos);
        const std::uint64_t data_size = size - data_offset_;
        for (tensor_info& t : tensors_) {
            if (t.offset > data_size || t.n_bytes > data_size - t.offset)
                c.fail(errc::format, "data [" + std::to_string(t.offset) + ", +" + std::to_string(t.n_bytes) +
                                         ") of the data section extends past the end of the file (the data section has " +
                                         std::to_string(data_size) + " bytes)",
                       t.info_offset, t.name);
            t.file_offset = data_offset_ + t.offset;
            t.data = bytes_.subspan(static_cast<std::size_t>(t.file_offset), static_cast<std::size_t>(t.n_bytes));
        }
        std::vector<std::size_t> order(tensors_.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return tensors_[a].offset < tensors_[b].offset; });
        for (std::size_t i = 1; i < order.size(); ++i) {
            const tensor_info& prev = tensors_[order[i - 1]];
            const tensor_info& cur = tensors_[order[i]];
            if (prev.offset + prev.n_bytes > cur.offset)
                c.fail(errc::format, "data [" + std::to_string(cur.offset) + ", " +
                                         std::to_string(cur.offset + cur.n_bytes) + ") overlaps tensor '" +
                                         prev.name + "' [" + std::to_string(prev.offset) + ", " +
                                         std::to_string(prev.offset + prev.n_bytes) + ")",
                       cur.info_offset, cur.name);
        }
    }

    std::shared_ptr<const void> owner_;
    bool mapped_ = false;
    std::span<const std::byte> bytes_;
    std::string name_;
    std::uint32_t version_ = 0;
    std::uint32_t alignment_ = default_alignment;
    std::uint64_t n_tensors_ = 0, n_kv_ = 0, n_tensors_at_ = 0, n_kv_at_ = 0;
    std::uint64_t data_offset_ = 0;
    std::uint64_t alignment_at_ = 0; // where the general.alignment entry starts
    std::vector<std::pair<std::string, value>> metadata_;
    std::map<std::string, std::size_t, std::less<>> index_;
    std::vector<tensor_info> tensors_;
    std::map<std::string, std::size_t, std::less<>> tensor_index_;
};

// Memory-maps and validates a GGUF file.
inline file open(const std::filesystem::path& path) { return file::open(path); }

} // namespace qforge::gguf

namespace qforge {
using gguf_file = gguf::file;
} // namespace qforge
