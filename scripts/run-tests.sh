#!/bin/sh
# run-tests.sh BUILD TEST... - runs each cmocka driver, prints a summary
# line "N passed, N failed" and exits non-zero if any driver failed.
build="$1"; shift
export MTLAB_BUILD="$build"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
pass=0; fail=0; failed=""
for t in "$@"; do
    if "$t"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        failed="$failed $(basename "$t")"
    fi
done
echo
[ -n "$failed" ] && echo "failed drivers:$failed"
echo "drivers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
