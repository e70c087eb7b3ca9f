// qforge/core/error.hpp: the one exception type of the library. Its message names what was wrong and where
// (file, tensor, byte offset), so that a user never has to guess which of their inputs was bad.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace qforge {

enum class errc {
    io,              // a file could not be opened, mapped, read or written
    format,          // bytes do not follow the format (bad magic, truncated, lying counts, bad offsets)
    unsupported,     // valid input that this build does not handle (version, tensor type)
    shape,           // shapes that do not fit together
    type,            // a value of the wrong type (metadata lookup, tensor type)
    missing,         // a key, tensor or file that is not there
    invalid_argument // a bad argument to an API call
};

inline constexpr std::string_view to_string(errc e) noexcept {
    switch (e) {
    case errc::io: return "I/O error";
    case errc::format: return "format error";
    case errc::unsupported: return "unsupported";
    case errc::shape: return "shape error";
    case errc::type: return "type error";
    case errc::missing: return "not found";
    case errc::invalid_argument: return "invalid argument";
    }
    return "error";
}

// Where an error happened. Every field is optional; what() prints those that are set.
struct error_location {
    std::string file;
    std::string tensor;
    std::optional<std::uint64_t> offset;
};

class error : public std::runtime_error {
public:
    error(errc code, std::string message, error_location where = {})
        : std::runtime_error(compose(code, message, where)), code_(code), message_(std::move(message)),
          where_(std::move(where)) {}

    errc code() const noexcept { return code_; }
    const std::string& message() const noexcept { return message_; }
    const error_location& where() const noexcept { return where_; }

private:
    static std::string compose(errc code, const std::string& message, const error_location& where) {
        std::string s;
        if (!where.file.empty()) s += where.file + ": ";
        if (!where.tensor.empty()) s += "tensor '" + where.tensor + "': ";
        if (where.offset) s += "at byte " + std::to_string(*where.offset) + ": ";
        s += std::string(to_string(code)) + ": " + message;
        return s;
    }

    errc code_;
    std::string message_;
    error_location where_;
};

// Throws qforge::error(code, message) unless cond holds. For argument and shape checks at API boundaries.
inline void require(bool cond, errc code, std::string_view message) {
    if (!cond) [[unlikely]]
        throw error(code, std::string(message));
}

} // namespace qforge
