#!/usr/bin/python3
"""bench_torch.py - the PyTorch side of the engine benchmarks.

    bench_torch.py NAME B H T       as `bench_engine mlp NAME B H T`
    bench_torch.py lenet NAME B N   as `bench_lenet NAME B N`

mlp: a hard-sharing MLP (trunk 784->H->H with ReLU; T heads Linear(H, H/2),
ReLU, Linear(H/2, 10)), softmax cross-entropy per head summed, Adam with its
defaults, one fixed random batch.

lenet: the first N Fashion-MNIST training images (read from Debian's
dataset-fashion-mnist), two 5x5 convolutions of 16 and 32 channels
(padding 2) each with ReLU and 2x2 max-pooling, a shared Linear(1568, 128)
with ReLU, heads Linear(128, 64), ReLU, Linear(64, 10) for the item and
Linear(64, 4) for its coarse group; cross-entropy summed; Adam (lr 1e-3);
shuffled batches of B, epoch after epoch.

Timing rule of both: WARMUP steps, then steps until BENCH_MIN_TIME seconds
(default 2) have passed, at least MIN_STEPS of them; with BENCH_STEPS=N
exactly N (at least MIN_STEPS), as the C side. Runs on OMP_NUM_THREADS
threads (default 2), as the C side on OPENBLAS_NUM_THREADS.
Prints one line:
    torch name=NAME B=.. H=.. T=.. steps=.. samples_per_s=.. peak_mb=..
(lenet adds cpu_samples_per_s: samples per CPU second of the process.)
peak_mb is the process's peak resident set (getrusage).
"""
import gzip
import os
import resource
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

IN, CLASSES, WARMUP, MIN_STEPS = 784, 10, 5, 5
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_GROUP = [0, 1, 0, 0, 0, 2, 0, 2, 3, 2]  # src/data/fashion.c


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed_steps(step):
    """WARMUP steps, then steps until BENCH_MIN_TIME; (steps, seconds, CPU
    seconds of the process)."""
    limit = float(os.environ.get("BENCH_MIN_TIME", "2")) or 2.0
    fixed = int(os.environ.get("BENCH_STEPS", "0"))
    for _ in range(WARMUP):
        step()
    steps, start, cpu0 = 0, time.perf_counter(), time.process_time()
    while True:
        loss = step()
        steps += 1
        if steps >= MIN_STEPS and (steps >= fixed if fixed > 0 else time.perf_counter() - start >= limit):
            break
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    if not torch.isfinite(loss):
        sys.exit(f"bench_torch: the loss became {loss.item()}")
    return steps, elapsed, cpu


class HardSharing(nn.Module):
    def __init__(self, hidden, tasks):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(IN, hidden), nn.ReLU(),
                                   nn.Linear(hidden, hidden), nn.ReLU())
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(hidden, hidden // 2), nn.ReLU(),
                          nn.Linear(hidden // 2, CLASSES))
            for _ in range(tasks))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        h = self.trunk(x)
        return [head(h) for head in self.heads]


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU())
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, c))
            for c in (CLASSES, 4))

    def forward(self, x):
        h = self.trunk(x)
        return [head(h) for head in self.heads]


def fashion(n):
    """The first n training images (n, 1, 28, 28) in [0, 1], items, groups."""
    with gzip.open(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz")) as f:
        f.read(16)
        x = torch.frombuffer(bytearray(f.read(n * 784)), dtype=torch.uint8)
    with gzip.open(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz")) as f:
        f.read(8)
        y = torch.frombuffer(bytearray(f.read(n)), dtype=torch.uint8).long()
    return (x.float() / 255.0).reshape(n, 1, 28, 28), y, torch.tensor(FASHION_GROUP)[y]


def lenet(name, batch, n):
    torch.manual_seed(1234)
    x, item, group = fashion(n)
    model = LeNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    order, pos = torch.randperm(n), 0

    def step():
        nonlocal order, pos
        if pos + batch > n:
            order, pos = torch.randperm(n), 0
        idx = order[pos:pos + batch]
        pos += batch
        opt.zero_grad()
        out = model(x[idx])
        loss = F.cross_entropy(out[0], item[idx]) + F.cross_entropy(out[1], group[idx])
        loss.backward()
        opt.step()
        return loss

    steps, elapsed, cpu = timed_steps(step)
    print(f"torch name={name} B={batch} n={n} steps={steps} "
          f"samples_per_s={batch * steps / elapsed:.1f} "
          f"cpu_samples_per_s={batch * steps / cpu:.1f} peak_mb={peak_mb():.1f}")


def mlp(name, batch, hidden, tasks):
    torch.manual_seed(1234)
    model = HardSharing(hidden, tasks)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, IN)
    ys = [torch.randint(0, CLASSES, (batch,)) for _ in range(tasks)]

    def step():
        opt.zero_grad()
        outs = model(x)
        loss = sum(F.cross_entropy(o, y) for o, y in zip(outs, ys))
        loss.backward()
        opt.step()
        return loss

    steps, elapsed, _ = timed_steps(step)
    print(f"torch name={name} B={batch} H={hidden} T={tasks} steps={steps} "
          f"samples_per_s={batch * steps / elapsed:.1f} peak_mb={peak_mb():.1f}")


def main():
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "lenet":
        lenet(a[1], int(a[2]), int(a[3]))
    elif len(a) == 4:
        mlp(a[0], int(a[1]), int(a[2]), int(a[3]))
    else:
        sys.exit("usage: bench_torch.py NAME B H T | bench_torch.py lenet NAME B N")


if __name__ == "__main__":
    main()
