// qforge/io/mmap.hpp: a read-only memory-mapped file (POSIX mmap). Model weights are used in place from the
// page cache, so opening a multi-gigabyte model costs no copy and no heap.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qforge/core/error.hpp"

namespace qforge {

// Owns one read-only mapping of a whole file. Move-only; the mapping lives until destruction.
class mapped_file {
public:
    mapped_file() = default;

    // Maps `path`. Throws qforge::error: errc::missing (no such file), errc::io (a directory, not a regular
    // file, no permission, mmap failure), errc::format (empty file: there is nothing to map).
    explicit mapped_file(const std::filesystem::path& path) : path_(path.string()) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            const int e = errno;
            if (e == ENOENT) throw error(errc::missing, "no such file", {path_, {}, {}});
            throw error(errc::io, std::string("cannot open: ") + std::strerror(e), {path_, {}, {}});
        }
        // The descriptor is not needed once the mapping exists (or failed): close it on every path.
        struct closer {
            int fd;
            ~closer() { ::close(fd); }
        } guard{fd};
        struct stat st {};
        if (::fstat(fd, &st) != 0)
            throw error(errc::io, std::string("cannot stat: ") + std::strerror(errno), {path_, {}, {}});
        if (S_ISDIR(st.st_mode)) throw error(errc::io, "is a directory, not a file", {path_, {}, {}});
        if (!S_ISREG(st.st_mode)) throw error(errc::io, "not a regular file", {path_, {}, {}});
        if (st.st_size == 0) throw error(errc::format, "file is empty", {path_, {}, {}});
        size_ = static_cast<std::size_t>(st.st_size);
        void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
            throw error(errc::io, std::string("mmap failed: ") + std::strerror(errno), {path_, {}, {}});
        data_ = static_cast<const std::byte*>(p);
    }

    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    mapped_file(mapped_file&& o) noexcept
        : path_(std::move(o.path_)), data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    mapped_file& operator=(mapped_file&& o) noexcept {
        if (this != &o) {
            unmap();
            path_ = std::move(o.path_);
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
        }
        return *this;
    }
    ~mapped_file() { unmap(); }

    std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    const std::byte* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    const std::string& path() const noexcept { return path_; }

private:
    void unmap() noexcept {
        if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
        data_ = nullptr;
        size_ = 0;
    }

    std::string path_;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

// Drops the whole pages inside [p, p + n) of a read-only file mapping from this process's resident set
// (MADV_DONTNEED): for such a mapping the data is not lost, a later read faults it back in from the file. Only
// for memory that is a read-only file mapping (on an anonymous or written mapping it would discard data).
// Returns where the released range ends (the last page boundary inside the range), or p when no whole page
// was inside it: a caller releasing a growing range continues from there.
inline const std::byte* release_pages(const void* p, std::size_t n) noexcept {
    const long page = ::sysconf(_SC_PAGESIZE);
    const auto* start = static_cast<const std::byte*>(p);
    if (page <= 0 || n == 0) return start;
    const auto sz = static_cast<std::uintptr_t>(page);
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t b = (a + sz - 1) / sz * sz, e = (a + n) / sz * sz;
    if (e <= b) return start;
    ::madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);
    return start + (e - a);
}

// Drops every page that [p, p + n) touches, rounded outward to page boundaries, from this process's resident
// set (MADV_DONTNEED), for a small range whose neighbours are also file data: a caller that has copied a few
// bytes out of a read-only file mapping (nothing else can be lost there: any page reads back from the file).
inline void release_pages_around(const void* p, std::size_t n) noexcept {
    const long page = ::sysconf(_SC_PAGESIZE);
    if (page <= 0 || n == 0) return;
    const auto sz = static_cast<std::uintptr_t>(page);
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t b = a / sz * sz, e = (a + n + sz - 1) / sz * sz;
    ::madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);
}

} // namespace qforge
