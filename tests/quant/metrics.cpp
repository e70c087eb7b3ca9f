// Tests for the error metrics on hand-computed cases.
#include <qforge/quant/metrics.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace qforge::quant;

TEST(metrics, hand_computed) {
    const std::vector<float> x{1, 2, 3, 4};
    const std::vector<float> y{1, 2, 3, 2}; // one error of 2
    const error_stats s = compare(x, y);
    EXPECT_DOUBLE_EQ(s.mse, 1.0);              // 4 / 4
    EXPECT_DOUBLE_EQ(s.rmse, 1.0);
    EXPECT_DOUBLE_EQ(s.max_abs_error, 2.0);
    EXPECT_DOUBLE_EQ(s.snr_db, 10.0 * std::log10(30.0 / 4.0)); // sum x^2 = 30
    EXPECT_DOUBLE_EQ(s.cosine, 22.0 / (std::sqrt(30.0) * std::sqrt(18.0)));
    EXPECT_EQ(s.count, 4u);
    EXPECT_DOUBLE_EQ(mse(x, y), 1.0);
    EXPECT_DOUBLE_EQ(rmse(std::vector<float>{0, 0}, std::vector<float>{3, 4}), std::sqrt(12.5));
    EXPECT_DOUBLE_EQ(max_abs_error(std::vector<float>{-1}, std::vector<float>{2}), 3.0);
}

TEST(metrics, snr_of_ten_percent_noise_is_20_db) {
    std::vector<float> x(1000), y(1000);
    for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = (i % 2) ? 1.0f : -1.0f;
        y[i] = x[i] * 1.1f; // error 0.1 everywhere: signal/noise power = 100
    }
    EXPECT_NEAR(snr_db(x, y), 20.0, 1e-5);
    EXPECT_NEAR(cosine_similarity(x, y), 1.0, 1e-12); // scaling keeps the direction
}

TEST(metrics, edge_cases) {
    const std::vector<float> x{1, -2};
    EXPECT_EQ(snr_db(x, x), std::numeric_limits<double>::infinity());
    EXPECT_DOUBLE_EQ(cosine_similarity(x, std::vector<float>{-1, 2}), -1.0);
    EXPECT_DOUBLE_EQ(cosine_similarity(std::vector<float>{1, 0}, std::vector<float>{0, 1}), 0.0);
    EXPECT_EQ(cosine_similarity(std::vector<float>{0, 0}, std::vector<float>{0, 0}), 1.0);
    EXPECT_EQ(cosine_similarity(std::vector<float>{0, 0}, std::vector<float>{1, 0}), 0.0);
    EXPECT_EQ(compare({}, {}).mse, 0.0);
    EXPECT_THROW(compare(x, std::vector<float>{1}), qforge::error);
}

TEST(metrics, accumulates_in_double) {
    // 2^24 + 1 terms of 1: a float accumulator would stop at 2^24.
    const std::size_t n = (std::size_t{1} << 24) + 2;
    std::vector<float> x(n, 1.0f), y(n, 0.0f);
    EXPECT_DOUBLE_EQ(compare(x, y).mse, 1.0);
}
