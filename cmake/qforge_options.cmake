# Build settings for qforge's own targets (tests, tools, examples, benchmarks).
# Dependency headers arrive through imported targets and are therefore SYSTEM includes: -Werror applies
# to our code only.

# Warnings and sanitizers (every target of ours); qforge_build_flags adds -march=native where asked.
add_library(qforge_warning_flags INTERFACE)
target_compile_options(qforge_warning_flags INTERFACE -Wall -Wextra -Wpedantic -Werror)
if(QFORGE_SANITIZE)
  target_compile_options(qforge_warning_flags INTERFACE -fsanitize=${QFORGE_SANITIZE} -fno-omit-frame-pointer
                         -fno-sanitize-recover=all)
  target_link_options(qforge_warning_flags INTERFACE -fsanitize=${QFORGE_SANITIZE})
endif()
add_library(qforge_build_flags INTERFACE)
target_link_libraries(qforge_build_flags INTERFACE qforge_warning_flags)
if(QFORGE_NATIVE)
  target_compile_options(qforge_build_flags INTERFACE -march=native)
endif()

# qforge_add_program(name sources...): an executable with our warnings policy, linked to the library.
function(qforge_add_program name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE qforge::qforge qforge_build_flags)
endfunction()

