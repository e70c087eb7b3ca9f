// Runtime format dispatch: ids and names reach the right static format type; unknown ones give clear errors.
#include <qforge/block/dispatch.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace qforge;

TEST(dispatch, by_id_and_name_reach_the_same_type) {
    boost::mp11::mp_for_each<ggml_formats>([](auto f) {
        using F = decltype(f);
        const std::string a = visit_format(F::type_id, [](auto g) { return std::string(decltype(g)::name); });
        const std::string b = visit_format(F::name, [](auto g) { return std::string(decltype(g)::name); });
        EXPECT_EQ(a, F::name);
        EXPECT_EQ(b, F::name);
    });
}

TEST(dispatch, names_are_case_insensitive) {
    EXPECT_EQ(visit_format("Q8_0", [](auto g) { return decltype(g)::block_size; }), 32u);
}

TEST(dispatch, unknown_formats_are_clear_errors) {
    try {
        visit_format("q9_9", [](auto) { return 0; });
        FAIL() << "no error";
    } catch (const error& e) {
        EXPECT_EQ(e.code(), errc::unsupported);
        EXPECT_NE(std::string(e.what()).find("q9_9"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("q8_0"), std::string::npos); // lists what is known
    }
    EXPECT_THROW(visit_format(ggml_type::iq2_xxs, [](auto) { return 0; }), error);
}
