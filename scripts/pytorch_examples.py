#!/usr/bin/env python3
"""Trains the Fashion-MNIST examples' models in PyTorch with the examples' settings and prints
the test accuracies: the source of the PyTorch figures quoted in the headers of
examples/fashion_mnist_mlp.cpp, fashion_mnist_cnn.cpp and fashion_mnist_lstm.cpp.

The models, as in those files:
  mlp   784-64-64-10 ReLU MLP, 10 epochs
  cnn   conv(1->8, 3x3, pad 1)-ReLU-maxpool 2-conv(8->16, 3x3, pad 1)-ReLU-maxpool 2-
        flatten-linear(784->10), 3 epochs
  lstm  LSTM(28 -> 64) over the 28 rows of an image, last hidden state -> linear(64->10),
        3 epochs
All: softmax cross-entropy, Adam (lr 1e-3), batch 128, pixels scaled to [0, 1], a fresh
shuffle each epoch, PyTorch's default initialisation; the test accuracy is measured on the
10,000 test images after the last epoch. PyTorch's own random streams differ from axon's, so
the figures are compared as ranges over seeds, not run for run.

  python3 scripts/pytorch_examples.py [--models mlp,cnn,lstm] [--seeds 0,1,2] [--threads 2]
                                      [--dir /usr/share/datasets/fashion-mnist]
Prints one JSON line per (model, seed) and a summary line per model with the range.
"""
import argparse
import gzip
import json
import time

import torch
import torch.nn as nn

EPOCHS = {"mlp": 10, "cnn": 3, "lstm": 3}


def read_idx(path: str) -> torch.Tensor:
    """A gzipped IDX file of uint8 values as a tensor of its shape."""
    with gzip.open(path, "rb") as f:
        raw = bytearray(f.read())
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return torch.frombuffer(raw, dtype=torch.uint8, offset=4 + 4 * ndim).reshape(dims).clone()


class RowLSTM(nn.Module):
    """examples/fashion_mnist_lstm.cpp's RowLSTM: [B,28,28] -> LSTM -> h_n [1,B,64] -> [B,10]."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(28, 64, batch_first=True)
        self.fc = nn.Linear(64, 10)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        _, (h_n, _) = self.lstm(images)
        return self.fc(h_n.reshape(-1, 64))


def build(name: str) -> nn.Module:
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64),
                             nn.ReLU(), nn.Linear(64, 10))
    if name == "cnn":
        return nn.Sequential(nn.Unflatten(1, (1, 28)), nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(784, 10))
    if name == "lstm":
        return RowLSTM()
    raise SystemExit(f"unknown model {name!r} (known: mlp, cnn, lstm)")


def train_one(name: str, seed: int, data: dict, batch: int) -> dict:
    torch.manual_seed(seed)
    model = build(name)
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    images, labels = data["train_x"], data["train_y"]
    n = images.shape[0]
    start = time.perf_counter()
    for _ in range(EPOCHS[name]):
        model.train()
        order = torch.randperm(n)
        for b in range(0, n, batch):
            idx = order[b:b + batch]
            x = images.index_select(0, idx).float().div_(255.0)
            loss = nn.functional.cross_entropy(model(x), labels.index_select(0, idx))
            adam.zero_grad()
            loss.backward()
            adam.step()
    seconds = time.perf_counter() - start
    model.eval()
    correct = 0
    with torch.no_grad():
        for b in range(0, data["test_x"].shape[0], 1000):
            x = data["test_x"][b:b + 1000].float().div_(255.0)
            correct += int((model(x).argmax(1) == data["test_y"][b:b + 1000]).sum())
    return {"model": name, "seed": seed, "epochs": EPOCHS[name],
            "test_accuracy": correct / data["test_x"].shape[0],
            "train_seconds": round(seconds, 1), "threads": torch.get_num_threads(),
            "torch": torch.__version__}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--models", default="mlp,cnn,lstm")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = {"train_x": read_idx(f"{args.dir}/train-images-idx3-ubyte.gz"),
            "train_y": read_idx(f"{args.dir}/train-labels-idx1-ubyte.gz").long(),
            "test_x": read_idx(f"{args.dir}/t10k-images-idx3-ubyte.gz"),
            "test_y": read_idx(f"{args.dir}/t10k-labels-idx1-ubyte.gz").long()}
    for name in args.models.split(","):
        accuracies = []
        for seed in (int(s) for s in args.seeds.split(",")):
            result = train_one(name, seed, data, args.batch)
            accuracies.append(result["test_accuracy"])
            print(json.dumps(result), flush=True)
        print(json.dumps({"model": name, "seeds": len(accuracies),
                          "test_accuracy_min": min(accuracies),
                          "test_accuracy_max": max(accuracies)}), flush=True)


if __name__ == "__main__":
    main()
