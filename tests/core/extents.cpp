// extents: static and dynamic dimensions, conversions, the row-major index, and the errors on mismatch.
#include <qforge/core/extents.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

using namespace qforge;

namespace {

// The message of the qforge::error that f throws, checking its code; "" when it throws nothing.
template <class F>
std::string error_of(F&& f, errc code = errc::shape) {
    try {
        f();
    } catch (const error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        return e.what();
    }
    return "";
}

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

} // namespace

TEST(extents, static_properties) {
    using e = extents<4096, dynamic, 3>;
    static_assert(e::rank() == 3);
    static_assert(e::rank_dynamic() == 1);
    static_assert(e::static_extent(0) == 4096 && e::static_extent(1) == dynamic && e::static_extent(2) == 3);
    static_assert(!e::is_static());
    static_assert(extents<2, 3>::is_static());
    static_assert(extents<2, 3>{}.size() == 6);
    static_assert(extents<>::rank() == 0 && extents<>{}.size() == 1);
    static_assert(std::is_same_v<dextents<2>, extents<dynamic, dynamic>>);
    static_assert(std::is_same_v<dextents<0>, extents<>>);
    static_assert(Extents<e> && !Extents<int> && Extents<const e&>);
    // Static dimensions are not stored.
    static_assert(sizeof(extents<2, 3>) <= 1);
    static_assert(sizeof(extents<4096, dynamic>) == sizeof(std::size_t));
    EXPECT_EQ(e::type_string(), "extents<4096, dynamic, 3>");
}

TEST(extents, construction_from_dynamic_values) {
    constexpr extents<4096, dynamic> a(7);
    static_assert(a.extent(0) == 4096 && a.extent(1) == 7 && a.size() == 4096 * 7);
    constexpr extents<4096, dynamic> b(4096, 7); // every extent
    static_assert(a == b);
    const dextents<3> c(2, 3, 4);
    EXPECT_EQ(c.size(), 24u);
    EXPECT_EQ(c.to_string(), "[2, 3, 4]");
    EXPECT_EQ((c.to_array()), (std::array<std::size_t, 3>{2, 3, 4}));
    const extents<dynamic, 5> d;
    EXPECT_EQ(d.extent(0), 0u); // default: dynamic extents are 0, as in std::mdspan
    EXPECT_EQ(d.size(), 0u);
    const std::array<std::size_t, 2> dims{4096, 11};
    EXPECT_EQ((extents<4096, dynamic>::from(dims).extent(1)), 11u);
}

TEST(extents, runtime_mismatch_names_both_shapes) {
    std::string m = error_of([] { (void)extents<4096, dynamic>(4095, 7); });
    EXPECT_TRUE(has(m, "[4095, 7]")) << m;
    EXPECT_TRUE(has(m, "extents<4096, dynamic>")) << m;
    EXPECT_TRUE(has(m, "dimension 0")) << m;

    const std::array<std::size_t, 3> dims3{1, 2, 3};
    m = error_of([&] { (void)extents<4096, dynamic>::from(dims3); });
    EXPECT_TRUE(has(m, "rank 3")) << m;

    m = error_of([] { (void)extents<dynamic>(-1); });
    EXPECT_TRUE(has(m, "negative")) << m;

    // A hostile shape must not wrap size() around.
    m = error_of([] { (void)dextents<2>(std::size_t(1) << 40, std::size_t(1) << 40); });
    EXPECT_TRUE(has(m, "size_t")) << m;
    EXPECT_EQ(error_of([] { (void)dextents<2>(std::size_t(0), static_cast<std::size_t>(-2)); }), "");
}

TEST(extents, conversions) {
    const extents<4, 8> s;
    const dextents<2> d = s; // cannot fail: implicit
    EXPECT_EQ(d.extent(0), 4u);
    EXPECT_EQ(d.extent(1), 8u);
    static_assert(std::is_convertible_v<extents<4, 8>, dextents<2>>);
    static_assert(!std::is_convertible_v<dextents<2>, extents<4, 8>>); // can fail: explicit
    const auto back = extents<4, dynamic>(d);
    EXPECT_EQ(back.extent(1), 8u);
    const std::string m = error_of([] { (void)extents<4, 9>(dextents<2>(4, 8)); });
    EXPECT_TRUE(has(m, "[4, 8]") && has(m, "extents<4, 9>")) << m;
}

TEST(extents, equality_and_compatibility) {
    EXPECT_TRUE((extents<4, dynamic>(8) == extents<dynamic, 8>(4)));
    EXPECT_FALSE((extents<4, dynamic>(8) == extents<dynamic, 8>(5)));
    EXPECT_FALSE((extents<4>{} == extents<4, 1>{}));
    static_assert(CompatibleExtents<extents<4, dynamic>, extents<dynamic, 8>>);
    static_assert(!CompatibleExtents<extents<4, 8>, extents<4, 9>>);
    static_assert(!CompatibleExtents<extents<4, 8>, extents<4, 8, 1>>);
    static_assert(!CompatibleExtents<extents<4>, int>);
}

TEST(extents, check_same_shape) {
    check_same_shape(extents<4, 8>{}, dextents<2>(4, 8), "add");
    const std::string m = error_of([] { check_same_shape(extents<4, dynamic>(8), dextents<2>(4, 9), "add"); });
    EXPECT_TRUE(has(m, "add: shape mismatch: [4, 8] vs [4, 9]")) << m;
}

TEST(extents, linear_index_is_row_major) {
    const extents<2, dynamic, 4> e(3);
    std::size_t expect = 0;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k) {
                EXPECT_EQ(e.linear_index(i, j, k), expect++);
                EXPECT_TRUE(e.contains(i, j, k));
            }
    EXPECT_FALSE(e.contains(2, 0, 0));
    EXPECT_FALSE(e.contains(0, 3, 0));
    EXPECT_FALSE(e.contains(0, 0, -1));
    static_assert(extents<>{}.linear_index() == 0);
    // A negative index is outside even when its unsigned image would fit (no allocation: extents only).
    const dextents<1> huge(std::size_t(5'000'000'000));
    EXPECT_FALSE(huge.contains(-1));
    EXPECT_FALSE(huge.contains(std::int64_t{-1}));
    EXPECT_TRUE(huge.contains(4'294'967'295u));
}
