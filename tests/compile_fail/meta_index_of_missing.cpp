// expect: qforge::meta::index_of: the type is not in the list
// Asking for the position of a type that is not in a closed list is a compile-time error.
#include <qforge/core/meta.hpp>

using list = qforge::meta::mp_list<float, double>;

int main() {
#ifdef QFORGE_CF_CONTROL
    return static_cast<int>(qforge::meta::index_of<list, double>);
#else
    return static_cast<int>(qforge::meta::index_of<list, int>);
#endif
}
