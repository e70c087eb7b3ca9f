// The backend policies: kernel selection at compile time (fallback chains ending in reference), cpu_auto's
// run-time choice, the thread pool, and that a call allocates nothing in steady state.
#include "check.hpp"

#include <atomic>

using namespace qforge;
using namespace qforge_test;

// A test-only backend that provides nothing: everything must fall back to reference.
struct empty_backend {
    static constexpr bool is_backend = true;
    static constexpr std::string_view backend_name = "empty";
};

static_assert(Backend<reference>);
static_assert(Backend<cpu<xsimd::avx2>>);
static_assert(Backend<cpu_auto>);
static_assert(Backend<threads<2, cpu<xsimd::avx2>>>);
static_assert(Backend<fallback<empty_backend, cpu_auto>>);
static_assert(!Backend<int>);

static_assert(!kernel<op::gemv, empty_backend, q8_0>::available);
static_assert(!provides_kernel<op::gemv, empty_backend, q8_0>);
static_assert(has_kernel<op::gemv, empty_backend, q8_0>); // through reference
static_assert(kernel<op::gemv, reference, q8_0>::available);
static_assert(provides_kernel<op::gemv, fallback<empty_backend, cpu<xsimd::avx2>>, q8_0> == isa_usable<xsimd::avx2>);

// Every (op, format, level) cell of the CPU backend has a SIMD kernel of its own, not the reference fallback:
// each ggml format and instances of each generic family, at every x86 level this translation unit holds
// (tests/backend/x86_64_v2.cpp checks the SSE4.2 cells in a build for that level alone).
using simd_formats =
    boost::mp11::mp_list<f32, f16_format, bf16_format, q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k,
                         iq4_nl, iq4_xs, tq1_0, tq2_0, mxfp4, group_affine<4, 32>, group_affine<3, 64>,
                         block_int<4, 32, true>, block_int<8, 128>, per_channel<std::int8_t, true>::row<256>,
                         per_channel<std::uint8_t, false>::row<64>, binary<64>>;
template <class Arch, class... F>
constexpr bool every_cell(boost::mp11::mp_list<F...>) {
    return (... && (!isa_usable<Arch> ||
                    (provides_kernel<op::gemv, cpu<Arch>, F> && provides_kernel<op::gemm, cpu<Arch>, F>)));
}
static_assert(every_cell<xsimd::sse4_2>(simd_formats{}));
static_assert(every_cell<xsimd::avx2>(simd_formats{}));
static_assert(every_cell<xsimd::avx512bw>(simd_formats{}));
static_assert(every_cell<avx512_vnni>(simd_formats{}));

TEST(backend_policies, fallback_picks_the_first_provider) {
    const std::size_t rows = 11, cols = 96;
    const auto m = make_matrix<q8_0>(random_floats(rows * cols, 21), rows, cols);
    const auto x = random_floats(cols, 22);
    std::vector<float> want(rows), got(rows), simd(rows);
    gemv(reference{}, m.view(), x, std::span<float>(want));
    gemv(empty_backend{}, m.view(), x, std::span<float>(got)); // falls back to reference: same bits
    EXPECT_EQ(0, std::memcmp(want.data(), got.data(), rows * 4));
    gemv(fallback<empty_backend, reference>{}, m.view(), x, std::span<float>(got));
    EXPECT_EQ(0, std::memcmp(want.data(), got.data(), rows * 4));
    if (isa_runnable<xsimd::avx2>()) {
        gemv(cpu<xsimd::avx2>{}, m.view(), x, std::span<float>(simd));
        gemv(fallback<empty_backend, cpu<xsimd::avx2>>{}, m.view(), x, std::span<float>(got));
        EXPECT_EQ(0, std::memcmp(simd.data(), got.data(), rows * 4)); // the avx2 kernel, not reference
    }
}

TEST(backend_policies, cpu_auto_runs_the_best_variant) {
    const isa_level level = cpu_auto_level();
    EXPECT_EQ(static_cast<int>(level) >= static_cast<int>(isa_level::sse4_2), compiled_sse4_2);
    const std::size_t rows = 13, cols = 160;
    const auto m = make_matrix<q8_0>(random_floats(rows * cols, 23), rows, cols);
    const auto x = random_floats(cols, 24);
    std::vector<float> a(rows), b(rows, -1.0f);
    gemv(cpu_auto{}, m.view(), x, std::span<float>(a));
    bool compared = false;
    boost::mp11::mp_for_each<cpu_archs>([&](auto arch) {
        using A = decltype(arch);
        if (isa_usable<A> && isa_traits<A>::level == level) {
            gemv(cpu<A>{}, m.view(), x, std::span<float>(b));
            compared = true;
        }
    });
    ASSERT_TRUE(compared) << to_string(level);
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), rows * 4));
}

TEST(backend_policies, split_rows_covers_every_row_once) {
    for (std::size_t rows : {0u, 1u, 15u, 16u, 17u, 100u, 4096u})
        for (std::size_t count = 1; count <= 5; ++count) {
            std::size_t next = 0;
            for (std::size_t i = 0; i < count; ++i) {
                std::size_t r0 = 0, r1 = 0;
                backend_detail::split_rows(rows, i, count, r0, r1);
                if (r0 >= r1) continue;
                EXPECT_EQ(r0, next);
                EXPECT_EQ(r0 % backend_detail::row_grain, 0u);
                next = r1;
            }
            EXPECT_EQ(next, rows) << rows << " rows, " << count << " threads";
        }
}

TEST(backend_policies, guided_units_claim_every_unit_once_shrinking) {
    for (std::size_t units : {0u, 1u, 2u, 7u, 48u, 2000u})
        for (std::size_t count = 1; count <= 4; ++count) {
            backend_detail::guided_units g(units, count);
            std::size_t next = 0, u0 = 0, u1 = 0, last = units + 1, claims = 0;
            while (g.claim(u0, u1)) {
                EXPECT_EQ(u0, next); // one thread: claims are contiguous and in order
                EXPECT_LT(u0, u1);
                EXPECT_LE(u1 - u0, last) << "claims never grow";
                EXPECT_LE(u1 - u0, std::max<std::size_t>(1, units / (2 * count)));
                last = u1 - u0;
                next = u1;
                ++claims;
            }
            EXPECT_EQ(next, units) << units << " units, " << count << " threads";
            EXPECT_FALSE(g.claim(u0, u1));
            if (units >= 2000) {
                EXPECT_LT(claims, 200u) << "guided, not one unit at a time";
            }
        }
}

// Plain float rows stream through guided claims; the formats with their own far prefetch keep one range each.
static_assert(guided_gemv_rows<f32> && guided_gemv_rows<f16_format> && guided_gemv_rows<bf16_format>);
static_assert(!guided_gemv_rows<q8_0> && !guided_gemv_rows<q4_0> && !guided_gemv_rows<q4_k>);

TEST(backend_policies, thread_pool_runs_every_index) {
    thread_pool pool(4);
    for (int rep = 0; rep < 200; ++rep) {
        std::atomic<unsigned> mask{0};
        pool.run([](void* ctx, std::size_t i, std::size_t n) {
            EXPECT_EQ(n, 4u);
            static_cast<std::atomic<unsigned>*>(ctx)->fetch_or(1u << i);
        }, &mask);
        ASSERT_EQ(mask.load(), 0xfu);
    }
}

TEST(backend_policies, threads_rejects_zero_count) { EXPECT_THROW(threads<0>(0), qforge::error); }

TEST(backend_policies, steady_state_calls_reuse_the_scratch) {
    // The activation scratch is the only storage a call needs: after a warm-up it must not move (grow).
    const std::size_t rows = 64, cols = 256, n = 4;
    const auto m = make_matrix<q8_0>(random_floats(rows * cols, 25), rows, cols);
    const auto x = random_floats(n * cols, 26);
    std::vector<float> y(n * rows);
    threads<0, cpu_auto> be(3);
    gemm(be, m.view(), x, n, y); // warm-up: the scratch grows once
    const auto* before = activation_scratch<q8_0>(1).data();
    for (int rep = 0; rep < 10; ++rep) {
        gemm(be, m.view(), x, n, y);
        gemv(be, m.view(), std::span<const float>(x.data(), cols), std::span<float>(y.data(), rows));
        gemv(cpu_auto{}, m.view(), std::span<const float>(x.data(), cols), std::span<float>(y.data(), rows));
    }
    EXPECT_EQ(activation_scratch<q8_0>(1).data(), before);
}
