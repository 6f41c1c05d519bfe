#!/bin/sh
# make test-claims: every experiment's claim checked over the seeds and
# data draws it states (mtlab run --claims-thorough; a claim on an
# mtl.sweep by mtlab sweep, whose seeds are the sweep's). Not part of
# `make test`, which checks every claim on the shipped seeds.
#
#   sh scripts/test-claims.sh [BUILD_DIR] [EXPERIMENT ...]
#
# JOBS (default 2) runs at a time; OUT (default BUILD_DIR/claims) keeps
# every run folder and each experiment's claims-thorough.json. Prints one
# line per experiment and the total time; exits 1 when a claim failed.
set -u
build=${1:-build}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
mtlab="$root/$build/mtlab"
out=${OUT:-$root/$build/claims}
jobs=${JOBS:-2}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
if [ $# -gt 0 ]; then
    list=""
    for e in "$@"; do list="$list $root/experiments/${e%.lua}.lua"; done
else
    list=$(ls "$root"/experiments/*.lua)
fi
mkdir -p "$out"
start=$(date +%s)
failed=0
n=0
for script in $list; do
    name=$(basename "$script" .lua)
    n=$((n + 1))
    t0=$(date +%s)
    case "$name" in
    01_hard_sharing_fashion | 26_mtan)
        if [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
            echo "claims: $name: skipped (no Fashion-MNIST: sh scripts/setup.sh installs it)"
            continue
        fi ;;
    60_seattle_weather)
        if [ ! -e /usr/lib/python3/dist-packages/vega_datasets/_data/seattle-weather.csv ]; then
            echo "claims: $name: skipped (no python3-vega-datasets: sh scripts/setup.sh installs it)"
            continue
        fi ;;
    esac
    if "$mtlab" check "$script" 2>/dev/null | grep -q "checked by mtlab sweep"; then
        "$mtlab" sweep "$script" --out "$out/$name" -j "$jobs" --quiet > "$out/$name.log" 2>&1
    else
        "$mtlab" run "$script" --claims-thorough -j "$jobs" --out "$out/$name" --force --quiet \
            > "$out/$name.log" 2>&1
    fi
    rc=$?
    t=$(( $(date +%s) - t0 ))
    if [ $rc -eq 0 ]; then
        echo "claims: $name: held (${t}s)"
    else
        failed=$((failed + 1))
        echo "claims: $name: FAILED, exit $rc (${t}s); see $out/$name.log"
        grep -A1 "^claim" "$out/$name.log" | sed 's/^/    /'
    fi
done
echo "claims: $n experiments, $failed failed, $(( $(date +%s) - start ))s with $jobs jobs"
[ $failed -eq 0 ]
