// tensor and tensor_view: layout, element access, rows, views over bytes, copies, and the errors.
#include <qforge/core/half.hpp>
#include <qforge/core/tensor.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

using namespace qforge;

namespace {

template <class F>
std::string error_of(F&& f, errc code) {
    try {
        f();
    } catch (const error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        return e.what();
    }
    return "";
}

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

struct block3 { // a stand-in for a format's block struct: trivially copyable, odd size
    std::uint8_t b[3];
};

} // namespace

static_assert(TensorLike<tensor<float, extents<4, 8>>>);
static_assert(TensorLike<tensor_view<const f16, dextents<2>>>);
static_assert(TensorLike<tensor_view<block3, extents<dynamic>>>);
static_assert(!TensorLike<std::vector<float>>);
static_assert(!TensorLike<tensor<float, extents<4>>&>); // the concept is about the type itself
static_assert(TensorElement<f16> && TensorElement<block3> && !TensorElement<std::string> && !TensorElement<int[4]>);
static_assert(std::is_same_v<tensor_view<float, extents<4, 8>>::row_type, std::span<float, 8>>);
static_assert(std::is_same_v<tensor_view<float, extents<4, dynamic>>::row_type, std::span<float>>);
static_assert(std::is_convertible_v<tensor_view<float, extents<4>>, tensor_view<const float, extents<4>>>);
static_assert(!std::is_convertible_v<tensor_view<const float, extents<4>>, tensor_view<float, extents<4>>>);

TEST(tensor, owning_storage_is_aligned_and_zeroed) {
    tensor<float, extents<3, dynamic>> t(extents<3, dynamic>(5));
    EXPECT_EQ(t.size(), 15u);
    EXPECT_EQ(t.size_bytes(), 60u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % 64, 0u);
    for (float v : t.span()) EXPECT_EQ(v, 0.0f);
    tensor<std::uint8_t, extents<7>> odd;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(odd.data()) % 64, 0u);
    EXPECT_EQ(odd.size_bytes(), 7u);
    tensor<f16, dextents<2>> empty;
    EXPECT_TRUE(empty.empty());
    EXPECT_EQ(empty.data(), nullptr);
    tensor<float, dextents<1>> raw(dextents<1>(1000), uninitialized);
    EXPECT_EQ(raw.size(), 1000u);
}

TEST(tensor, row_major_access_and_rows) {
    tensor<int, extents<2, 3, 4>> t;
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<int>(i);
    EXPECT_EQ(t(1, 2, 3), 23);
    EXPECT_EQ(t(1, 0, 2), 14);
    EXPECT_EQ(t.stride(0), 12u);
    EXPECT_EQ(t.stride(1), 4u);
    EXPECT_EQ(t.stride(2), 1u);
    const auto r = t.row(1, 2);
    static_assert(decltype(r)::extent == 4);
    EXPECT_EQ(r[0], 20);
    EXPECT_EQ(r[3], 23);
    r[0] = -1;
    EXPECT_EQ(t.at(1, 2, 0), -1);
    const std::string m = error_of([&] { (void)t.at(2, 0, 0); }, errc::invalid_argument);
    EXPECT_TRUE(has(m, "(2, 0, 0)") && has(m, "[2, 3, 4]")) << m;
}

TEST(tensor, copies_are_deep_and_moves_steal) {
    tensor<float, dextents<1>> a(dextents<1>(100));
    std::iota(a.span().begin(), a.span().end(), 0.0f);
    tensor<float, dextents<1>> b = a;
    EXPECT_NE(a.data(), b.data());
    b(5) = -5.0f;
    EXPECT_EQ(a(5), 5.0f);
    const float* p = b.data();
    tensor<float, dextents<1>> c = std::move(b);
    EXPECT_EQ(c.data(), p);
    EXPECT_EQ(c(5), -5.0f);
    EXPECT_TRUE(b.empty()); // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    c = a;
    EXPECT_EQ(c(5), 5.0f);
    tensor<float, dextents<1>>* self = &c; // self-move through an alias: must leave c intact
    c = std::move(*self);
    EXPECT_EQ(c(99), 99.0f);
}

TEST(tensor_view, over_a_pointer_with_strides) {
    // A 3 x 4 matrix whose rows are padded to 6 elements.
    std::vector<float> buf(18);
    std::iota(buf.begin(), buf.end(), 0.0f);
    const tensor_view v(buf.data(), extents<3, 4>{}, {6, 1});
    static_assert(std::is_same_v<decltype(v), const tensor_view<float, extents<3, 4>>>);
    EXPECT_FALSE(v.is_contiguous());
    EXPECT_EQ(v(2, 3), 15.0f);
    EXPECT_EQ(v.row(1)[0], 6.0f);
    EXPECT_EQ(v.size(), 12u);
    EXPECT_EQ(v.size_bytes(), 48u);
    EXPECT_THROW((void)v.span(), error);
    // A transposed view: row() needs a unit innermost stride.
    const tensor_view<const float, extents<4, 3>> t(buf.data(), {}, {1, 6});
    EXPECT_EQ(t(3, 2), v(2, 3));
    const std::string m = error_of([&] { (void)t.row(0); }, errc::invalid_argument);
    EXPECT_TRUE(has(m, "innermost stride is 6")) << m;
}

TEST(tensor_view, over_bytes) {
    alignas(64) std::byte bytes[32] = {};
    const float one = 1.0f;
    std::memcpy(bytes + 4, &one, 4);
    auto v = tensor_view<float, extents<2, dynamic>>::from_bytes(std::span(bytes), extents<2, dynamic>(4));
    EXPECT_EQ(v(0, 1), 1.0f);
    v(1, 3) = 2.0f;
    const std::span<const std::byte> ro(bytes);
    const auto c = tensor_view<const float, dextents<1>>::from_bytes(ro, dextents<1>(8));
    EXPECT_EQ(c(7), 2.0f);

    std::string m = error_of([&] { (void)tensor_view<const float, dextents<1>>::from_bytes(ro, dextents<1>(9)); },
                             errc::shape);
    EXPECT_TRUE(has(m, "32 bytes") && has(m, "[9]")) << m;
    m = error_of([&] { (void)tensor_view<const float, dextents<1>>::from_bytes(ro.subspan(1, 28), dextents<1>(7)); },
                 errc::invalid_argument);
    EXPECT_TRUE(has(m, "aligned")) << m;
    m = error_of([&] { (void)tensor_view<const block3, dextents<1>>::from_bytes(ro.subspan(0, 31), dextents<1>(10)); },
                 errc::shape);
    EXPECT_TRUE(has(m, "31 bytes")) << m;
    EXPECT_EQ((tensor_view<const block3, dextents<1>>::from_bytes(ro.subspan(1, 30), dextents<1>(10)).size_bytes()),
              30u);
}

TEST(tensor_view, from_span_checks_the_size) {
    std::vector<f16> h(12);
    const tensor_view v{std::span(h), extents<3, 4>{}};
    EXPECT_EQ(&v(2, 3), &h[11]);
    const std::string m = error_of([&] { (void)tensor_view{std::span(h), extents<3, 5>{}}; }, errc::shape);
    EXPECT_TRUE(has(m, "12 elements") && has(m, "[3, 5]")) << m;
}

TEST(tensor_view, of_a_tensor_and_reshaped_types) {
    tensor<float, extents<2, 3>> t;
    tensor_view<float, extents<2, 3>> v = t;
    v(1, 1) = 4.0f;
    EXPECT_EQ(t(1, 1), 4.0f);
    const tensor_view<const float, dextents<2>> d(t.view()); // static shape -> dynamic shape
    EXPECT_EQ(d(1, 1), 4.0f);
    EXPECT_EQ(d.extent(1), 3u);
    const auto back = tensor_view<const float, extents<2, 3>>(d); // checked on the way back
    EXPECT_EQ(back(1, 1), 4.0f);
    const std::string m = error_of([&] { (void)tensor_view<const float, extents<3, 2>>(d); }, errc::shape);
    EXPECT_TRUE(has(m, "[2, 3]") && has(m, "extents<3, 2>")) << m;
}

TEST(copy, contiguous_strided_and_mismatch) {
    tensor<float, extents<3, 4>> a;
    std::iota(a.span().begin(), a.span().end(), 1.0f);
    tensor<float, dextents<2>> b(dextents<2>(3, 4));
    copy(a, b);
    EXPECT_EQ(b(2, 3), 12.0f);

    // Into the padded rows of a bigger buffer, and back out of them.
    std::vector<float> buf(18, -1.0f);
    copy(a, tensor_view(buf.data(), extents<3, 4>{}, {6, 1}));
    EXPECT_EQ(buf[6 + 3], 8.0f);
    EXPECT_EQ(buf[4], -1.0f); // padding untouched
    tensor<float, extents<3, 4>> c;
    copy(tensor_view<const float, extents<3, 4>>(buf.data(), {}, {6, 1}), c);
    EXPECT_EQ(0, std::memcmp(a.data(), c.data(), a.size_bytes()));

    const std::string m = error_of([&] { copy(a, tensor<float, dextents<2>>(dextents<2>(4, 3))); }, errc::shape);
    EXPECT_TRUE(has(m, "copy: shape mismatch: [3, 4] vs [4, 3]")) << m;
}

TEST(tensor, rank_zero_and_hostile_sizes) {
    tensor<double, extents<>> s;
    s() = 2.5;
    EXPECT_EQ(s.size(), 1u);
    EXPECT_EQ(s(), 2.5);
    const std::string m = error_of(
        [] { (void)tensor<double, dextents<1>>(dextents<1>(static_cast<std::size_t>(-1) / 4)); }, errc::shape);
    EXPECT_TRUE(has(m, "size_t")) << m;
}
