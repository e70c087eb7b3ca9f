#!/bin/sh
# tests/portable/run.sh PROGRAM SHARED_DIR: qforge-run-portable (one build per x86-64 ISA level, chosen at
# start-up) generates aidreams260K's golden greedy ids (llama2.c's, token for token)
#   - natively, with every QFORGE_ISA cap: each level's build runs and agrees;
#   - under qemu-x86_64 with CPU models that lack AVX-512 (Haswell: the avx2 build), AVX2 (Nehalem: the
#     sse4_2 build) and SSE4.2 (core2duo: the baseline build). A stray instruction of a higher level in the
#     code a lower build runs (a symbol the linker took from the wrong copy) would stop it with SIGILL.
# Exits 77 (ctest: skipped) without the shared models; the qemu part is skipped, with a message, without
# qemu-x86_64 (scripts/setup installs qemu-user).
set -eu
prog=$1
shared=$2
model="$shared/models/aidreams260K.gguf"
golden="$shared/golden/llm/aidreams260K.i-dreamed-of-n120.ids"
if [ ! -f "$model" ] || [ ! -f "$golden" ]; then
    echo "skipped: $model or $golden is missing"
    exit 77
fi
want=$(sed -n 's/^gen: //p' "$golden" | tr -s ' \n' ' ' | sed 's/ $//')
fail=0

# check LABEL EXPECTED_BUILD COMMAND...: runs the command, compares the ids and the build it reports.
check() {
    label=$1
    build=$2
    shift 2
    status=0
    out=$(QFORGE_VERBOSE=1 QFORGE_NO_PROGRESS=1 "$@" -m "$model" -p "I dreamed of" -n 120 --temp 0 --ids -t 2 \
        2>"$tmp/err") || status=$?
    if [ "$status" -ne 0 ]; then
        echo "FAIL $label: exit status $status ($(tail -n 3 "$tmp/err" | tr '\n' ' '))"
        fail=1
        return
    fi
    got=$(echo "$out" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
    ran=$(sed -n 's/^qforge: running the \([a-z0-9_]*\) build.*/\1/p' "$tmp/err")
    if [ "$ran" != "$build" ]; then
        echo "FAIL $label: ran the '$ran' build, expected '$build'"
        fail=1
    elif [ "$got" != "$want" ]; then
        echo "FAIL $label ($ran build): ids differ from llama2.c's"
        echo "  got:  $got"
        echo "  want: $want"
        fail=1
    else
        echo "ok   $label: the $ran build, 120 ids equal llama2.c's"
    fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

native=$(QFORGE_VERBOSE=1 "$prog" --help 2>&1 >/dev/null | sed -n 's/.*(CPU level \([a-z0-9_]*\)).*/\1/p')
echo "this CPU: level $native"
for level in avx512_vnni avx512bw avx2 sse4_2 none; do
    case "$native:$level" in
    none:sse4_2 | none:avx2 | none:avx512* | sse4_2:avx2 | sse4_2:avx512* | avx2:avx512* | avx512bw:avx512_vnni)
        echo "skip $level: above this CPU" ;;
    *) QFORGE_ISA=$level check "native, QFORGE_ISA=$level" "$level" "$prog" ;;
    esac
done

if command -v qemu-x86_64 >/dev/null 2>&1; then
    check "qemu-x86_64 -cpu Haswell (no AVX-512)" avx2 qemu-x86_64 -cpu Haswell "$prog"
    check "qemu-x86_64 -cpu Nehalem (no AVX)" sse4_2 qemu-x86_64 -cpu Nehalem "$prog"
    check "qemu-x86_64 -cpu core2duo (no SSE4.2)" none qemu-x86_64 -cpu core2duo "$prog"
else
    echo "skipped the emulated CPUs: no qemu-x86_64 (apt-get install qemu-user)"
fi
exit $fail
