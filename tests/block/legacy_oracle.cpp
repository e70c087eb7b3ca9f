// The fast, vectorizable reference quantizers of the legacy formats against straightforward scalar
// transcriptions of ggml's loops (branchy max/min searches, binary search of the iq4_nl table, roundf and
// the x86 float->int conversion cvttss2si), on adversarial blocks the golden files do not cover: signed zeros,
// ties of |max| with both signs, infinities, NaN, subnormals (whose scale's inverse overflows), huge values.
#include <qforge/block/iq4_nl.hpp>
#include <qforge/block/mxfp4.hpp>
#include <qforge/block/q4_0.hpp>
#include <qforge/block/q4_1.hpp>
#include <qforge/block/q5_0.hpp>
#include <qforge/block/q5_1.hpp>
#include <qforge/block/q8_0.hpp>
#include <qforge/block/q8_1.hpp>
#include <qforge/core/config.hpp>

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#if QFORGE_ARCH_X86_64
#include <immintrin.h>
#endif

using namespace qforge;

namespace {

#if QFORGE_ARCH_X86_64
// What ggml's `(int)f` compiles to on x86-64.
int cvtt(float v) { return _mm_cvtt_ss2si(_mm_set_ss(v)); }

// ---- scalar transcriptions of ggml-quants.c (one block of 32) -------------------------------------------

void oracle_q4_0(const float* x, q4_0::block& y) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; ++j)
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    const float d = max / -8;
    const float id = d ? 1.0f / d : 0.0f;
    y.d = f16::from_float(d);
    for (int j = 0; j < 16; ++j) {
        const auto q0 = static_cast<std::uint8_t>(std::min(15, static_cast<int>(static_cast<std::int8_t>(cvtt(x[j] * id + 8.5f)))));
        const auto q1 = static_cast<std::uint8_t>(std::min(15, static_cast<int>(static_cast<std::int8_t>(cvtt(x[j + 16] * id + 8.5f)))));
        y.qs[j] = static_cast<std::uint8_t>(q0 | (q1 << 4));
    }
}

void oracle_q5_0(const float* x, q5_0::block& y) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; ++j)
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    const float d = max / -16;
    const float id = d ? 1.0f / d : 0.0f;
    y.d = f16::from_float(d);
    std::uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
        const auto q0 = static_cast<std::uint8_t>(std::min(31, static_cast<int>(static_cast<std::int8_t>(cvtt(x[j] * id + 16.5f)))));
        const auto q1 = static_cast<std::uint8_t>(std::min(31, static_cast<int>(static_cast<std::int8_t>(cvtt(x[j + 16] * id + 16.5f)))));
        y.qs[j] = static_cast<std::uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
        qh |= ((q0 & 0x10u) >> 4) << j;
        qh |= ((q1 & 0x10u) >> 4) << (j + 16);
    }
    std::memcpy(y.qh, &qh, 4);
}

template <class Block, int Nmax>
void oracle_affine(const float* x, Block& y, std::uint8_t* q) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < 32; ++j) {
        if (x[j] < min) min = x[j];
        if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / Nmax;
    const float id = d ? 1.0f / d : 0.0f;
    y.d = f16::from_float(d);
    y.m = f16::from_float(min);
    for (int j = 0; j < 32; ++j) {
        const int t = cvtt((x[j] - min) * id + 0.5f);
        q[j] = Nmax == 15 ? static_cast<std::uint8_t>(std::min(15, static_cast<int>(static_cast<std::int8_t>(t))))
                          : static_cast<std::uint8_t>(t);
    }
}

void oracle_q4_1(const float* x, q4_1::block& y) {
    std::uint8_t q[32];
    oracle_affine<q4_1::block, 15>(x, y, q);
    for (int j = 0; j < 16; ++j) y.qs[j] = static_cast<std::uint8_t>(q[j] | (q[j + 16] << 4));
}

void oracle_q5_1(const float* x, q5_1::block& y) {
    std::uint8_t q[32];
    oracle_affine<q5_1::block, 31>(x, y, q);
    std::uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
        y.qs[j] = static_cast<std::uint8_t>((q[j] & 0x0f) | ((q[j + 16] & 0x0f) << 4));
        qh |= ((q[j] & 0x10u) >> 4) << j;
        qh |= ((q[j + 16] & 0x10u) >> 4) << (j + 16);
    }
    std::memcpy(y.qh, &qh, 4);
}

template <class Block>
int oracle_q8(const float* x, Block& y) { // returns the quant sum (q8_1's s)
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = amax > std::fabs(x[j]) ? amax : std::fabs(x[j]); // ggml's MAX
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    y.d = f16::from_float(d);
    int sum = 0;
    for (int j = 0; j < 32; ++j) {
        y.qs[j] = static_cast<std::int8_t>(cvtt(std::round(x[j] * id)));
        sum += y.qs[j];
    }
    if constexpr (requires { y.s; }) y.s = f16::from_float(static_cast<float>(sum) * d);
    return sum;
}

void oracle_mxfp4(const float* x, mxfp4::block& y) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j)
        if (amax < std::fabs(x[j])) amax = std::fabs(x[j]);
    const auto e = static_cast<std::uint8_t>(amax > 0.0f ? cvtt(std::floor(std::log2(amax)) - 2 + 127) : 0);
    const float d = e < 2 ? std::ldexp(1.0f, -128 + e) : std::ldexp(1.0f, e - 128); // 2^(e-128)
    y.e = e;
    const auto best = [&](float v) {
        int bi = 0;
        float be = std::fabs(mxfp4::values[0] * d - v);
        for (int i = 1; i < 16; ++i) {
            const float err = std::fabs(mxfp4::values[i] * d - v);
            if (err < be) {
                bi = i;
                be = err;
            }
        }
        return bi;
    };
    for (int j = 0; j < 16; ++j) y.qs[j] = static_cast<std::uint8_t>(best(x[j]) | (best(x[j + 16]) << 4));
}

int oracle_best_index(float x) { // ggml's best_index_int8: binary search
    const std::int8_t* val = iq4_nl::values;
    if (x <= val[0]) return 0;
    if (x >= val[15]) return 15;
    int ml = 0, mu = 15;
    while (mu - ml > 1) {
        const int mav = (ml + mu) / 2;
        if (x < val[mav]) mu = mav;
        else ml = mav;
    }
    return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
}

void oracle_iq4_nl(const float* x, iq4_nl::block& y) {
    const std::int8_t* values = iq4_nl::values;
    float weight[32];
    std::uint8_t L[32];
    for (int j = 0; j < 32; ++j) weight[j] = x[j] * x[j];
    float amax = 0, max = 0;
    for (int j = 0; j < 32; ++j)
        if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    float scale = 0;
    if (!(amax < 1e-15f)) {
        float d = -max / values[0];
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int j = 0; j < 32; ++j) {
            const float q = values[oracle_best_index(id * x[j])];
            sumqx += weight[j] * q * x[j];
            sumq2 += weight[j] * q * q;
        }
        d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
        float best = d * sumqx;
        for (int itry = -7; itry <= 7; ++itry) {
            id = (itry + values[0]) / max;
            sumqx = sumq2 = 0;
            for (int j = 0; j < 32; ++j) {
                const float q = values[oracle_best_index(id * x[j])];
                sumqx += weight[j] * q * x[j];
                sumq2 += weight[j] * q * q;
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        scale = d;
    }
    y.d = f16::from_float(scale);
    const float id = scale ? 1 / scale : 0;
    for (int j = 0; j < 32; ++j) L[j] = static_cast<std::uint8_t>(oracle_best_index(id * x[j]));
    for (int j = 0; j < 16; ++j) y.qs[j] = static_cast<std::uint8_t>(L[j] | (L[j + 16] << 4));
}

// ---- adversarial blocks ------------------------------------------------------------------------------------

std::vector<float> adversarial_blocks(bool with_nan, int random_blocks) {
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float sub = std::numeric_limits<float>::denorm_min();
    std::vector<std::vector<float>> blocks;
    blocks.push_back(std::vector<float>(32, 0.0f));
    blocks.push_back(std::vector<float>(32, -0.0f));
    {
        std::vector<float> b(32, 0.0f);
        for (int j = 1; j < 32; j += 2) b[j] = -0.0f; // +0 first: the first zero wins min/max
        blocks.push_back(b);
        for (auto& v : b) v = -v; // -0 first
        blocks.push_back(b);
    }
    {
        std::vector<float> b(32, 0.25f);
        b[3] = -2.0f;
        b[9] = 2.0f; // |max| tie, negative first
        blocks.push_back(b);
        b[3] = 2.0f;
        b[9] = -2.0f; // positive first
        blocks.push_back(b);
    }
    {
        std::vector<float> b(32, 1.0f);
        b[5] = inf;
        blocks.push_back(b);
        b[5] = -inf;
        b[6] = inf;
        blocks.push_back(b);
    }
    for (float tiny : {sub, 3 * sub, 7 * sub, 15 * sub, 1e-40f, 1e-38f, 2e-38f, 9.4e-38f, 1e-15f, 9e-16f}) {
        std::vector<float> b(32);
        for (int j = 0; j < 32; ++j) b[j] = tiny * static_cast<float>((j % 5) - 2);
        blocks.push_back(b);
    }
    for (float big : {1e30f, 3e38f, FLT_MAX, 65504.0f, 65520.0f, 1e5f}) {
        std::vector<float> b(32);
        for (int j = 0; j < 32; ++j) b[j] = big * (j % 2 ? -1.0f : 1.0f) * (1.0f - static_cast<float>(j) / 64.0f);
        blocks.push_back(b);
    }
    for (int k = 0; k < 16; ++k) { // exact levels and exact midpoints of q4_0/q5_0 grids
        std::vector<float> b(32);
        for (int j = 0; j < 32; ++j) b[j] = (static_cast<float>(j) - 16.0f + 0.5f * static_cast<float>(k % 2)) * 0.125f;
        blocks.push_back(b);
    }
    if (with_nan) {
        std::vector<float> b(32, 0.5f);
        b[0] = nan;
        b[31] = nan;
        b[7] = -1.5f;
        blocks.push_back(b);
        blocks.push_back(std::vector<float>(32, nan));
    }
    std::mt19937 gen(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> pick(0, 9);
    for (int r = 0; r < random_blocks; ++r) {
        std::vector<float> b(32);
        const float scale = std::ldexp(1.0f, pick(gen) * 8 - 40);
        for (auto& v : b) {
            v = normal(gen) * scale;
            if (pick(gen) == 0) v = std::round(v); // ties and small integers
            if (pick(gen) == 1) v = -v;
        }
        blocks.push_back(b);
    }
    std::vector<float> x;
    for (const auto& b : blocks) x.insert(x.end(), b.begin(), b.end());
    return x;
}

template <class F, class Oracle>
void expect_matches_oracle(const std::vector<float>& x, Oracle oracle) {
    std::vector<typename F::block> got(x.size() / 32), want(x.size() / 32);
    F::quantize(x, got);
    for (std::size_t b = 0; b < want.size(); ++b) {
        want[b] = typename F::block{};
        oracle(x.data() + 32 * b, want[b]);
        EXPECT_EQ(0, std::memcmp(&want[b], &got[b], sizeof want[b])) << F::name << " block " << b;
    }
}
#endif

} // namespace

#if QFORGE_ARCH_X86_64
TEST(legacy_oracle, symmetric_and_affine_formats_with_nan) {
    const auto x = adversarial_blocks(true, 4000);
    expect_matches_oracle<q4_0>(x, oracle_q4_0);
    expect_matches_oracle<q5_0>(x, oracle_q5_0);
    expect_matches_oracle<q4_1>(x, oracle_q4_1);
    expect_matches_oracle<q5_1>(x, oracle_q5_1);
    expect_matches_oracle<mxfp4>(x, oracle_mxfp4);
}

// ggml's MAX macro lets a NaN become the block maximum (then the f16 NaN payload differs between
// conversions), so the q8 formats are compared on NaN-free blocks; see docs/formats-legacy.md.
TEST(legacy_oracle, q8_formats_without_nan) {
    const auto x = adversarial_blocks(false, 4000);
    expect_matches_oracle<q8_0>(x, [](const float* v, q8_0::block& y) { oracle_q8(v, y); });
    expect_matches_oracle<q8_1>(x, [](const float* v, q8_1::block& y) { oracle_q8(v, y); });
}

TEST(legacy_oracle, iq4_nl) {
    const auto x = adversarial_blocks(false, 600);
    expect_matches_oracle<iq4_nl>(x, oracle_iq4_nl);
}

TEST(legacy_oracle, iq4_nl_nearest_level_equals_binary_search) {
    // Every float in [-130, 130] near the table's values and midpoints, plus a sweep.
    int checked = 0;
    const auto check = [&](float v) {
        const auto c = block_detail::nearest_level_16(iq4_nl::values, v);
        ASSERT_EQ(c.index, oracle_best_index(v)) << v;
        ASSERT_EQ(c.value, static_cast<float>(iq4_nl::values[c.index]));
        ++checked;
    };
    for (int k = 0; k < 16; ++k) {
        const float at = iq4_nl::values[k];
        const float mid = k < 15 ? 0.5f * (at + static_cast<float>(iq4_nl::values[k + 1])) : at;
        for (float c : {at, mid}) {
            float v = c;
            for (int s = 0; s < 2000; ++s) v = std::nextafter(v, -1e9f);
            for (int s = 0; s < 4000; ++s, v = std::nextafter(v, 1e9f)) check(v);
        }
    }
    for (float v = -140.0f; v <= 140.0f; v += 0.00390625f) check(v);
    check(std::numeric_limits<float>::quiet_NaN());
    check(std::numeric_limits<float>::infinity());
    check(-std::numeric_limits<float>::infinity());
    EXPECT_GT(checked, 190000);
}
#else
TEST(legacy_oracle, needs_x86_64) { GTEST_SKIP() << "the oracles model ggml's x86-64 float->int conversion"; }
#endif
