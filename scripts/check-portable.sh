#!/bin/sh
# check-portable.sh [BUILD] - runs the end-to-end drivers that check the
# experiments' claims under every change that must not matter (see
# tests/README.md, "Claims that hold on any machine"):
#   threads2             OPENBLAS_NUM_THREADS=2 (make test runs them with 1)
#   Haswell, Zen,        OPENBLAS_CORETYPE: OpenBLAS's other kernels (a
#   SkylakeX             different order of every float sum); SkylakeX
#                        only where the CPU has AVX-512 (elsewhere its
#                        kernels die with SIGILL)
#   lr-, lr+             every script's learning rate times 1 -/+ 1e-6
#                        (MTLAB_E2E_LR_SCALE, tests/e2e_util.h)
# The landscape tests (test_e2e_weighting) also run their own perturbed
# variants in every configuration. Build first (make -j2). Prints one line
# per configuration and driver, keeps the logs, and exits 1 if any failed.
# Takes about six times `make test-e2e` (hours on a loaded machine).
set -u
build="${1:-build}"
drivers="${MTLAB_PORTABLE_DRIVERS:-weighting teaching columns experts regs run sweep nonneural data}"
logs="$(mktemp -d "${TMPDIR:-/tmp}/mtlab-portable-XXXXXX")"
for d in $drivers; do
    [ -x "$build/tests/test_e2e_$d" ] || { echo "check-portable: $build/tests/test_e2e_$d is not built (make -j2)" >&2; exit 2; }
done
[ -x "$build/mtlab" ] || { echo "check-portable: $build/mtlab is not built (make -j2)" >&2; exit 2; }

avx512=0
grep -q '\bavx512f\b' /proc/cpuinfo 2>/dev/null && avx512=1
failed=0

# run_config NAME VAR=VALUE...: every driver with those variables set
run_config() {
    name="$1"
    shift
    core="$(env "$@" OPENBLAS_VERBOSE=2 "$build/mtlab" --version 2>&1 | sed -n 's/^Core: //p' | head -n 1)"
    for d in $drivers; do
        log="$logs/$name-$d.log"
        start=$(date +%s)
        if env "$@" MTLAB_BUILD="$build" "$build/tests/test_e2e_$d" >"$log" 2>&1; then
            verdict=ok
        else
            verdict=FAILED
            failed=1
        fi
        printf '%-9s %-10s %-6s %4ss  (OpenBLAS core %s)\n' "$name" "$d" "$verdict" $(($(date +%s) - start)) \
            "${core:-?}"
        [ "$verdict" = ok ] || grep -E '^\[  (ERROR|FAILED) |ERROR:|error:' "$log" | head -n 5 | sed 's/^/    /'
    done
}

run_config threads2 OPENBLAS_NUM_THREADS=2
run_config Haswell OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell
run_config Zen OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Zen
if [ "$avx512" = 1 ]; then
    run_config SkylakeX OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=SkylakeX
else
    echo "SkylakeX  skipped: this CPU has no AVX-512 (OpenBLAS's SkylakeX kernels would stop with SIGILL)"
fi
run_config lr- OPENBLAS_NUM_THREADS=1 MTLAB_E2E_LR_SCALE=0.999999
run_config lr+ OPENBLAS_NUM_THREADS=1 MTLAB_E2E_LR_SCALE=1.000001

echo "logs: $logs"
[ "$failed" = 0 ]
