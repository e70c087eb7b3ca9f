// expect: shape mismatch: the static extents differ
// Copying between tensors whose static shapes can never match fails at compile time, at the call.
#include <qforge/core/tensor.hpp>

int main() {
    qforge::tensor<float, qforge::extents<4, 8>> a;
#ifdef QFORGE_CF_CONTROL
    qforge::tensor<float, qforge::extents<4, 8>> b;
#else
    qforge::tensor<float, qforge::extents<4, 9>> b;
#endif
    qforge::copy(a, b);
}
