// f16 / bf16: the portable conversions against an independent oracle (values decoded with ldexp in double,
// rounding decided by exact comparisons with midpoints), on every 16-bit pattern and on an f32 sweep that
// hits every rounding boundary; then every fast path (F16C, AVX-512F, AVX-512 BF16) and the hardware's scalar
// F16C instructions against the portable code on the same inputs.
#include <qforge/core/half.hpp>
#include <qforge/core/half_convert.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#if QFORGE_X86_INTRINSICS
#include <immintrin.h>
#endif

using namespace qforge;

namespace {

std::uint32_t bits_of(float f) { return std::bit_cast<std::uint32_t>(f); }
float float_of(std::uint32_t u) { return std::bit_cast<float>(u); }

// ---- the oracle: every non-negative finite value of a 16-bit type as a double, ascending, followed by the
// value the next pattern would have (2^16 for f16, 2^128 for bf16) so that overflow rounds like any other
// boundary (the pattern after the largest finite one is +inf, and it is even).
std::vector<double> f16_table() {
    std::vector<double> t(0x7c01);
    for (int k = 0; k <= 0x7c00; ++k) {
        const int e = k >> 10, m = k & 0x3ff;
        t[k] = e == 0 ? std::ldexp(double(m), -24) : std::ldexp(double(1024 + m), e - 25);
    }
    return t;
}

std::vector<double> bf16_table() {
    std::vector<double> t(0x7f81);
    for (int k = 0; k <= 0x7f80; ++k) {
        const int e = k >> 7, m = k & 0x7f;
        t[k] = e == 0 ? std::ldexp(double(m), -133) : std::ldexp(double(128 + m), e - 134);
    }
    return t;
}

const std::vector<double>& f16_values() {
    static const auto t = f16_table();
    return t;
}
const std::vector<double>& bf16_values() {
    static const auto t = bf16_table();
    return t;
}

// Round a non-NaN float to the nearest table entry, ties to the even pattern. Exact: only comparisons with
// table values and midpoints, all of which a double holds exactly.
std::uint16_t oracle_round(float f, const std::vector<double>& t, std::uint16_t sign_bit) {
    const std::uint16_t sign = std::signbit(f) ? sign_bit : 0;
    const double a = std::fabs(double(f));
    const std::size_t last = t.size() - 1; // the +inf pattern
    if (a >= t[last]) return static_cast<std::uint16_t>(sign | last);
    const std::size_t k = static_cast<std::size_t>(std::upper_bound(t.begin(), t.end(), a) - t.begin()) - 1;
    if (t[k] == a) return static_cast<std::uint16_t>(sign | k);
    const double mid = (t[k] + t[k + 1]) / 2;
    std::size_t r = a < mid ? k : a > mid ? k + 1 : (k % 2 == 0 ? k : k + 1);
    return static_cast<std::uint16_t>(sign | r);
}

// NaN rule (IEEE 754 leaves payloads open; we follow x86): the result is a quiet NaN of the same sign whose
// payload is the top of the source payload.
::testing::AssertionResult f32_to_f16_nan_ok(float f, std::uint16_t h) {
    const std::uint32_t x = bits_of(f);
    const bool ok = (h & 0x7c00) == 0x7c00 && (h & 0x200) != 0 && (h >> 15) == (x >> 31) &&
                    (h & 0x1ff) == ((x >> 13) & 0x1ff);
    if (ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << std::hex << "f32 NaN 0x" << x << " -> f16 0x" << h;
}

::testing::AssertionResult f32_to_bf16_nan_ok(float f, std::uint16_t b) {
    const std::uint32_t x = bits_of(f);
    const bool ok = (b & 0x7f80) == 0x7f80 && (b & 0x40) != 0 && (b >> 15) == (x >> 31) &&
                    (b & 0x3f) == ((x >> 16) & 0x3f);
    if (ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << std::hex << "f32 NaN 0x" << x << " -> bf16 0x" << b;
}

// Inputs around every boundary of a 16-bit type with value table t: each value, each midpoint to the next
// one, 1 and 2 f32 ulps either side of both, with both signs; every f32 exponent with edge and random
// mantissas; a strided walk over all 2^32 patterns.
std::vector<float> boundary_sweep(const std::vector<double>& t) {
    std::vector<float> v;
    const auto around = [&v](float x) {
        v.push_back(x);
        float lo = x, hi = x;
        for (int i = 0; i < 2; ++i) {
            lo = std::nextafter(lo, -INFINITY);
            hi = std::nextafter(hi, INFINITY);
            v.push_back(lo);
            v.push_back(hi);
        }
    };
    for (std::size_t k = 0; k + 1 < t.size(); ++k) {
        around(static_cast<float>(t[k]));
        around(static_cast<float>((t[k] + t[k + 1]) / 2)); // exact in f32
    }
    std::mt19937 rng(12345);
    for (std::uint32_t e = 0; e < 256; ++e) {
        for (std::uint32_t m : {0u, 1u, 2u, 0xfffu, 0x1000u, 0x1001u, 0x2000u, 0x7fffu, 0x8000u, 0x8001u,
                                0x10000u, 0x200000u, 0x3fffffu, 0x400000u, 0x400001u, 0x7fe000u, 0x7fffffu})
            v.push_back(float_of(e << 23 | m));
        for (int r = 0; r < 16; ++r) v.push_back(float_of(e << 23 | (rng() & 0x7fffffu)));
    }
    for (std::uint64_t u = 0; u < (1ull << 32); u += 4093) v.push_back(float_of(static_cast<std::uint32_t>(u)));
    const std::size_t n = v.size();
    for (std::size_t i = 0; i < n; ++i) v.push_back(-v[i]);
    return v;
}

const std::vector<float>& f16_sweep() {
    static const auto v = boundary_sweep(f16_values());
    return v;
}
const std::vector<float>& bf16_sweep() {
    static const auto v = boundary_sweep(bf16_values());
    return v;
}

std::vector<std::uint16_t> all_patterns() {
    std::vector<std::uint16_t> p(65536);
    for (std::uint32_t i = 0; i < 65536; ++i) p[i] = static_cast<std::uint16_t>(i);
    return p;
}

// Bit patterns of the portable conversion of src.
std::vector<std::uint16_t> portable_f16(const std::vector<float>& src) {
    std::vector<std::uint16_t> r(src.size());
    for (std::size_t i = 0; i < src.size(); ++i) r[i] = detail::f32_to_f16_bits(src[i]);
    return r;
}
std::vector<std::uint16_t> portable_bf16(const std::vector<float>& src) {
    std::vector<std::uint16_t> r(src.size());
    for (std::size_t i = 0; i < src.size(); ++i) r[i] = detail::f32_to_bf16_bits(src[i]);
    return r;
}

const half_isa all_isas[] = {half_isa::portable, half_isa::f16c, half_isa::avx512f, half_isa::avx512bf16};

} // namespace

// ---- constants straight from IEEE 754 ------------------------------------------------------------------

TEST(half, known_values) {
    static_assert(f16::from_float(1.0f).bits == 0x3c00);
    static_assert(f16::from_float(-2.0f).bits == 0xc000);
    static_assert(f16::from_float(65504.0f).bits == 0x7bff);
    static_assert(f16::from_float(65520.0f).bits == 0x7c00);          // tie above max rounds to even = inf
    static_assert(f16::from_float(0x1p-24f).bits == 0x0001);          // smallest subnormal
    static_assert(f16::from_float(0x1p-25f).bits == 0x0000);          // tie to even: zero
    static_assert(f16::from_float(0x1.8p-24f).bits == 0x0002);        // tie to even: 2
    static_assert(f16::from_bits(0x3555).to_float() == 0x1.554p-2f);  // 0.333251953125
    static_assert(bf16::from_float(1.0f).bits == 0x3f80);
    static_assert(bf16::from_float(0x1.01p0f).bits == 0x3f80);        // tie to even (down)
    static_assert(bf16::from_float(0x1.03p0f).bits == 0x3f82);        // tie to even (up)
    static_assert(bf16::from_float(3.4028235e38f).bits == 0x7f80);     // FLT_MAX rounds to inf
    static_assert(bf16::from_bits(0xc040).to_float() == -3.0f);
    EXPECT_EQ(f16::from_float(-0.0f).bits, 0x8000);
    EXPECT_TRUE(std::isnan(f16::from_bits(0x7c01).to_float()));
}

// ---- every 16-bit pattern --------------------------------------------------------------------------------

TEST(half, f16_all_patterns_to_f32_and_back) {
    for (std::uint32_t i = 0; i < 65536; ++i) {
        const auto h = static_cast<std::uint16_t>(i);
        const float f = f16::from_bits(h).to_float();
        const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
        const bool neg = (h & 0x8000) != 0;
        if (e == 31 && m != 0) {
            ASSERT_TRUE(std::isnan(f)) << std::hex << h;
            const std::uint32_t x = bits_of(f);
            ASSERT_EQ(x >> 31, static_cast<std::uint32_t>(neg)) << std::hex << h;
            ASSERT_EQ((x >> 13) & 0x3ff, static_cast<std::uint32_t>(m | 0x200)) << std::hex << h; // quieted
            ASSERT_EQ(x & 0x1fff, 0u) << std::hex << h;
            ASSERT_EQ(f16::from_float(f).bits, h | 0x200) << std::hex << h; // NaN stays NaN
            continue;
        }
        const double mag = e == 31 ? INFINITY : f16_values()[h & 0x7fff];
        ASSERT_EQ(double(f), neg ? -mag : mag) << std::hex << h;
        ASSERT_EQ(std::signbit(f), neg) << std::hex << h;
        ASSERT_EQ(f16::from_float(f).bits, h) << std::hex << h;
    }
}

TEST(half, bf16_all_patterns_to_f32_and_back) {
    for (std::uint32_t i = 0; i < 65536; ++i) {
        const auto b = static_cast<std::uint16_t>(i);
        const float f = bf16::from_bits(b).to_float();
        const int e = (b >> 7) & 0xff, m = b & 0x7f;
        const bool neg = (b & 0x8000) != 0;
        if (e == 255 && m != 0) {
            ASSERT_TRUE(std::isnan(f)) << std::hex << b;
            ASSERT_EQ(bits_of(f), std::uint32_t(b) << 16) << std::hex << b; // widening keeps every bit
            ASSERT_EQ(bf16::from_float(f).bits, b | 0x40) << std::hex << b; // NaN stays NaN, quieted
            continue;
        }
        const double mag = e == 255 ? INFINITY : bf16_values()[b & 0x7fff];
        ASSERT_EQ(double(f), neg ? -mag : mag) << std::hex << b;
        ASSERT_EQ(std::signbit(f), neg) << std::hex << b;
        ASSERT_EQ(bf16::from_float(f).bits, b) << std::hex << b;
    }
}

// ---- f32 -> 16 bits on every rounding boundary ----------------------------------------------------------

TEST(half, f32_to_f16_matches_oracle_on_boundary_sweep) {
    const auto& sweep = f16_sweep();
    ASSERT_GT(sweep.size(), 1'000'000u);
    for (const float f : sweep) {
        const std::uint16_t got = f16::from_float(f).bits;
        if (std::isnan(f)) {
            ASSERT_TRUE(f32_to_f16_nan_ok(f, got));
            continue;
        }
        ASSERT_EQ(got, oracle_round(f, f16_values(), 0x8000)) << std::hexfloat << f;
    }
}

TEST(half, f32_to_bf16_matches_oracle_on_boundary_sweep) {
    const auto& sweep = bf16_sweep();
    ASSERT_GT(sweep.size(), 1'000'000u);
    for (const float f : sweep) {
        const std::uint16_t got = bf16::from_float(f).bits;
        if (std::isnan(f)) {
            ASSERT_TRUE(f32_to_bf16_nan_ok(f, got));
            continue;
        }
        ASSERT_EQ(got, oracle_round(f, bf16_values(), 0x8000)) << std::hexfloat << f;
    }
}

// ---- fast paths agree with the portable definition bit for bit ------------------------------------------

namespace {

// Runs every available path of a conversion over src at several start offsets (unaligned loads) and lengths
// (every tail length), comparing with the portable bits.
void check_f32_to_16(half_conversion c, const std::vector<float>& src, const std::vector<std::uint16_t>& want) {
    int ran = 0;
    for (const half_isa isa : all_isas) {
        if (!supports(c, isa, cpu_features::current())) continue;
        ++ran;
        SCOPED_TRACE(std::string(to_string(isa)));
        for (std::size_t off : {0u, 1u, 7u}) {
            for (std::size_t cut : {0u, 1u, 15u}) {
                const std::size_t n = src.size() - off - cut;
                std::vector<std::uint16_t> got(n, 0xdead);
                const std::span<const float> s(src.data() + off, n);
                if (c == half_conversion::f32_to_f16)
                    convert_f32_to_f16(s, std::span(reinterpret_cast<f16*>(got.data()), n), isa);
                else
                    convert_f32_to_bf16(s, std::span(reinterpret_cast<bf16*>(got.data()), n), isa);
                for (std::size_t i = 0; i < n; ++i)
                    ASSERT_EQ(got[i], want[off + i]) << "at " << off + i << ": " << std::hex << bits_of(src[off + i]);
            }
        }
    }
    EXPECT_GE(ran, 1);
}

void check_16_to_f32(half_conversion c) {
    const auto p = all_patterns();
    for (const half_isa isa : all_isas) {
        if (!supports(c, isa, cpu_features::current())) continue;
        SCOPED_TRACE(std::string(to_string(isa)));
        for (std::size_t off : {0u, 3u}) {
            const std::size_t n = p.size() - off - 5;
            std::vector<float> got(n);
            if (c == half_conversion::f16_to_f32)
                convert_f16_to_f32(std::span(reinterpret_cast<const f16*>(p.data()) + off, n), got, isa);
            else
                convert_bf16_to_f32(std::span(reinterpret_cast<const bf16*>(p.data()) + off, n), got, isa);
            for (std::size_t i = 0; i < n; ++i) {
                const auto h = p[off + i];
                const float want = c == half_conversion::f16_to_f32 ? detail::f16_bits_to_f32(h) : detail::bf16_bits_to_f32(h);
                ASSERT_EQ(bits_of(got[i]), bits_of(want)) << std::hex << h;
            }
        }
    }
}

#if QFORGE_X86_INTRINSICS
// MXCSR with flush-to-zero and denormals-are-zero set, restored on scope exit: a caller's float mode must not
// change the conversions (the portable code is integer arithmetic, so it cannot).
struct ftz_daz_scope {
    unsigned saved = _mm_getcsr();
    ftz_daz_scope() { _mm_setcsr(saved | 0x8040u); }
    ~ftz_daz_scope() { _mm_setcsr(saved); }
};
#endif

} // namespace

TEST(half_convert, f32_to_f16_every_path) {
    check_f32_to_16(half_conversion::f32_to_f16, f16_sweep(), portable_f16(f16_sweep()));
}
TEST(half_convert, f32_to_bf16_every_path) {
    check_f32_to_16(half_conversion::f32_to_bf16, bf16_sweep(), portable_bf16(bf16_sweep()));
}
TEST(half_convert, f32_to_bf16_every_path_on_the_f16_sweep) {
    // The f16 sweep is dense in f32 subnormals' neighbourhood too; more inputs for the BF16 fix-up.
    check_f32_to_16(half_conversion::f32_to_bf16, f16_sweep(), portable_bf16(f16_sweep()));
}
TEST(half_convert, f16_to_f32_every_path) { check_16_to_f32(half_conversion::f16_to_f32); }
TEST(half_convert, bf16_to_f32_every_path) { check_16_to_f32(half_conversion::bf16_to_f32); }

#if QFORGE_X86_INTRINSICS
TEST(half_convert, every_path_under_ftz_daz) {
    const auto want16 = portable_f16(f16_sweep());
    const auto wantb = portable_bf16(bf16_sweep());
    ftz_daz_scope mode;
    check_f32_to_16(half_conversion::f32_to_f16, f16_sweep(), want16);
    check_f32_to_16(half_conversion::f32_to_bf16, bf16_sweep(), wantb);
    check_16_to_f32(half_conversion::f16_to_f32);
    check_16_to_f32(half_conversion::bf16_to_f32);
}
#endif

TEST(half_convert, default_path_is_the_best_one) {
    const auto& cpu = cpu_features::current();
    if (cpu.avx512f) {
        EXPECT_EQ(best_half_isa(half_conversion::f32_to_f16, cpu), half_isa::avx512f);
    }
    if (cpu.avx512bf16) {
        EXPECT_EQ(best_half_isa(half_conversion::f32_to_bf16, cpu), half_isa::avx512bf16);
    }
    EXPECT_EQ(best_half_isa(half_conversion::f16_to_f32, cpu_features{}), half_isa::portable);
    const std::vector<float> x = {1.0f, -0.5f, 65520.0f, 0x1p-25f, 1e-40f, NAN, 3.0f, 0.1f, 7.0f, 8.0f,
                                  9.0f, 10.0f, 11.0f, 12.0f, 13.0f, 14.0f, 15.0f, 16.5f};
    std::vector<f16> h(x.size());
    std::vector<bf16> b(x.size());
    convert_f32_to_f16(x, h);
    convert_f32_to_bf16(x, b);
    std::vector<float> back(x.size());
    convert_f16_to_f32(h, back);
    for (std::size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(h[i], f16::from_float(x[i]));
        EXPECT_EQ(b[i], bf16::from_float(x[i]));
        EXPECT_EQ(bits_of(back[i]), bits_of(h[i].to_float()));
    }
    convert_bf16_to_f32(b, back);
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(bits_of(back[i]), bits_of(b[i].to_float()));
}

TEST(half_convert, errors) {
    std::vector<float> x(5);
    std::vector<f16> h(4);
    std::vector<bf16> b(5);
    try {
        convert_f32_to_f16(x, h);
        FAIL() << "size mismatch accepted";
    } catch (const error& e) {
        EXPECT_EQ(e.code(), errc::shape);
        EXPECT_NE(std::string(e.what()).find("5"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("4"), std::string::npos) << e.what();
    }
    // F16C converts f16 only: asking it for bf16 is refused on every machine.
    EXPECT_THROW(convert_f32_to_bf16(x, b, half_isa::f16c), error);
    EXPECT_THROW(convert_bf16_to_f32(b, x, half_isa::avx512bf16), error);
}

// ---- against the hardware's own scalar instructions ------------------------------------------------------

#if QFORGE_X86_INTRINSICS
namespace {
// The scalar forms of vcvtps2ph / vcvtph2ps (_cvtss_sh expands to a C99 compound literal in clang's headers,
// which -Wpedantic rejects, so the 128-bit intrinsics are used on one lane).
QFORGE_TARGET("f16c") std::uint16_t hw_f32_to_f16(float f) {
    const __m128i h = _mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return static_cast<std::uint16_t>(_mm_cvtsi128_si32(h) & 0xffff);
}
QFORGE_TARGET("f16c") float hw_f16_to_f32(std::uint16_t h) { return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h))); }
} // namespace

TEST(half, matches_hardware_f16c) {
    if (!cpu_features::current().f16c) GTEST_SKIP() << "no F16C on this CPU";
    for (const float f : f16_sweep())
        ASSERT_EQ(f16::from_float(f).bits, hw_f32_to_f16(f)) << std::hex << bits_of(f);
    for (std::uint32_t i = 0; i < 65536; ++i) {
        const auto h = static_cast<std::uint16_t>(i);
        ASSERT_EQ(bits_of(f16::from_bits(h).to_float()), bits_of(hw_f16_to_f32(h))) << std::hex << h;
    }
}
#endif
