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
# side by side: a ratio is the median of the ratios within a round (the
# two sides of a round see the same machine), and the samples/s printed
# are the best of each side. BENCH_MIN_TIME (seconds per measurement,
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

median() { # median "X Y Z ..." -> the median of the numbers
    printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
        else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() { # ratio A B -> A / B
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.4f", a / b; else print "nan" }'
}

# bench_mlp NAME B H T: the hard-sharing MLP in mtlab and in PyTorch, with
# the sgemm n=1024 ceiling measured in the same rounds.
bench_mlp() {
    x="" y="" z="" best="" rs="" fs=""
    i=0
    while [ "$i" -lt "$repeat" ]; do
        s=$("$build/bench/bench_engine" sgemm 1024)
        m=$("$build/bench/bench_engine" mlp "$1" "$2" "$3" "$4")
        t=$("$PY" scripts/bench_torch.py "$1" "$2" "$3" "$4")
        z=$(better "$z" "$(field "$s" gflops)")
        y=$(better "$y" "$(field "$t" samples_per_s)")
        mx=$(field "$m" samples_per_s)
        if [ "$(better "$x" "$mx")" = "$mx" ]; then x=$mx best=$m; fi
        rs="$rs $(ratio "$mx" "$(field "$t" samples_per_s)")"
        fs="$fs $(ratio "$(field "$m" gflops)" "$(field "$s" gflops)")"
        i=$((i + 1))
    done
    gf=$(field "$best" gflops)
    awk -v n="$1" -v x="$x" -v y="$y" -v r="$(median "$rs")" -v gf="$gf" -v z="$z" -v f="$(median "$fs")" 'BEGIN {
        printf "bench %s mtlab_samples_per_s=%s torch_samples_per_s=%s ratio=%.2f gflops=%s sgemm_gflops=%s fraction=%.2f\n",
               n, x, y, r, gf, z, f }'
    # phases and losses of the best run, for whoever chases a regression
    echo "  detail $1: $(printf '%s' "$best" | cut -d' ' -f6-) ratios:$rs fractions:$fs" >&2
}

# bench_pertask NAME T: one training step of the small bench model through
# the trainer with equal weighting and with pcgrad (T backward passes into
# the arena, then the combination); tests/bench/bench_weighting.c times
# both side by side in short rounds: ratio is the median of the rounds'
# wall-time ratios, cpu_ratio of their CPU-time ratios. The issue's
# target: pcgrad at most (T+1)/2 times equal.
bench_pertask() {
    m=$("$build/bench/bench_weighting" pertask "$1" 64 256 "$2" pcgrad)
    echo "bench $1 equal_ms=$(field "$m" equal_ms) pcgrad_ms=$(field "$m" method_ms)" \
         "ratio=$(field "$m" ratio) cpu_ratio=$(field "$m" cpu_ratio) target=$(field "$m" target)"
    echo "  detail $1: $m" >&2
}

# bench_lenet NAME B N: the LeNet-style hard-sharing network on the first
# N Fashion-MNIST images (tests/bench/bench_lenet.c) in mtlab and in
# PyTorch (scripts/bench_torch.py lenet), with each process's peak memory
# (getrusage maxrss). Rounds interleave the two; ratio is the median of
# the rounds' ratios of samples/s, cpu_ratio of samples per CPU second
# (both sides' threads, spinning included); peak memory is the largest
# seen. The issue's targets: ratio >= 2 and mtlab's peak memory at most
# PyTorch's.
bench_lenet() {
    x="" y="" mx_mb=0 ty_mb=0 best="" rs="" cs=""
    i=0
    while [ "$i" -lt "$repeat" ]; do
        m=$("$build/bench/bench_lenet" "$1" "$2" "$3")
        t=$("$PY" scripts/bench_torch.py lenet "$1" "$2" "$3")
        y=$(better "$y" "$(field "$t" samples_per_s)")
        mx=$(field "$m" samples_per_s)
        if [ "$(better "$x" "$mx")" = "$mx" ]; then x=$mx best=$m; fi
        rs="$rs $(ratio "$mx" "$(field "$t" samples_per_s)")"
        cs="$cs $(ratio "$(field "$m" cpu_samples_per_s)" "$(field "$t" cpu_samples_per_s)")"
        mx_mb=$(better "$mx_mb" "$(field "$m" peak_mb)")
        ty_mb=$(better "$ty_mb" "$(field "$t" peak_mb)")
        i=$((i + 1))
    done
    awk -v n="$1" -v x="$x" -v y="$y" -v r="$(median "$rs")" -v c="$(median "$cs")" -v a="$mx_mb" -v b="$ty_mb" 'BEGIN {
        printf "bench %s mtlab_samples_per_s=%s torch_samples_per_s=%s ratio=%.2f cpu_ratio=%.2f mtlab_peak_mb=%s torch_peak_mb=%s target=2\n",
               n, x, y, r, c, a, b }'
    echo "  detail $1: $best ratios:$rs cpu_ratios:$cs" >&2
}

# bench_tasks NAME T: T binary heads of 16 units on the 784->256->256
# trunk, B = 128; step time of equal weighting and, as ratios to it,
# pcgrad, mgda and mgda with rep_grad (tests/bench/bench_weighting.c). The
# issue's target: mgda with rep_grad at most 2x equal at T = 40.
bench_tasks() {
    m=$("$build/bench/bench_weighting" tasks "$1" 128 256 "$2")
    echo "bench $1 equal_ms=$(field "$m" equal_ms) pcgrad=$(field "$m" pcgrad) mgda=$(field "$m" mgda)" \
         "mgda_rep_grad=$(field "$m" mgda_rep) cpu_mgda_rep_grad=$(field "$m" cpu_mgda_rep) target=2"
    echo "  detail $1: $m" >&2
}

# bench_screen: the workbench against headless on the small bench model
# (tests/bench/bench_screen.lua, BENCH_SCREEN_STEPS steps, default 2500).
# Headless is `mtlab run`; the workbench runs in a detached tmux session
# of 160x48 with --exit-when-done. Both write summary.json with the wall
# time from the trainer's creation to the end; samples/s = steps * 64 /
# wall time. Rounds interleave the two and keep the best of each.
summary_num() { # summary_num FILE KEY -> the number of "KEY": in FILE
    sed -n "s/.*\"$2\":[[:space:]]*\([-0-9.eE+]*\).*/\1/p" "$1" | head -n 1
}

screen_rate() { # screen_rate DIR -> samples/s of the run in DIR, or nothing
    [ -f "$1/summary.json" ] || return 0
    awk -v s="$(summary_num "$1/summary.json" steps)" -v w="$(summary_num "$1/summary.json" wall_time_s)" \
        'BEGIN { if (w > 0) printf "%.1f", s * 64 / w }'
}

bench_screen() {
    if ! command -v tmux >/dev/null; then
        echo "bench screen skipped: tmux is not installed" >&2
        return 0
    fi
    steps="${BENCH_SCREEN_STEPS:-2500}"
    script=tests/bench/bench_screen.lua
    tmp=$(mktemp -d /tmp/mtlab-bench-screen-XXXXXX)
    sess="mtlab-bench-$$"
    h="" s=""
    i=0
    while [ "$i" -lt "$repeat" ]; do
        "$build/mtlab" run "$script" --quiet --out "$tmp/h$i" --set train.steps="$steps" >/dev/null
        h=$(better "$h" "$(screen_rate "$tmp/h$i")")
        tmux new-session -d -s "$sess" -x 160 -y 48 \
            "'$build/mtlab' '$script' --exit-when-done --out '$tmp/s$i' --set train.steps=$steps"
        waited=0
        while tmux has-session -t "$sess" 2>/dev/null && [ "$waited" -lt 600 ]; do
            sleep 1
            waited=$((waited + 1))
        done
        tmux kill-session -t "$sess" 2>/dev/null || true
        r=$(screen_rate "$tmp/s$i")
        if [ -z "$r" ]; then
            echo "bench screen: the workbench wrote no summary.json (round $i)" >&2
        else
            s=$(better "$s" "$r")
        fi
        i=$((i + 1))
    done
    rm -rf "$tmp"
    awk -v h="$h" -v s="$s" 'BEGIN {
        printf "bench screen headless_samples_per_s=%s screen_samples_per_s=%s ratio=%.3f target=0.95\n",
               h, s, (h > 0 && s > 0) ? s / h : 0 }'
}

bench_mlp mlp_b64_h256_t2 64 256 2
bench_mlp mlp_b256_h1024_t2 256 1024 2
bench_pertask pertask_t2 2
bench_pertask pertask_t4 4
bench_lenet lenet 64 10000
bench_tasks tasks40 40
bench_screen
