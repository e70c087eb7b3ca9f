// meta: index_of, for_each_type, with_index over a closed type list.
#include <qforge/core/meta.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace qforge;

namespace {
struct no_default { // for_each_type and with_index must not construct the types
    explicit no_default(int) {}
    static constexpr const char* name = "no_default";
};
struct a_type {
    static constexpr const char* name = "a_type";
};
using list = meta::mp_list<a_type, no_default, double>;

template <class T>
std::string name_of() {
    if constexpr (std::is_same_v<T, double>) return "double";
    else return T::name;
}
} // namespace

static_assert(meta::size<list> == 3);
static_assert(meta::index_of<list, a_type> == 0);
static_assert(meta::index_of<list, double> == 2);
static_assert(meta::contains<list, no_default> && !meta::contains<list, int>);
static_assert(std::is_same_v<meta::at<list, 1>, no_default>);

TEST(meta, for_each_type_visits_in_order) {
    std::vector<std::string> seen;
    meta::for_each_type<list>([&](auto t) { seen.push_back(name_of<typename decltype(t)::type>()); });
    EXPECT_EQ(seen, (std::vector<std::string>{"a_type", "no_default", "double"}));
}

TEST(meta, with_index_picks_the_runtime_type) {
    for (std::size_t i = 0; i < meta::size<list>; ++i) {
        const std::string got = meta::with_index<list>(i, [](auto t) { return name_of<typename decltype(t)::type>(); });
        EXPECT_EQ(got, i == 0 ? "a_type" : i == 1 ? "no_default" : "double");
    }
    EXPECT_EQ(meta::with_index<list>(2, [](auto t) { return sizeof(typename decltype(t)::type); }), sizeof(double));
    EXPECT_THROW(meta::with_index<list>(3, [](auto) { return 0; }), error);
}
