// qforge/core/tensor.hpp: dense row-major tensors. tensor_view<T, Extents> is a non-owning view over any
// memory (an mmapped file, an arena, a tensor) with element strides; tensor<T, Extents> owns 64-byte aligned
// storage. Both have the shape in the type as far as it is known at compile time (core/extents.hpp), so a
// shape mismatch between static shapes fails to compile and one between dynamic shapes throws.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "qforge/core/concepts.hpp"
#include "qforge/core/error.hpp"
#include "qforge/core/extents.hpp"

namespace qforge {

// Alignment of tensor storage: a cache line, and enough for any AVX-512 load.
inline constexpr std::size_t tensor_alignment = 64;

// Tag: allocate a tensor without zeroing it (for outputs that are written before they are read).
struct uninitialized_t {
    explicit uninitialized_t() = default;
};
inline constexpr uninitialized_t uninitialized{};

namespace tensor_detail {

template <class>
inline constexpr bool always_false = false;

template <class E>
constexpr std::array<std::size_t, E::rank()> row_major_strides(const E& e) noexcept {
    std::array<std::size_t, E::rank()> s{};
    std::size_t step = 1;
    for (std::size_t i = E::rank(); i-- > 0;) {
        s[i] = step;
        step *= e.extent(i);
    }
    return s;
}

template <class E, class... I>
std::string index_string(const E& e, I... idx) {
    std::string s = "(";
    std::size_t k = 0;
    ((s += (k++ ? ", " : "") + std::to_string(idx)), ...);
    return s + ") is out of range for shape " + e.to_string();
}

// The pointer a view of T may be built from: a T*, or a const T* when T is const. Anything else is a misuse
// that should read as such, not as a failed pointer conversion.
template <class T, class U>
constexpr T* checked_pointer(U* p) noexcept {
    if constexpr (std::is_same_v<std::remove_const_t<U>, std::remove_const_t<T>> &&
                  (std::is_const_v<T> || !std::is_const_v<U>)) {
        return p;
    } else if constexpr (!std::is_same_v<std::remove_const_t<U>, std::remove_const_t<T>>) {
        static_assert(always_false<U>,
                      "qforge::tensor_view<T, Extents>: element type mismatch: the pointer does not point to T");
        return nullptr;
    } else {
        static_assert(always_false<U>,
                      "qforge::tensor_view<T, Extents>: read-only data needs a view of const T");
        return nullptr;
    }
}

} // namespace tensor_detail

template <class T, class Extents>
class tensor_view {
    static_assert(is_extents_v<Extents>, "qforge::tensor_view<T, Extents>: Extents must be a qforge::extents<...>");
    static_assert(TensorElement<std::remove_const_t<T>>,
                  "qforge::tensor_view<T, Extents>: T must be a trivially copyable object type (TensorElement)");

public:
    using element_type = T;
    using value_type = std::remove_cv_t<T>;
    using extents_type = Extents;
    using strides_type = std::array<std::size_t, Extents::rank()>;
    using row_type = std::span<T, (Extents::rank() > 0 ? Extents::static_extent(Extents::rank() - 1) : dynamic)>;

    static constexpr std::size_t rank() noexcept { return Extents::rank(); }

    constexpr tensor_view() noexcept = default;

    // Row-major over data.
    template <class U>
    constexpr tensor_view(U* data, const extents_type& ext) noexcept
        : data_(tensor_detail::checked_pointer<T>(data)), ext_(ext), strides_(tensor_detail::row_major_strides(ext)) {}

    // With explicit element strides (e.g. rows padded to an alignment): stride(i) elements between
    // neighbours along dimension i.
    template <class U>
    constexpr tensor_view(U* data, const extents_type& ext, const strides_type& strides) noexcept
        : data_(tensor_detail::checked_pointer<T>(data)), ext_(ext), strides_(strides) {}

    // Over a span that must hold exactly the elements of ext.
    template <class U, std::size_t N>
    constexpr tensor_view(std::span<U, N> s, const extents_type& ext) : tensor_view(s.data(), ext) {
        if (s.size() != ext.size())
            throw error(errc::shape, "tensor_view: a span of " + std::to_string(s.size()) +
                                         " elements cannot hold shape " + ext.to_string());
    }

    // Re-typed shape: a view with other (compatible) extents, checked like the extents conversion.
    template <class U, class E2>
        requires(!std::is_same_v<tensor_view<U, E2>, tensor_view>)
    constexpr explicit tensor_view(const tensor_view<U, E2>& other)
        : data_(tensor_detail::checked_pointer<T>(other.data())), ext_(other.extents()) {
        for (std::size_t i = 0; i < rank(); ++i) strides_[i] = other.stride(i);
    }

    // Over raw bytes (a file mapping, a buffer): exactly ext.size() elements, aligned for T. Read-only bytes
    // give a view of const T.
    template <class B, std::size_t N>
        requires std::is_same_v<std::remove_const_t<B>, std::byte>
    static tensor_view from_bytes(std::span<B, N> bytes, const extents_type& ext) {
        if constexpr (std::is_const_v<B> && !std::is_const_v<T>) {
            static_assert(tensor_detail::always_false<B>,
                          "qforge::tensor_view<T, Extents>::from_bytes: read-only bytes need a view of const T");
            return {};
        } else {
            if (bytes.size() / sizeof(T) != ext.size() || bytes.size() % sizeof(T) != 0)
                throw error(errc::shape, "tensor_view: " + std::to_string(bytes.size()) + " bytes do not hold shape " +
                                             ext.to_string() + " of " + std::to_string(sizeof(T)) + "-byte elements");
            const auto address = reinterpret_cast<std::uintptr_t>(bytes.data());
            if (address % alignof(T) != 0)
                throw error(errc::invalid_argument, "tensor_view: data at address " + std::to_string(address) +
                                                        " is not aligned to " + std::to_string(alignof(T)) + " bytes");
            // The bytes hold T objects (trivially copyable, so implicitly created by the mapping or the copy).
            return tensor_view(reinterpret_cast<T*>(bytes.data()), ext);
        }
    }

    constexpr operator tensor_view<const T, Extents>() const noexcept
        requires(!std::is_const_v<T>)
    {
        return tensor_view<const T, Extents>(data_, ext_, strides_);
    }

    constexpr T* data() const noexcept { return data_; }
    constexpr const extents_type& extents() const noexcept { return ext_; }
    constexpr std::size_t extent(std::size_t i) const noexcept { return ext_.extent(i); }
    constexpr std::size_t stride(std::size_t i) const noexcept { return strides_[i]; }
    constexpr const strides_type& strides() const noexcept { return strides_; }
    constexpr std::size_t size() const noexcept { return ext_.size(); }
    constexpr bool empty() const noexcept { return size() == 0; }
    // The bytes of the elements (what a contiguous view spans).
    constexpr std::size_t size_bytes() const noexcept { return size() * sizeof(T); }
    constexpr bool is_contiguous() const noexcept { return strides_ == tensor_detail::row_major_strides(ext_); }
    constexpr tensor_view view() const noexcept { return *this; }

    // Element access without a bounds check (the hot path); at() checks.
    template <std::integral... I>
        requires(sizeof...(I) == Extents::rank())
    constexpr T& operator()(I... idx) const noexcept {
        return data_[offset(idx...)];
    }

    template <std::integral... I>
        requires(sizeof...(I) == Extents::rank())
    constexpr T& at(I... idx) const {
        if (!ext_.contains(idx...))
            throw error(errc::invalid_argument, "tensor_view: index " + tensor_detail::index_string(ext_, idx...));
        return data_[offset(idx...)];
    }

    // The innermost dimension at the given outer indices, as a span (its extent static when the shape's is).
    template <std::integral... I>
        requires(Extents::rank() >= 1 && sizeof...(I) == Extents::rank() - 1)
    constexpr row_type row(I... idx) const {
        if (strides_[rank() - 1] != 1)
            throw error(errc::invalid_argument, "tensor_view: row() of a view whose innermost stride is " +
                                                    std::to_string(strides_[rank() - 1]) + ", not 1");
        return row_type(data_ + offset(idx..., 0), ext_.extent(rank() - 1));
    }

    // Every element as one span; the view must be contiguous.
    constexpr std::span<T> span() const {
        if (!is_contiguous())
            throw error(errc::invalid_argument, "tensor_view: span() of a non-contiguous view");
        return std::span<T>(data_, size());
    }

private:
    template <std::integral... I>
    constexpr std::size_t offset(I... idx) const noexcept {
        std::size_t off = 0, k = 0;
        ((off += static_cast<std::size_t>(idx) * strides_[k++]), ...);
        return off;
    }

    T* data_ = nullptr;
    extents_type ext_{};
    strides_type strides_{};
};

template <class U, class E>
tensor_view(U*, const E&) -> tensor_view<U, E>;
template <class U, class E>
tensor_view(U*, const E&, const std::array<std::size_t, E::rank()>&) -> tensor_view<U, E>;
template <class U, std::size_t N, class E>
tensor_view(std::span<U, N>, const E&) -> tensor_view<U, E>;

// An owning, row-major, contiguous tensor with 64-byte aligned storage. Zero-filled unless constructed with
// `uninitialized`. Copies are deep; moves steal the storage.
template <class T, class Extents>
class tensor {
    static_assert(is_extents_v<Extents>, "qforge::tensor<T, Extents>: Extents must be a qforge::extents<...>");
    static_assert(!std::is_const_v<T>, "qforge::tensor<T, Extents>: an owning tensor holds non-const T");
    static_assert(TensorElement<T>,
                  "qforge::tensor<T, Extents>: T must be a trivially copyable object type (TensorElement)");

public:
    using element_type = T;
    using value_type = T;
    using extents_type = Extents;
    using view_type = tensor_view<T, Extents>;
    using const_view_type = tensor_view<const T, Extents>;

    static constexpr std::size_t rank() noexcept { return Extents::rank(); }

    // The default shape: complete for a static shape, empty (dynamic extents 0) otherwise.
    tensor() : tensor(extents_type{}) {}
    explicit tensor(const extents_type& ext) : ext_(ext), data_(allocate(ext)) {
        std::uninitialized_value_construct_n(data_, size());
    }
    tensor(const extents_type& ext, uninitialized_t) : ext_(ext), data_(allocate(ext)) {
        std::uninitialized_default_construct_n(data_, size());
    }

    tensor(const tensor& o) : ext_(o.ext_), data_(allocate(o.ext_)) {
        if (size() != 0) std::memcpy(static_cast<void*>(data_), o.data_, size_bytes());
    }
    tensor(tensor&& o) noexcept : ext_(o.ext_), data_(std::exchange(o.data_, nullptr)) { o.ext_ = extents_type{}; }
    tensor& operator=(const tensor& o) {
        if (this != &o) *this = tensor(o);
        return *this;
    }
    tensor& operator=(tensor&& o) noexcept {
        if (this != &o) {
            release();
            ext_ = o.ext_;
            data_ = std::exchange(o.data_, nullptr);
            o.ext_ = extents_type{};
        }
        return *this;
    }
    ~tensor() { release(); }

    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    const extents_type& extents() const noexcept { return ext_; }
    std::size_t extent(std::size_t i) const noexcept { return ext_.extent(i); }
    std::size_t stride(std::size_t i) const noexcept { return tensor_detail::row_major_strides(ext_)[i]; }
    std::size_t size() const noexcept { return ext_.size(); }
    bool empty() const noexcept { return size() == 0; }
    std::size_t size_bytes() const noexcept { return size() * sizeof(T); }

    view_type view() noexcept { return view_type(data_, ext_); }
    const_view_type view() const noexcept { return const_view_type(data_, ext_); }
    operator view_type() noexcept { return view(); }
    operator const_view_type() const noexcept { return view(); }

    std::span<T> span() noexcept { return {data_, size()}; }
    std::span<const T> span() const noexcept { return {data_, size()}; }

    template <std::integral... I>
        requires(sizeof...(I) == Extents::rank())
    T& operator()(I... idx) noexcept {
        return data_[ext_.linear_index(idx...)];
    }
    template <std::integral... I>
        requires(sizeof...(I) == Extents::rank())
    const T& operator()(I... idx) const noexcept {
        return data_[ext_.linear_index(idx...)];
    }
    template <std::integral... I>
        requires(sizeof...(I) == Extents::rank())
    T& at(I... idx) {
        return view().at(idx...);
    }
    template <std::integral... I>
        requires(sizeof...(I) == Extents::rank())
    const T& at(I... idx) const {
        return view().at(idx...);
    }
    template <std::integral... I>
        requires(Extents::rank() >= 1 && sizeof...(I) == Extents::rank() - 1)
    typename view_type::row_type row(I... idx) noexcept {
        return typename view_type::row_type(data_ + ext_.linear_index(idx..., 0), ext_.extent(rank() - 1));
    }
    template <std::integral... I>
        requires(Extents::rank() >= 1 && sizeof...(I) == Extents::rank() - 1)
    typename const_view_type::row_type row(I... idx) const noexcept {
        return typename const_view_type::row_type(data_ + ext_.linear_index(idx..., 0), ext_.extent(rank() - 1));
    }

    void fill(const T& value) noexcept {
        for (std::size_t i = 0; i < size(); ++i) data_[i] = value;
    }

private:
    static T* allocate(const extents_type& ext) {
        const std::size_t n = ext.size();
        if (n > static_cast<std::size_t>(-1) / sizeof(T))
            throw error(errc::shape, "tensor: shape " + ext.to_string() + " needs more bytes than size_t can count");
        if (n == 0) return nullptr;
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{tensor_alignment}));
    }
    void release() noexcept {
        if (data_ != nullptr) {
            std::destroy_n(data_, size()); // trivial for TensorElement types, kept for form
            ::operator delete(static_cast<void*>(data_), std::align_val_t{tensor_alignment});
        }
        data_ = nullptr;
    }

    extents_type ext_{};
    T* data_ = nullptr;
};

// copy(src, dst): dst[i...] = src[i...] for tensors or views of the same element type and shape. Static
// shapes that cannot match fail to compile; dynamic ones that differ throw errc::shape naming both.
template <TensorLike Src, class Dst>
    requires TensorLike<std::remove_cvref_t<Dst>>
void copy(const Src& src, Dst&& dst) {
    using D = std::remove_cvref_t<Dst>;
    static_assert(std::is_same_v<typename Src::value_type, typename D::value_type>,
                  "qforge::copy: the source and destination element types differ");
    const auto s = src.view();
    const auto d = dst.view();
    static_assert(!std::is_const_v<typename decltype(d)::element_type>, "qforge::copy: the destination is read-only");
    check_same_shape(s.extents(), d.extents(), "copy");
    if (s.empty()) return;
    if (s.is_contiguous() && d.is_contiguous()) {
        std::memmove(static_cast<void*>(d.data()), s.data(), s.size_bytes());
        return;
    }
    // Strided: walk the multi-index like an odometer (last dimension fastest).
    constexpr std::size_t r = D::extents_type::rank();
    std::array<std::size_t, r> idx{};
    for (std::size_t n = 0; n < s.size(); ++n) {
        std::size_t so = 0, dof = 0;
        for (std::size_t k = 0; k < r; ++k) {
            so += idx[k] * s.stride(k);
            dof += idx[k] * d.stride(k);
        }
        d.data()[dof] = s.data()[so];
        for (std::size_t k = r; k-- > 0;) {
            if (++idx[k] < s.extent(k)) break;
            idx[k] = 0;
        }
    }
}

} // namespace qforge
