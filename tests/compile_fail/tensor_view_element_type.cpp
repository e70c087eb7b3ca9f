// expect: tensor_view<T, Extents>: element type mismatch: the pointer does not point to T
// A view of floats cannot be made over ints.
#include <qforge/core/tensor.hpp>

int main() {
#ifdef QFORGE_CF_CONTROL
    float data[4] = {};
#else
    int data[4] = {};
#endif
    const qforge::tensor_view<float, qforge::extents<4>> v(data, qforge::extents<4>{});
    return static_cast<int>(v(0));
}
