#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes tests/nn/golden_losses.hpp: PyTorch reference values for nn/losses.* and
nn/regularization.* on fixed inputs (float64).

Regenerate (needs torch; run from the repository root):
    /usr/bin/python3 scripts/golden_losses.py > tests/nn/golden_losses.hpp
"""
import numpy as np
import torch
import torch.nn.functional as F

from golden_header import out, print_header
from golden_header import emit as emit_any

torch.set_default_dtype(torch.float64)
rng = np.random.RandomState(20240611)


def emit(name, values):
    """Losses are 0-d (a scalar) and class indices integers (a std::size_t array)."""
    emit_any(name, values, typed=True)


def leaf(a):
    return torch.tensor(a, requires_grad=True)


def run(name, fn, tensors, reductions=("none", "mean", "sum"), constant=()):
    """Emits fn's value for each reduction and, for 'mean', the gradient of every tensor (except
    the indices in `constant`, which PyTorch does not differentiate)."""
    for r in reductions:
        xs = [torch.tensor(t, requires_grad=k not in constant) for k, t in enumerate(tensors)]
        y = fn(*xs, r)
        emit(f"{name}_{r}", y)
        if r == "mean":
            y.backward()
            for k, x in enumerate(xs):
                if k not in constant:
                    emit(f"{name}_grad{k}", x.grad)


# ---- regression: input and target [3,4] ----
reg_input = rng.randn(3, 4) * 1.5
reg_target = rng.randn(3, 4)
reg_target[0, 0] = reg_input[0, 0]  # d = 0: l1/smooth_l1 slope 0
emit("reg_input", reg_input)
emit("reg_target", reg_target)
run("mse", lambda x, t, r: F.mse_loss(x, t, reduction=r), [reg_input, reg_target])
run("l1", lambda x, t, r: F.l1_loss(x, t, reduction=r), [reg_input, reg_target])
run("huber", lambda x, t, r: F.huber_loss(x, t, reduction=r, delta=1.0), [reg_input, reg_target])
run("huber_half", lambda x, t, r: F.huber_loss(x, t, reduction=r, delta=0.5),
    [reg_input, reg_target])
run("smooth_l1", lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=1.0),
    [reg_input, reg_target])
run("smooth_l1_half", lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.5),
    [reg_input, reg_target])
run("smooth_l1_zero", lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.0),
    [reg_input, reg_target])

# ---- binary cross-entropy on probabilities [3,4], soft targets ----
bce_probs = rng.uniform(0.02, 0.98, (3, 4))
bce_target = rng.uniform(0.0, 1.0, (3, 4))
bce_target[1, :2] = [0.0, 1.0]
emit("bce_probs", bce_probs)
emit("bce_target", bce_target)
run("bce", lambda p, t, r: F.binary_cross_entropy(p, t, reduction=r), [bce_probs, bce_target])
# probabilities 0 and 1: logs clamped at -100
bce_edge_probs = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
bce_edge_target = np.array([0.0, 0.0, 1.0, 1.0, 0.3])
emit("bce_edge_probs", bce_edge_probs)
emit("bce_edge_target", bce_edge_target)
run("bce_edge", lambda p, t, r: F.binary_cross_entropy(p, t, reduction=r),
    [bce_edge_probs, bce_edge_target], ("none", "mean"), constant=(1,))

# ---- binary cross-entropy with logits [3,4], pos_weight [4] ----
bcel_logits = rng.randn(3, 4) * 3
bcel_target = rng.uniform(0.0, 1.0, (3, 4))
bcel_pos_weight = rng.uniform(0.5, 3.0, (4,))
emit("bcel_logits", bcel_logits)
emit("bcel_target", bcel_target)
emit("bcel_pos_weight", bcel_pos_weight)
run("bcel", lambda x, t, r: F.binary_cross_entropy_with_logits(x, t, reduction=r),
    [bcel_logits, bcel_target])
run("bcel_pw",
    lambda x, t, w, r: F.binary_cross_entropy_with_logits(x, t, reduction=r, pos_weight=w),
    [bcel_logits, bcel_target, bcel_pos_weight], constant=(2,))
# huge logits
bcel_big_logits = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 30.0, -30.0, 50.0])
bcel_big_target = np.array([1.0, 1.0, 0.0, 0.0, 0.5, 0.2, 0.7, 1.0])
emit("bcel_big_logits", bcel_big_logits)
emit("bcel_big_target", bcel_big_target)
run("bcel_big", lambda x, t, r: F.binary_cross_entropy_with_logits(x, t, reduction=r),
    [bcel_big_logits, bcel_big_target], ("none", "mean"))

# ---- cross-entropy with labels: logits [4,5] ----
ce_logits = rng.randn(4, 5) * 2
ce_labels = np.array([3, 0, 4, 1], dtype=np.uint64)
emit("ce_logits", ce_logits)
emit("ce_labels", ce_labels)
labels_t = torch.tensor(ce_labels.astype(np.int64))
for tag, eps in (("", 0.0), ("_ls1", 0.1), ("_ls3", 0.3)):
    run("ce" + tag,
        lambda x, r, eps=eps: F.cross_entropy(x, labels_t, reduction=r, label_smoothing=eps),
        [ce_logits])
# one sample of rank 1
run("ce_rank1", lambda x, r: F.cross_entropy(x, torch.tensor(2), reduction=r), [ce_logits[1]])
# huge logits
ce_big_logits = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 5e3], [1e4, 1e4, -1e4]])
ce_big_labels = np.array([1, 0, 1], dtype=np.uint64)
emit("ce_big_logits", ce_big_logits)
emit("ce_big_labels", ce_big_labels)
big_t = torch.tensor(ce_big_labels.astype(np.int64))
run("ce_big", lambda x, r: F.cross_entropy(x, big_t, reduction=r), [ce_big_logits])
run("ce_big_ls1", lambda x, r: F.cross_entropy(x, big_t, reduction=r, label_smoothing=0.1),
    [ce_big_logits])

# ---- cross-entropy with target probabilities: logits [4,5] ----
ce_soft_target = rng.uniform(0.0, 1.0, (4, 5))
ce_soft_target /= ce_soft_target.sum(axis=1, keepdims=True)
emit("ce_soft_target", ce_soft_target)
for tag, eps in (("", 0.0), ("_ls2", 0.2)):
    run("ce_soft" + tag,
        lambda x, t, r, eps=eps: F.cross_entropy(x, t, reduction=r, label_smoothing=eps),
        [ce_logits, ce_soft_target])

# ---- nll on log-probabilities [4,5] ----
nll_log_probs = torch.log_softmax(torch.tensor(rng.randn(4, 5)), dim=1).numpy()
emit("nll_log_probs", nll_log_probs)
run("nll", lambda x, r: F.nll_loss(x, labels_t, reduction=r), [nll_log_probs])

# ---- penalties: params [3,4] and [5], lambda 0.01 ----
pen_w0 = rng.randn(3, 4)
pen_w1 = rng.randn(5)
pen_w1[2] = 0.0
emit("pen_w0", pen_w0)
emit("pen_w1", pen_w1)
for name, f in (("l1_penalty", lambda w: w.abs().sum()), ("l2_penalty", lambda w: (w * w).sum())):
    w0, w1 = leaf(pen_w0), leaf(pen_w1)
    y = 0.01 * (f(w0) + f(w1))
    y.backward()
    emit(f"{name}_value", y)
    emit(f"{name}_grad0", w0.grad)
    emit(f"{name}_grad1", w1.grad)

print_header(["Generated by scripts/golden_losses.py from PyTorch " + torch.__version__.split("+")[0] +
              " (float64); do not",
              "edit. Regenerate: /usr/bin/python3 scripts/golden_losses.py > tests/nn/golden_losses.hpp",
              "Names: <case>_<reduction> are the losses for reduction none/mean/sum, <case>_grad<k> the",
              "gradient of the mean loss with respect to the case's k-th tensor argument."],
             "axon::test::golden", includes=["cstddef"])
