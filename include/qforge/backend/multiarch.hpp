// qforge/backend/multiarch.hpp: one portable x86-64 binary that holds a program built once per
// instruction-set level and runs, at start-up, the best build the CPU supports.
//
// The kernels are compiled with their translation unit's flags (docs/backends.md, "Which arch variants a
// binary holds"): a program built for baseline x86-64 holds no SIMD kernel, one built with -march=native may
// not start on an older CPU. A portable program is therefore compiled once per level:
//   - with that level's -march flags (x86-64, x86-64-v2, -v3, -v4, -v4 + VNNI);
//   - with its `main` renamed to qforge_variant_<level>_main (-Dmain=...);
//   - with every qforge symbol moved to a namespace of its own (-Dqforge=qforge_<level>), so that no inline
//     function or template compiled for one level can stand in for another level's at link time.
// The copies are linked in increasing level order: for a symbol several copies share (std::, boost::
// instantiations), linkers keep the first definition, which is then one compiled for the lowest level that
// uses it — safe for every caller. A baseline dispatcher (this header's dispatch(), compiled with plain
// x86-64 flags) reads the CPU's level once (capped by QFORGE_ISA) and calls the best build that runs.
// cmake/qforgePortable.cmake's qforge_add_portable_executable() (installed with the package) sets all this
// up; cmake/portable_main.cpp is the dispatcher. Tested under qemu-x86_64 with CPU models that lack AVX2 and SSE4.2 (tests/portable/).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "qforge/backend/cpu/arch.hpp"

namespace qforge::multiarch {

using entry = int (*)(int, char**);

// One build of the program: the level it was compiled for and its renamed main.
struct variant {
    isa_level level;
    entry main;
};

// Runs the first of `variants` (best first) whose level the CPU supports; QFORGE_VERBOSE=1 names it on
// stderr.
inline int dispatch(int argc, char** argv, std::initializer_list<variant> variants) {
    const isa_level cpu = cpu_isa();
    for (const variant& v : variants) {
        const bool runs = v.level == isa_level::none ||
                          (cpu != isa_level::neon64 && static_cast<int>(v.level) <= static_cast<int>(cpu));
        if (!runs) continue;
        const char* verbose = std::getenv("QFORGE_VERBOSE");
        if (verbose != nullptr && *verbose != '\0' && *verbose != '0')
            std::fprintf(stderr, "qforge: running the %s build of this program (CPU level %s)\n",
                         to_string(v.level).data(), to_string(cpu).data());
        return v.main(argc, argv);
    }
    std::fprintf(stderr, "qforge: no build of this program runs on this CPU (level %s)\n", to_string(cpu).data());
    return 1;
}

} // namespace qforge::multiarch
