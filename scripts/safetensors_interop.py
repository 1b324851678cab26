#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Interop between axon's safetensors checkpoints and PyTorch, without the safetensors package.

The format is parsed and written here with NumPy alone (docs/CHECKPOINTS.md), so this script is
also the reference for reading axon checkpoints from Python. Used by tests/io/test_interop.cpp:

  safetensors_interop.py check MODEL DATA
      Reads MODEL (written by C++) into a torch.nn.Sequential of Linear/ReLU built from its
      shapes, runs DATA's "inputs" through it and compares with DATA's "outputs" (the C++
      predictions). Exit status 0 when every value agrees within 1e-5, 1 otherwise.

  safetensors_interop.py export MODEL DATA [--sizes 4,8,3] [--dtype float32|float64] [--seed 0]
      Builds torch.nn.Sequential(Linear, ReLU, ..., Linear) with the given layer sizes, writes
      its state_dict to MODEL and random "inputs" with PyTorch's "outputs" to DATA.
"""
import argparse
import json
import struct
import sys

import numpy as np

DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "U16": "<u2", "I16": "<i2", "U32": "<u4",
    "I32": "<i4", "U64": "<u8", "I64": "<i8", "F16": "<f2", "F32": "<f4", "F64": "<f8",
}
NAMES = {np.dtype(v).str: k for k, v in DTYPES.items()}


def read_safetensors(path):
    """Returns ({name: ndarray}, metadata) after checking the layout."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: shorter than 8 bytes")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > 100_000_000 or 8 + n > len(blob):
        raise ValueError(f"{path}: bad header length {n}")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = memoryview(blob)[8 + n:]
    tensors, spans = {}, []
    for name, entry in header.items():
        dtype = np.dtype(DTYPES[entry["dtype"]])
        shape = tuple(entry["shape"])
        begin, end = entry["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * dtype.itemsize or end > len(data):
            raise ValueError(f"{path}: tensor {name}: offsets disagree with the shape")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype, count=count).reshape(shape)
        spans.append((begin, end))
    position = 0
    for begin, end in sorted(spans):
        if begin != position:
            raise ValueError(f"{path}: tensors overlap or leave a gap at byte {begin}")
        position = end
    if position != len(data):
        raise ValueError(f"{path}: {len(data) - position} bytes after the last tensor")
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: ndarray}: data in the order given, header keys sorted (another order than
    axon's writer uses, so that readers must follow the offsets), padded to 8 bytes."""
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        raw = little.tobytes()
        header[name] = {"dtype": NAMES[little.dtype.str], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = dict(metadata)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def sequential_from_state(state):
    """torch.nn.Sequential of Linear layers at the indices holding weights, ReLU between."""
    import torch

    last = max(int(k.split(".")[0]) for k in state)
    layers = []
    for i in range(last + 1):
        w = state.get(f"{i}.weight")
        if w is None:
            layers.append(torch.nn.ReLU())
        else:
            layers.append(torch.nn.Linear(w.shape[1], w.shape[0], bias=f"{i}.bias" in state))
    model = torch.nn.Sequential(*layers)
    dtype = next(iter(state.values())).dtype
    model = model.double() if dtype == np.float64 else model.float()
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return model


def check(model_path, data_path):
    import torch

    state, _ = read_safetensors(model_path)
    data, _ = read_safetensors(data_path)
    model = sequential_from_state(state)
    with torch.no_grad():
        outputs = model(torch.from_numpy(np.array(data["inputs"]))).numpy()
    expected = data["outputs"]
    worst = float(np.max(np.abs(outputs - expected))) if outputs.size else 0.0
    print(f"check: {len(state)} tensors, outputs {outputs.shape}, max |torch - C++| = {worst:.3g}")
    return 0 if outputs.shape == expected.shape and worst <= 1e-5 else 1


def export(model_path, data_path, sizes, dtype, seed):
    import torch

    torch.manual_seed(seed)
    layers = []
    for i in range(len(sizes) - 1):
        if i:
            layers.append(torch.nn.ReLU())
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    model = torch.nn.Sequential(*layers)
    model = model.double() if dtype == "float64" else model.float()
    inputs = torch.randn(7, sizes[0], dtype=torch.float64 if dtype == "float64" else torch.float32)
    with torch.no_grad():
        outputs = model(inputs)
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    write_safetensors(model_path, state, {"format": "pt", "writer": "safetensors_interop.py"})
    write_safetensors(data_path, {"inputs": inputs.numpy(), "outputs": outputs.numpy()})
    print(f"export: {list(state)} to {model_path}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "export"])
    parser.add_argument("model")
    parser.add_argument("data")
    parser.add_argument("--sizes", default="4,8,3")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.command == "check":
        return check(args.model, args.data)
    sizes = [int(s) for s in args.sizes.split(",")]
    return export(args.model, args.data, sizes, args.dtype, args.seed)


if __name__ == "__main__":
    sys.exit(main())
