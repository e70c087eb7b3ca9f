// expect: read-only (data|bytes) needs? a view of const T
// Read-only data (here a const tensor, or read-only mapped bytes) only gives views of const elements.
#include <qforge/core/tensor.hpp>

#include <span>

int main() {
    const std::byte bytes[16] = {};
#ifdef QFORGE_CF_CONTROL
    const auto v = qforge::tensor_view<const float, qforge::extents<4>>::from_bytes(std::span(bytes), {});
#else
    const auto v = qforge::tensor_view<float, qforge::extents<4>>::from_bytes(std::span(bytes), {});
#endif
    return static_cast<int>(v(0));
}
