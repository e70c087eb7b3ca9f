// expect: no backend provides a kernel for this \(operation, format\)
// An operation that no backend of the chain (and not reference) provides must stop the build with a message
// naming the operation, the format and the backends tried (no_kernel<Op, Format, BackendsTried...>).
#include <qforge/backend.hpp>

struct my_op {}; // an operation nobody implements

#ifdef QFORGE_CF_CONTROL
template <>
struct qforge::kernel<my_op, qforge::reference, qforge::q8_0> {
    static constexpr bool available = true;
    static void run(const qforge::reference&, int) {}
};
#endif

int main() { qforge::invoke<my_op, qforge::q8_0>(qforge::fallback<qforge::cpu<xsimd::avx2>>{}, 1); }
