// The dispatcher of a portable program (qforge_add_portable_program in qforge_options.cmake): compiled for
// baseline x86-64, it runs the best of the program's per-level builds that the CPU supports.
#include <qforge/backend/multiarch.hpp>

int qforge_variant_none_main(int, char**);
int qforge_variant_sse4_2_main(int, char**);
int qforge_variant_avx2_main(int, char**);
int qforge_variant_avx512bw_main(int, char**);
int qforge_variant_avx512_vnni_main(int, char**);

int main(int argc, char** argv) {
    using qforge::isa_level;
    return qforge::multiarch::dispatch(argc, argv,
                                       {{isa_level::avx512_vnni, &qforge_variant_avx512_vnni_main},
                                        {isa_level::avx512, &qforge_variant_avx512bw_main},
                                        {isa_level::avx2, &qforge_variant_avx2_main},
                                        {isa_level::sse4_2, &qforge_variant_sse4_2_main},
                                        {isa_level::none, &qforge_variant_none_main}});
}
