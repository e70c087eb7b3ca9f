// qforge/ops/interleaved.hpp: y = W x (and Y = W X) for q4_k and q6_k weights in the 8-row interleaved layouts
// of backend/cpu/q4_k_x8.hpp and q6_k_x8.hpp, which an engine builds once at load time (load_options::interleave).
//
//   auto w8 = q4_k_x8_matrix::pack(view);   // owned copy (unpack_row gives the original blocks back, bit for bit)
//   if (interleaved_usable(be)) gemv(be, w8, x, y);
//
// interleaved_usable(be) says whether the backend policy runs this layout with its own instructions: cpu<avx512_vnni>,
// cpu_auto on a machine where it picks that level, threads<> over either. Elsewhere the calls still work (a
// scalar loop with the same bits), but a policy that names a lower level should keep the original layout.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>

#include "qforge/backend.hpp"
#include "qforge/backend/cpu/f32_x16.hpp"
#include "qforge/backend/cpu/q4_k_x8.hpp"
#include "qforge/backend/cpu/q6_k_x8.hpp"
#include "qforge/ops/quantize_act.hpp"

namespace qforge {

// The interleaved matrix types, and for each its kernel and name.
template <class M>
concept interleaved_matrix = std::same_as<M, q4_k_x8_matrix> || std::same_as<M, q6_k_x8_matrix>;

namespace cpu_detail {
inline void interleaved_gemm(const q4_k_x8_matrix& w, const q8_k::block* xq, std::size_t n, float* y, std::size_t r0,
                             std::size_t r1) {
    q4_k_x8_gemm(w, xq, n, y, r0, r1);
}
inline void interleaved_gemm(const q6_k_x8_matrix& w, const q8_k::block* xq, std::size_t n, float* y, std::size_t r0,
                             std::size_t r1) {
    q6_k_x8_gemm(w, xq, n, y, r0, r1);
}
template <interleaved_matrix M>
std::string interleaved_name() {
    return std::string(M::format::name) + "_x8";
}
} // namespace cpu_detail

template <Backend B>
bool interleaved_usable([[maybe_unused]] const B& be) noexcept {
#if QFORGE_Q4_K_X8_SIMD && QFORGE_Q6_K_X8_SIMD && defined(__AVX512BW__)
    if constexpr (std::is_same_v<B, cpu<avx512_vnni>>) return true;
    else if constexpr (std::is_same_v<B, cpu_auto>) return cpu_auto_level() == isa_level::avx512_vnni;
    else if constexpr (requires { be.inner; typename B::inner_backend; }) return interleaved_usable(be.inner);
    else return false;
#else
    return false;
#endif
}

// Y (n x w.rows()) = X (n x w.cols()) W^T; n == 1 is the GEMV. Rows are split over the backend's threads in
// 16-row units (each output computed by one thread with the same code: any thread count gives the same bits).
template <Backend B, interleaved_matrix M>
void gemm(const B& be, const M& w, std::span<const float> x, std::size_t n, std::span<float> y) {
    if (x.size() != n * w.cols() || y.size() != n * w.rows())
        throw error(errc::shape, "gemm (" + cpu_detail::interleaved_name<M>() + "): weight " +
                                     std::to_string(w.rows()) + "x" + std::to_string(w.cols()) + ", n = " +
                                     std::to_string(n) + ", X has " + std::to_string(x.size()) + " values, Y has " +
                                     std::to_string(y.size()));
    if (w.rows() == 0 || n == 0) return;
    const auto xq = quantize_rows<q8_k>(be, x, n, w.cols());
    const auto* a = static_cast<const q8_k::block*>(xq.data());
    constexpr std::size_t unit = 16;
    parallel_for(be, (w.rows() + unit - 1) / unit, [&](std::size_t, std::size_t u0, std::size_t u1) {
        cpu_detail::interleaved_gemm(w, a, n, y.data(), u0 * unit, std::min(w.rows(), u1 * unit));
    });
}

template <Backend B, interleaved_matrix M>
void gemv(const B& be, const M& w, std::span<const float> x, std::span<float> y) {
    if (x.size() != w.cols() || y.size() != w.rows())
        throw error(errc::shape, "gemv (" + cpu_detail::interleaved_name<M>() + "): weight " +
                                     std::to_string(w.rows()) + "x" + std::to_string(w.cols()) + ", x has " +
                                     std::to_string(x.size()) + " values, y has " + std::to_string(y.size()));
    gemm(be, w, x, 1, y);
}

// Whether the backend runs f32_x16_matrix (16-row k-major f32 panels, backend/cpu/f32_x16.hpp) with AVX-512:
// cpu<Arch> at an AVX-512 level, cpu_auto where it picks one, threads<> over either. Elsewhere the calls still
// work (a scalar loop with the same bits), but slowly.
template <Backend B>
bool f32_x16_usable([[maybe_unused]] const B& be) noexcept {
#if QFORGE_ARCH_X86_64 && defined(__AVX512F__)
    if constexpr (requires { typename B::arch; }) {
        return static_cast<int>(isa_traits<typename B::arch>::level) >= static_cast<int>(isa_level::avx512);
    } else if constexpr (std::is_same_v<B, cpu_auto>) {
        return static_cast<int>(cpu_auto_level()) >= static_cast<int>(isa_level::avx512);
    } else if constexpr (requires { be.inner; typename B::inner_backend; }) {
        return f32_x16_usable(be.inner);
    } else {
        return false;
    }
#else
    return false;
#endif
}

// Y (n x w.rows()) = X (n x w.cols()) W^T for f32 weights in the 16-row panel layout; n == 1 is the GEMV. Rows
// are shared out in 16-row panels: guided claims for the GEMV (a weight stream, as for file-layout f32), one
// range per thread for the GEMM. Each output is computed by one thread with the same code: any thread count
// gives the same bits.
template <Backend B>
void gemm(const B& be, const f32_x16_matrix& w, std::span<const float> x, std::size_t n, std::span<float> y) {
    if (x.size() != n * w.cols() || y.size() != n * w.rows())
        throw error(errc::shape, "gemm (f32_x16): weight " + std::to_string(w.rows()) + "x" + std::to_string(w.cols()) +
                                     ", n = " + std::to_string(n) + ", X has " + std::to_string(x.size()) +
                                     " values, Y has " + std::to_string(y.size()));
    if (w.rows() == 0 || n == 0) return;
    constexpr std::size_t unit = f32_x16_matrix::panel_rows;
    const auto part = [&](std::size_t, std::size_t u0, std::size_t u1) {
        cpu_detail::f32_x16_gemm(w, x.data(), n, y.data(), u0 * unit, std::min(w.rows(), u1 * unit));
    };
    if (n == 1) parallel_for_guided(be, w.panels(), part);
    else parallel_for(be, w.panels(), part);
}

template <Backend B>
void gemv(const B& be, const f32_x16_matrix& w, std::span<const float> x, std::span<float> y) {
    if (x.size() != w.cols() || y.size() != w.rows())
        throw error(errc::shape, "gemv (f32_x16): weight " + std::to_string(w.rows()) + "x" + std::to_string(w.cols()) +
                                     ", x has " + std::to_string(x.size()) + " values, y has " +
                                     std::to_string(y.size()));
    gemm(be, w, x, 1, y);
}

} // namespace qforge
