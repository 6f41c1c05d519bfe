#!/usr/bin/python3
"""bench_torch.py NAME B H T - the PyTorch side of tests/bench/bench_engine.c.

Same model, data and timing rule as `bench_engine mlp NAME B H T`:
a hard-sharing MLP (trunk 784->H->H with ReLU; T heads Linear(H, H/2), ReLU,
Linear(H/2, 10)), softmax cross-entropy per head summed, Adam with its
defaults, one fixed random batch; WARMUP steps, then steps until
BENCH_MIN_TIME seconds (default 2) have passed, at least MIN_STEPS of them.
Runs on 2 threads. Prints one line:
    torch name=NAME B=.. H=.. T=.. steps=.. samples_per_s=..
"""
import os
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

IN, CLASSES, WARMUP, MIN_STEPS = 784, 10, 5, 5


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


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: bench_torch.py NAME B H T")
    name, batch, hidden, tasks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    limit = float(os.environ.get("BENCH_MIN_TIME", "2")) or 2.0
    torch.set_num_threads(2)
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

    for _ in range(WARMUP):
        step()
    steps, start = 0, time.perf_counter()
    while True:
        loss = step()
        steps += 1
        if steps >= MIN_STEPS and time.perf_counter() - start >= limit:
            break
    elapsed = time.perf_counter() - start
    if not torch.isfinite(loss):
        sys.exit(f"bench_torch: {name}: loss became {loss.item()}")
    print(f"torch name={name} B={batch} H={hidden} T={tasks} steps={steps} "
          f"samples_per_s={batch * steps / elapsed:.1f}")


if __name__ == "__main__":
    main()
