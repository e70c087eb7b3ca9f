# qforge_add_portable_executable(name source...): one x86-64 executable that holds the program built once
# for every instruction-set level qforge has kernels for (baseline x86-64, SSE4.2, AVX2, AVX-512 BW,
# AVX-512 VNNI), and runs at start-up the best one the CPU supports (capped by QFORGE_ISA; QFORGE_VERBOSE=1
# names it on stderr).
#
# Each level's copy is an OBJECT library ${name}-${level}: compiled with that level's -march flags, its
# `main` renamed (-Dmain=qforge_variant_<level>_main) and every qforge symbol in a namespace of its own
# (-Dqforge=qforge_<level>). They are linked in increasing level order after a baseline dispatcher
# (portable_main.cpp, next to this file). include/qforge/backend/multiarch.hpp explains why.
# The program's sources must define `int main(int argc, char** argv)` (that signature: the dispatcher calls
# it) and must not use the names `main` and `qforge` in other senses.
# Compile options for every copy: target_compile_options(${name}-<level> ...) per level, or pass them to the
# sources; the function links each copy, and the executable, to qforge::qforge.
# Cache variables (INTERNAL): visible to the caller's scope also when qforge came by add_subdirectory.
set(QFORGE_PORTABLE_LEVELS none sse4_2 avx2 avx512bw avx512_vnni CACHE INTERNAL "")
set(QFORGE_PORTABLE_FLAGS_none -march=x86-64 CACHE INTERNAL "")
set(QFORGE_PORTABLE_FLAGS_sse4_2 -march=x86-64-v2 CACHE INTERNAL "")
set(QFORGE_PORTABLE_FLAGS_avx2 -march=x86-64-v3 CACHE INTERNAL "")
set(QFORGE_PORTABLE_FLAGS_avx512bw -march=x86-64-v4 CACHE INTERNAL "")
set(QFORGE_PORTABLE_FLAGS_avx512_vnni -march=x86-64-v4 -mavx512vnni CACHE INTERNAL "")
set(QFORGE_PORTABLE_MAIN ${CMAKE_CURRENT_LIST_DIR}/portable_main.cpp CACHE INTERNAL "")

function(qforge_add_portable_executable name)
  if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$")
    message(FATAL_ERROR "qforge_add_portable_executable(${name}): x86-64 only (this is ${CMAKE_SYSTEM_PROCESSOR})")
  endif()
  add_executable(${name} ${QFORGE_PORTABLE_MAIN})
  target_compile_options(${name} PRIVATE -march=x86-64)
  target_link_libraries(${name} PRIVATE qforge::qforge)
  # Lowest level first: where copies share a symbol (std::, boost::), linkers keep the first definition.
  foreach(level IN LISTS QFORGE_PORTABLE_LEVELS)
    add_library(${name}-${level} OBJECT ${ARGN})
    target_compile_options(${name}-${level} PRIVATE ${QFORGE_PORTABLE_FLAGS_${level}})
    target_compile_definitions(${name}-${level} PRIVATE main=qforge_variant_${level}_main)
    if(NOT level STREQUAL "none")
      target_compile_definitions(${name}-${level} PRIVATE qforge=qforge_${level})
    endif()
    target_link_libraries(${name}-${level} PRIVATE qforge::qforge)
    target_sources(${name} PRIVATE $<TARGET_OBJECTS:${name}-${level}>)
  endforeach()
endfunction()
