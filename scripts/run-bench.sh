#!/bin/sh
# run-bench.sh BUILD - runs the benchmarks built into BUILD/bench and prints
# one "bench ..." line per case. Not part of `make test`.
#
# Each benchmark binary prints lines of key=value pairs; `field LINE KEY`
# picks one out. To add a family of benchmarks, write tests/bench/<name>.c
# (built by `make bench`), then a shell function below that runs it and
# prints its "bench ..." lines, and call the function at the end.
#
# Threads: OpenBLAS and PyTorch both get 2 (the machine's cores).
# BENCH_MIN_TIME (seconds per case, default 2) is passed through to both.
set -e
build="${1:-build/bench-o3}"
export OPENBLAS_NUM_THREADS=2
export OMP_NUM_THREADS=2
PY=/usr/bin/python3

field() { # field LINE KEY -> the value of KEY=value in LINE
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# sgemm at n=1024, the ceiling the engine's GFLOP/s is compared with. It is
# re-measured before each case: on a shared machine the load changes
# within a run, and the fraction should compare like with like.
sgemm_ref() {
    sgemm=$(field "$("$build/bench/bench_engine" sgemm 1024)" gflops)
}

# bench_mlp NAME B H T: the hard-sharing MLP in mtlab and in PyTorch.
bench_mlp() {
    sgemm_ref
    m=$("$build/bench/bench_engine" mlp "$1" "$2" "$3" "$4")
    t=$("$PY" scripts/bench_torch.py "$1" "$2" "$3" "$4")
    x=$(field "$m" samples_per_s)
    y=$(field "$t" samples_per_s)
    gf=$(field "$m" gflops)
    awk -v n="$1" -v x="$x" -v y="$y" -v gf="$gf" -v z="$sgemm" 'BEGIN {
        printf "bench %s mtlab_samples_per_s=%s torch_samples_per_s=%s ratio=%.2f gflops=%s sgemm_gflops=%s fraction=%.2f\n",
               n, x, y, x / y, gf, z, gf / z }'
    # phases and losses, for whoever is chasing a regression
    echo "  detail $1: $(printf '%s' "$m" | cut -d' ' -f6-)" >&2
}

bench_mlp mlp_b64_h256_t2 64 256 2
bench_mlp mlp_b256_h1024_t2 256 1024 2
