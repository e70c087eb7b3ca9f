#!/bin/sh
# tests/cross/run.sh SOURCE_DIR WORK_DIR: cross-compiles tests/cross/neon64.cpp for AArch64 and runs it under
# qemu-user. Exits 77 (ctest: skipped) with a message when the cross compiler or qemu is missing
# (scripts/setup installs both: g++-aarch64-linux-gnu, qemu-user).
set -eu
src=$1
work=$2
cxx=${QFORGE_CROSS_CXX:-aarch64-linux-gnu-g++}
if ! command -v "$cxx" >/dev/null 2>&1; then
    echo "skipped: no AArch64 cross compiler ($cxx); apt-get install g++-aarch64-linux-gnu"
    exit 77
fi
mkdir -p "$work/inc"
# Only the header-only dependencies from the host (never the host's libc or libstdc++ headers).
for d in xsimd boost eigen3; do ln -sfn "/usr/include/$d" "$work/inc/$d"; done
"$cxx" -std=c++20 -O2 -Wall -Wextra -Wpedantic -Werror -I"$src/include" -isystem "$work/inc" \
    -isystem "$work/inc/eigen3" "$src/tests/cross/neon64.cpp" -o "$work/neon64"
echo "cross-compiled: $(file -b "$work/neon64" 2>/dev/null | cut -d, -f1-2)"
if ! command -v qemu-aarch64 >/dev/null 2>&1; then
    echo "skipped running: no qemu-aarch64; apt-get install qemu-user"
    exit 77
fi
exec qemu-aarch64 -L /usr/aarch64-linux-gnu "$work/neon64"
