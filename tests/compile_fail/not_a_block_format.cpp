// expect: BlockFormat
// A block-format parameter only accepts block formats: the error names the BlockFormat concept.
#include <qforge/block/matrix.hpp>
#include <qforge/block/q8_0.hpp>

int main() {
#ifdef QFORGE_CF_CONTROL
    qforge::qmatrix_view<qforge::q8_0> m;
#else
    qforge::qmatrix_view<int> m;
#endif
    return static_cast<int>(m.rows);
}
