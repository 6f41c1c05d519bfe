#!/usr/bin/env python3
"""torch_load_checkpoint.py - an mtlab checkpoint in PyTorch.

Builds mtlab's hard-sharing network (mtl.share.hard) as a torch.nn.Module
whose state_dict names are mtlab's tensor names, loads the run's
checkpoint.safetensors into it with load_state_dict(strict=True), and
recomputes every task's test loss on the run's CSV data (mtl.data.csv) with
the run's split. It prints them beside summary.json's and exits 0 when they
agree (relative difference below 1e-4: float32 sums in another order).

    python3 scripts/torch_load_checkpoint.py RUN_DIR [--csv FILE] [--inputs a,b,c]

--csv defaults to the data file config.json names (relative to the
script); --inputs to the input columns config.json records (data.inputs),
else every column that is not a target, in file order. The file is read
as mtl.data.csv read it: config.json's separator, skipped lines, header
or column names, word labels and standardised targets.
Needs only PyTorch (Debian: python3-torch): the safetensors file is read
with the json module. docs/checkpoints.md describes the format and the
mapping of names.
"""
import argparse
import csv
import json
import math
import os
import struct
import sys

import torch
from torch import nn
import torch.nn.functional as F


def read_safetensors(path):
    """{name: float32 tensor} and the metadata of a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = memoryview(blob)[8 + n:]
    meta = header.pop("__metadata__", {})
    out = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name}: dtype {t['dtype']}, expected F32")
        b, e = t["data_offsets"]
        x = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32)
        out[name] = x.reshape(t["shape"]) if t["shape"] else x.reshape(())
    return out, meta


def torch_state_dict(tensors):
    """The documented mapping from mtlab's tensor names to a torch.nn
    state_dict: the optimiser's state (optim.m.*, optim.v.*) is its own name
    space and is left out; a norm's gamma and beta are torch's weight and
    bias; a batch norm gets torch's num_batches_tracked (0: it matters only
    with momentum=None). Every other name is the same on both sides."""
    sd = {}
    for name, x in tensors.items():
        if name.startswith("optim."):
            continue
        for norm in (".ln.", ".bn."):
            if name.endswith(norm + "gamma"):
                name = name[: -len("gamma")] + "weight"
            elif name.endswith(norm + "beta"):
                name = name[: -len("beta")] + "bias"
        if name.endswith(".bn.running_mean"):
            sd[name[: -len("running_mean")] + "num_batches_tracked"] = torch.tensor(0)
        sd[name] = x
    return sd


ACTIVATIONS = {
    "relu": F.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.01),
    "gelu": lambda x: F.gelu(x, approximate="tanh"),
}


class Dense(nn.Linear):
    """mtlab's hidden layer: dense, bias, optional layer norm (child `ln`)
    or batch norm (child `bn`, its running statistics in eval mode),
    activation."""

    def __init__(self, n_in, n_out, norm, act):
        super().__init__(n_in, n_out)
        if norm == "layer":
            self.ln = nn.LayerNorm(n_out, eps=1e-5)
        elif norm == "batch":
            self.bn = nn.BatchNorm1d(n_out, eps=1e-5)
        self.norm = norm
        self.act = ACTIVATIONS[act]

    def forward(self, x):
        h = super().forward(x)
        if self.norm == "layer":
            h = self.ln(h)
        elif self.norm == "batch":
            h = self.bn(h)
        return self.act(h)


class HardSharing(nn.Module):
    """trunk.<i> shared dense layers, then per task head.<task>.<i> hidden
    layers and head.<task>.out (no activation): mtl.share.hard's names."""

    def __init__(self, n_in, trunk, tasks, norm, act):
        super().__init__()
        self.trunk = nn.ModuleList()
        width = n_in
        for w in trunk:
            self.trunk.append(Dense(width, w, norm, act))
            width = w
        self.head = nn.ModuleDict()
        for name, head, n_out in tasks:
            layers, h = nn.ModuleDict(), width
            for i, w in enumerate(head):
                layers[str(i)] = Dense(h, w, norm, act)
                h = w
            layers["out"] = nn.Linear(h, n_out)
            self.head[name] = layers

    def forward(self, x):
        for layer in self.trunk:
            x = layer(x)
        out = {}
        for name, layers in self.head.items():
            h = x
            for key, layer in layers.items():
                h = layer(h)
            out[name] = h
        return out


# ---- mtlab's split: a seeded Fisher-Yates shuffle (src/core/rng.c,
# src/data/split.c), then the first `train`, the next `val`, the next `test`.
M64 = (1 << 64) - 1
SPLIT_STREAM = 0x73706C6974  # "split"


def splitmix(z):
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def split(n, n_train, n_val, n_test, seed):
    key = splitmix(splitmix(seed) ^ ((SPLIT_STREAM * 0xA0761D6478BD642F + 0x3C6EF372FE94F82A) & M64))
    counter = 0

    def below(m):
        nonlocal counter
        limit = M64 - M64 % m
        while True:
            x = splitmix(key ^ splitmix((counter * 0xD1342543DE82EF95 + 1) & M64))
            counter += 1
            if x < limit:
                return x % m

    perm = list(range(n))
    for i in range(n, 1, -1):
        j = below(i)
        perm[i - 1], perm[j] = perm[j], perm[i - 1]
    return perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:n_train + n_val + n_test]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--csv", help="the data file (default: the one config.json names)")
    ap.add_argument("--inputs", help="input columns, comma-separated (default: config.json's data.inputs)")
    a = ap.parse_args()

    cfg = json.load(open(os.path.join(a.run_dir, "config.json")))
    summary = json.load(open(os.path.join(a.run_dir, "summary.json")))
    topo = cfg["topology"]
    if topo["kind"] != "hard" or topo.get("conv"):
        raise SystemExit(f"this example builds mtl.share.hard without convolutions, not {topo['kind']}")
    data = cfg["data"]
    if data.get("constructor") != "csv":
        raise SystemExit("this example reads mtl.data.csv data")
    p = data["params"]
    path = a.csv
    if not path:  # the script's folder: as recorded (absolute, or from where mtlab ran), or beside the run
        here = os.path.join(os.path.dirname(cfg["script"]), p["path"])
        beside = os.path.join(os.path.dirname(os.path.abspath(a.run_dir)), here)
        path = next((c for c in (here, beside) if os.path.exists(c)), None)
        if not path:
            raise SystemExit(f"cannot find the data file {here}: give it with --csv FILE")

    # the file as mtl.data.csv read it (config.json's data.params): the
    # separator it used (" " = runs of spaces and tabs), the lines skipped,
    # a header or the columns' 1-based positions as names
    sep, skip = p.get("sep", ","), int(p.get("skip", 0))
    with open(path, newline="", encoding="utf-8-sig") as f:
        lines = [ln for ln in f.read().splitlines()[skip:] if ln.strip()]
    if sep == " ":
        rows = [ln.split() for ln in lines]
    else:
        rows = [[c.strip() for c in r] for r in csv.reader(lines, delimiter=sep)]
    if p.get("header", True):
        header, rows = rows[0], rows[1:]
    else:  # the names the script gave (config.json's data.columns), else the positions
        header = data.get("columns") or [str(i + 1) for i in range(len(rows[0]))]
    col = {name: i for i, name in enumerate(header)}
    targets = [t["target"] for t in cfg["tasks"]]
    # the input columns: given, else as config.json records them, else every non-target column
    inputs = a.inputs.split(",") if a.inputs else data.get("inputs") or [h for h in header if h not in targets]
    x = torch.tensor([[float(r[col[c]]) for c in inputs] for r in rows], dtype=torch.float32)
    if x.shape[1] != data["features"] or x.shape[0] != data["examples"]:
        raise SystemExit(f"{path}: {x.shape[0]} rows of {x.shape[1]} inputs, but the run had "
                         f"{data['examples']} of {data['features']}")
    train, val, test = split(len(rows), p["train"], p["val"], p["test"], p["seed"])
    if p.get("standardize"):  # with the training split's mean and (population) sd, in double
        xd = x.double()
        mu = xd[train].mean(0)
        sd = xd[train].std(0, unbiased=False)
        sd[sd < 1e-6] = 1.0
        x = ((xd - mu) / sd).float()

    tasks = [(t["name"], t.get("head", topo["head"]), t.get("classes", t.get("outputs", 1))) for t in cfg["tasks"]]
    model = HardSharing(x.shape[1], topo["trunk"], tasks, topo["norm"], topo["activation"])
    tensors, meta = read_safetensors(os.path.join(a.run_dir, "checkpoint.safetensors"))
    model.load_state_dict(torch_state_dict(tensors), strict=True)
    model.eval()

    with torch.no_grad():
        out = model(x[test])
    worst = 0.0
    labels = data.get("labels", {})          # text classes: the name of each index
    scaled = data.get("standardized_targets", {})  # z-scores: mtlab's losses are in those units
    for t in cfg["tasks"]:
        name, target = t["name"], t["target"]
        cell = [rows[i][col[target]] for i in test]
        have = torch.tensor([c != "" and c != "NA" for c in cell])
        cell = [c for c in cell if c != "" and c != "NA"]
        pred = out[name][have]
        if t["kind"] == "class":
            names = labels.get(target)
            y = torch.tensor([names.index(c) if names else int(float(c)) for c in cell])
            loss = F.cross_entropy(pred.double(), y).item()
        elif t["kind"] == "regress":
            y = torch.tensor([float(c) for c in cell], dtype=torch.float32).reshape(-1, 1).double()
            if target in scaled:  # as mtlab: the float32 value, shifted and scaled in double, back to float32
                y = ((y - scaled[target]["mean"]) / scaled[target]["sd"]).float().double()
            loss = F.mse_loss(pred.double(), y).item()
        else:
            raise SystemExit(f"task {name}: kind {t['kind']} is not covered by this example")
        want = summary["tasks"][name]["test_loss"]
        rel = abs(loss - want) / max(abs(want), 1e-12)
        worst = max(worst, rel)
        print(f"{name:12s} test loss: torch {loss:.9g}  mtlab {want:.9g}  (relative difference {rel:.2e})")
    ok = worst < 1e-4 and not math.isnan(worst)
    print("the losses agree" if ok else "the losses DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
