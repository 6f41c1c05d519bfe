#!/bin/sh
# run-fuzz.sh FUZZ_DIR MODE AMOUNT HARNESS... - runs the libFuzzer harnesses
# built by `make fuzz-build` (FUZZ_DIR/fuzz_<harness>).
#
#   MODE smoke:    AMOUNT inputs of each (fixed seed, at most 8 s each), new
#                  inputs thrown away; what `make test` runs.
#   MODE campaign: AMOUNT seconds of each; what it finds that is new goes to
#                  FUZZ_DIR/corpus/<harness>/ and is fuzzed again next time.
#
# Every run reads FUZZ_DIR/seeds/<harness>/ (written by the project's code)
# and tests/fuzz/regress/<harness>/ (inputs that once crashed). A crash
# leaves FUZZ_DIR/crashes/<harness>-crash-<sha1>; reproduce it with
#   FUZZ_DIR/fuzz_<harness> FILE
# and, once fixed, copy FILE into tests/fuzz/regress/<harness>/.
# Exits non-zero if any harness failed.
dir="$1"; mode="$2"; amount="$3"; shift 3
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export OPENBLAS_NUM_THREADS=1
mkdir -p "$dir/crashes" "$dir/logs"
fail=0
for h in "$@"; do
    regress="tests/fuzz/regress/$h"
    mkdir -p "$regress"
    if [ "$mode" = smoke ]; then
        work="$dir/work/$h"
        rm -rf "$work" && mkdir -p "$work"
        opts="-runs=$amount -seed=1 -max_total_time=8"
    else
        work="$dir/corpus/$h"
        mkdir -p "$work"
        opts="-max_total_time=$amount"
    fi
    log="$dir/logs/$h.log"
    # shellcheck disable=SC2086
    if "$dir/fuzz_$h" $opts -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/crashes/$h-" "$work" "$dir/seeds/$h" "$regress" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "fuzz $h: ok, ${runs:-?} inputs (${secs:-?}/s)"
    else
        fail=1
        echo "fuzz $h: FAILED (log: $log)"
        grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -20
    fi
done
[ "$mode" = smoke ] && rm -rf "$dir/work"
exit $fail
