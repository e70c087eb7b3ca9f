// A user's program: quantizes a vector to q8_0 and checks the round trip. Exit code 0 means the installed
// (or add_subdirectory'd) qforge works.
#include <qforge/qforge.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main(int, char**) { // the signature qforge_add_portable_executable needs
    std::vector<float> x(64);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.1f * static_cast<float>(i));
    std::vector<qforge::q8_0::block> q(x.size() / qforge::q8_0::block_size);
    qforge::q8_0::quantize(x, q);
    std::vector<float> y(x.size());
    qforge::q8_0::dequantize(q, y);
    float err = 0;
    for (std::size_t i = 0; i < x.size(); ++i) err = std::fmax(err, std::fabs(x[i] - y[i]));
    std::printf("qforge consumer: q8_0 round trip max error %g\n", err);
    return err < 0.01f ? 0 : 1;
}
