#!/bin/sh
# run-bench.sh BUILD - runs the benchmarks built into BUILD/bench and prints
# one "bench ..." line per case on stdout (details on stderr). Not part of
# `make test`.
#
# Each benchmark binary prints lines of key=value pairs; `field LINE KEY`
# picks one out. To add a family of benchmarks, write tests/bench/<name>.c
# (built by `make bench`), then a shell function below that runs it and
# prints its "bench ..." lines, and call the function at the end.
#
# The machine is shared, so a single timing can be hit by someone else's
# job (PyTorch's thread pool suffers most). Each case therefore runs
# BENCH_REPEAT rounds (default 3) of sgemm, mtlab and PyTorch interleaved,
# and keeps the best of each. BENCH_MIN_TIME (seconds per measurement,
# default 1) is passed to both sides. Threads: OpenBLAS and PyTorch get 2.
set -e
build="${1:-build/bench-o3}"
export OPENBLAS_NUM_THREADS=2
export OMP_NUM_THREADS=2
export BENCH_MIN_TIME="${BENCH_MIN_TIME:-1}"
repeat="${BENCH_REPEAT:-3}"
PY=/usr/bin/python3

field() { # field LINE KEY -> the value of KEY=value in LINE
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

better() { # better A B -> the larger number (B when A is empty)
    awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'
}

# bench_mlp NAME B H T: the hard-sharing MLP in mtlab and in PyTorch, with
# the sgemm n=1024 ceiling measured in the same rounds.
bench_mlp() {
    x="" y="" z="" best=""
    i=0
    while [ "$i" -lt "$repeat" ]; do
        s=$("$build/bench/bench_engine" sgemm 1024)
        m=$("$build/bench/bench_engine" mlp "$1" "$2" "$3" "$4")
        t=$("$PY" scripts/bench_torch.py "$1" "$2" "$3" "$4")
        z=$(better "$z" "$(field "$s" gflops)")
        y=$(better "$y" "$(field "$t" samples_per_s)")
        mx=$(field "$m" samples_per_s)
        if [ "$(better "$x" "$mx")" = "$mx" ]; then x=$mx best=$m; fi
        i=$((i + 1))
    done
    gf=$(field "$best" gflops)
    awk -v n="$1" -v x="$x" -v y="$y" -v gf="$gf" -v z="$z" 'BEGIN {
        printf "bench %s mtlab_samples_per_s=%s torch_samples_per_s=%s ratio=%.2f gflops=%s sgemm_gflops=%s fraction=%.2f\n",
               n, x, y, x / y, gf, z, gf / z }'
    # phases and losses of the best run, for whoever chases a regression
    echo "  detail $1: $(printf '%s' "$best" | cut -d' ' -f6-)" >&2
}

bench_mlp mlp_b64_h256_t2 64 256 2
bench_mlp mlp_b256_h1024_t2 256 1024 2
