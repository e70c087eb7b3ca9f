// expect: T must be a trivially copyable object type \(TensorElement\)
// Tensors hold plain values that can live in raw bytes; a std::string is not one.
#include <qforge/core/tensor.hpp>

#include <string>

int main() {
#ifdef QFORGE_CF_CONTROL
    qforge::tensor<char, qforge::extents<2>> t;
#else
    qforge::tensor<std::string, qforge::extents<2>> t;
#endif
    return static_cast<int>(t.size());
}
