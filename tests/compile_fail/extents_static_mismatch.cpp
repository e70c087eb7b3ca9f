// expect: qforge::extents: shape mismatch: the static extents differ
// Converting a shape to one whose static extents contradict it fails at compile time.
#include <qforge/core/extents.hpp>

int main() {
#ifdef QFORGE_CF_CONTROL
    constexpr qforge::extents<4, qforge::dynamic> e = qforge::extents<4, 8>{};
#else
    constexpr qforge::extents<4, 9> e = qforge::extents<4, 8>{};
#endif
    return static_cast<int>(e.size());
}
