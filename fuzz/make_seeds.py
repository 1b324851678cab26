#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the small seed inputs of the fuzz targets to fuzz/corpus/<target>/ (committed; rerun
after changing them). Standard library only."""
import gzip
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def idx(type_code, dims, payload):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw little-endian bytes)."""
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors)


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


# IDX: each element type, a rank-3 file, gzip.
put("idx", "u8_2x2", idx(0x08, [2, 2], bytes([0, 1, 128, 255])))
put("idx", "i16_3", idx(0x0B, [3], struct.pack(">3h", 1, -2, 300)))
put("idx", "f32_1x2x2", idx(0x0D, [1, 2, 2], struct.pack(">4f", 1.5, -2, 0, 3)))
put("idx", "f64_1", idx(0x0E, [1], struct.pack(">d", 0.25)))
put("idx", "i32_empty", idx(0x0C, [0, 5], b""))
put("idx", "u8_gz", gzip.compress(idx(0x08, [3, 2], bytes(range(6))), mtime=0))

# CSV: header and numbers, quotes, CRLF and a byte-order mark, blank lines, exponents.
put("csv", "simple.csv", b"a,b,target\n1,2,3\n4.5,-6,7e-3\n")
put("csv", "quoted.csv", b'"x ""1""",y\n 1 , 2 \n\n3,4\n')
put("csv", "crlf_bom.csv", b"\xef\xbb\xbfp,q\r\n1,2\r\n3,4\r\n")
put("csv", "one_column.csv", b"only\n1\n-2\ninf\n")

# safetensors: the fuzz model's weights (fuzz/targets.hpp: Linear(2,3), ReLU, Linear(3,1)), a
# training checkpoint of it with Adam, other dtypes, an empty file and metadata only.
model = [("0.weight", "F32", [3, 2], f32(*range(6))), ("0.bias", "F32", [3], f32(1, 2, 3)),
         ("2.weight", "F32", [1, 3], f32(0.5, -0.5, 2)), ("2.bias", "F32", [1], f32(-1))]
put("safetensors", "model", safetensors(model))
checkpoint = [("model." + n, d, s, r) for n, d, s, r in model]
checkpoint += [("optimizer.state.0.exp_avg", "F32", [3, 2], f32(*[0.1] * 6)),
               ("optimizer.state.0.exp_avg_sq", "F32", [3, 2], f32(*[0.01] * 6))]
put("safetensors", "training_checkpoint", safetensors(checkpoint, {
    "axon.checkpoint": "training", "axon.version": "1", "epoch": "2", "step": "10",
    "shard_steps": "10", "optimizer": "Adam", "optimizer.param_groups.0.lr": "0.1",
    "optimizer.state.0.step": "10", "generator.dropout.1": "1,2,3,4",
    "scheduler.0.last_epoch": "2", "scheduler.0.base_lrs.0": "0.1", "extra.history": "{}"}))
put("safetensors", "dtypes", safetensors([
    ("d", "F64", [2], struct.pack("<2d", 1.0, 1e300)), ("q", "I64", [2], struct.pack("<2q", -1, 2**60)),
    ("h", "F16", [2], struct.pack("<2H", 0x3C00, 0x7E00)), ("b", "BF16", [1], struct.pack("<H", 0x3F80)),
    ("u", "U8", [3], bytes([1, 2, 3])), ("z", "BOOL", [0, 2], b"")]))
put("safetensors", "empty", safetensors([]))
put("safetensors", "metadata_only", safetensors([], {"format": "pt", "k": "v"}))
