#!/usr/bin/env python3
"""The `mlp` workload in PyTorch's Python front end, for machines where libtorch's C++ bench
cannot run (the 16-core device machine has PyTorch in Python but no libtorch-dev).

Same model and loop as bench/torch/mlp.cpp: 784-128-64-10 with ReLU, softmax cross-entropy,
Adam lr 1e-3, one epoch of the 60,000 Fashion-MNIST training images, uint8 in memory and
converted to float [0, 1] per batch inside the timed loop, in a fresh random order each pass.
Prints one JSON line per thread count, in the harness's format, framework "pytorch_python".
Python adds its own per-op cost, so this is a reference point, not the C++ comparison.

  python3 scripts/pytorch_mlp.py [--dir DIR] [--threads 1,2,4] [--batch 128] [--reps 3]
"""
import argparse
import gzip
import json
import resource
import time

import torch


def read_idx(path: str) -> torch.Tensor:
    """A gzipped IDX file of uint8 values as a tensor of its shape."""
    with gzip.open(path, "rb") as f:
        raw = bytearray(f.read())
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return torch.frombuffer(raw, dtype=torch.uint8, offset=4 + 4 * ndim).reshape(dims).clone()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()

    images = read_idx(f"{args.dir}/train-images-idx3-ubyte.gz").reshape(-1, 784)
    labels = read_idx(f"{args.dir}/train-labels-idx1-ubyte.gz").long()
    n = images.shape[0]
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                                    torch.nn.Linear(128, 64), torch.nn.ReLU(),
                                    torch.nn.Linear(64, 10))
        adam = torch.optim.Adam(model.parameters(), lr=1e-3)
        walls = []
        for _ in range(args.reps):
            start = time.perf_counter()
            order = torch.randperm(n)
            for b in range(0, n, args.batch):
                idx = order[b:b + args.batch]
                x = images.index_select(0, idx).float().div_(255.0)
                loss = torch.nn.functional.cross_entropy(model(x), labels.index_select(0, idx))
                adam.zero_grad()
                loss.backward()
                adam.step()
            walls.append(time.perf_counter() - start)
        print(json.dumps({
            "workload": "mlp", "framework": "pytorch_python", "threads": threads,
            "samples_per_second": round(n / min(walls), 1),
            "samples_per_second_median": round(n / sorted(walls)[len(walls) // 2], 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "batch": args.batch, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
