#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes tests/optim/golden_optim.hpp: reference values from PyTorch for axon's optim/ tests.

Run from anywhere with Debian's Python (it needs torch):
    /usr/bin/python3 scripts/golden_optim.py

It records, in float64:
  * for every optimizer and option set, the parameters after each of 5 steps on a fixed problem;
  * for every learning-rate scheduler, the lr of two parameter groups after construction and after
    each of 12 steps;
  * for gradient clipping, the total norm and the clipped gradients.
The C++ tests (tests/optim/test_golden.cpp) build the same optimizers by case name.
"""

import math
import os

import torch

torch.set_default_dtype(torch.float64)

STEPS = 5
SCHEDULER_STEPS = 12

# The problem: parameters w [2,3], b [3], v [2] and the loss
#   sum((w * x + b - y)^2) + 0.25 sum(b^4) + sum((1 - v)^2 + 10 (v^2 - 0.5)^2)
# made only of elementwise ops and sums, with non-trivial, coupled gradients.
X = [[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]]
Y = [[1.0, 0.5, -1.5], [-0.5, 2.0, 0.25]]
W0 = [[0.3, -0.8, 1.1], [0.9, -0.4, 0.2]]
B0 = [0.1, -0.6, 0.45]
V0 = [-0.7, 1.3]


def make_params():
    return [torch.tensor(W0, requires_grad=True), torch.tensor(B0, requires_grad=True),
            torch.tensor(V0, requires_grad=True)]


def loss_fn(w, b, v):
    x, y = torch.tensor(X), torch.tensor(Y)
    return (((w * x + b - y) ** 2).sum() + 0.25 * (b ** 4).sum()
            + ((1 - v) ** 2 + 10 * (v ** 2 - 0.5) ** 2).sum())


O = torch.optim
# name -> function(params) -> optimizer. Keep in step with the table in test_golden.cpp.
OPTIMIZERS = {
    "sgd_plain": lambda p: O.SGD(p, lr=0.01, foreach=False),
    "sgd_momentum": lambda p: O.SGD(p, lr=0.01, momentum=0.9, foreach=False),
    "sgd_dampening": lambda p: O.SGD(p, lr=0.01, momentum=0.9, dampening=0.3, foreach=False),
    "sgd_nesterov": lambda p: O.SGD(p, lr=0.01, momentum=0.9, nesterov=True, foreach=False),
    "sgd_weight_decay": lambda p: O.SGD(p, lr=0.01, momentum=0.5, weight_decay=0.1,
                                        foreach=False),
    "sgd_maximize": lambda p: O.SGD(p, lr=0.002, momentum=0.9, maximize=True, foreach=False),
    "sgd_groups": lambda p: O.SGD([{"params": [p[0]], "lr": 0.02},
                                   {"params": [p[1], p[2]], "momentum": 0.9}],
                                  lr=0.005, foreach=False),
    "adam_default": lambda p: O.Adam(p, lr=0.05, foreach=False),
    "adam_amsgrad": lambda p: O.Adam(p, lr=0.05, betas=(0.8, 0.9), amsgrad=True, foreach=False),
    "adam_weight_decay": lambda p: O.Adam(p, lr=0.05, weight_decay=0.1, foreach=False),
    "adam_maximize": lambda p: O.Adam(p, lr=0.01, eps=1e-3, maximize=True, foreach=False),
    "adamw_default": lambda p: O.AdamW(p, lr=0.05, foreach=False),
    "adamw_amsgrad": lambda p: O.AdamW(p, lr=0.05, betas=(0.8, 0.9), weight_decay=0.1,
                                       amsgrad=True, foreach=False),
    "rmsprop_plain": lambda p: O.RMSprop(p, lr=0.01, foreach=False),
    "rmsprop_momentum": lambda p: O.RMSprop(p, lr=0.01, momentum=0.9, foreach=False),
    "rmsprop_centered": lambda p: O.RMSprop(p, lr=0.01, alpha=0.9, centered=True, foreach=False),
    "rmsprop_weight_decay": lambda p: O.RMSprop(p, lr=0.01, weight_decay=0.1, momentum=0.5,
                                                centered=True, foreach=False),
    "adagrad_plain": lambda p: O.Adagrad(p, lr=0.1, foreach=False),
    "adagrad_lr_decay": lambda p: O.Adagrad(p, lr=0.1, lr_decay=0.05, foreach=False),
    "adagrad_weight_decay": lambda p: O.Adagrad(p, lr=0.1, weight_decay=0.1, foreach=False),
    "adagrad_initial_accumulator": lambda p: O.Adagrad(p, lr=0.1, initial_accumulator_value=0.5,
                                                       eps=1e-6, foreach=False),
}


def flat(tensors):
    return [float(x) for t in tensors for x in t.detach().reshape(-1)]


def optimizer_trajectory(make):
    params = make_params()
    opt = make(params)
    rows = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(*params).backward()
        opt.step()
        rows.append(flat(params))
    return rows


S = torch.optim.lr_scheduler
# name -> function(optimizer) -> list of schedulers stepped together after each epoch.
SCHEDULERS = {
    "step_lr": lambda o: [S.StepLR(o, step_size=3, gamma=0.5)],
    "multi_step_lr": lambda o: [S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3)],
    "exponential_lr": lambda o: [S.ExponentialLR(o, gamma=0.9)],
    "cosine_annealing_lr": lambda o: [S.CosineAnnealingLR(o, T_max=5, eta_min=0.001)],
    "linear_warmup": lambda o: [S.LinearLR(o, start_factor=0.25, total_iters=4)],
    "linear_warmup_end_factor": lambda o: [S.LinearLR(o, start_factor=0.5, end_factor=0.8,
                                                      total_iters=6)],
    "warmup_then_exponential": lambda o: [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                          S.ExponentialLR(o, gamma=0.9)],
    # The cosine's base lr is the lr before the warmup (initial_lr); past t_max it rises again.
    "warmup_then_cosine": lambda o: [S.LinearLR(o, start_factor=0.2, total_iters=3),
                                     S.CosineAnnealingLR(o, T_max=4, eta_min=0.001)],
    # One function for both groups: a linear warmup to the base lr, then halving every epoch.
    "lambda_lr": lambda o: [S.LambdaLR(o, lambda e: (e + 1) / 4 if e < 3 else 0.5 ** (e - 3))],
    # One function per group; LambdaLR sets the lr from the base lr, so the ExponentialLR stepped
    # before it is overridden (not chained).
    "lambda_lr_per_group": lambda o: [S.ExponentialLR(o, gamma=0.5),
                                      S.LambdaLR(o, [lambda e: 0.95 ** e,
                                                     lambda e: 1.0 / (1.0 + 0.5 * e)])],
    # SequentialLR steps only itself; the schedulers it holds are not stepped by the loop.
    "sequential_warmup_cosine": lambda o: [S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.2, total_iters=3),
            S.CosineAnnealingLR(o, T_max=6, eta_min=0.001)], milestones=[3])],
    "sequential_three": lambda o: [S.SequentialLR(
        o, [S.ExponentialLR(o, gamma=0.8), S.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.5),
            S.LambdaLR(o, lambda e: 1.0 / (1.0 + e))], milestones=[3, 9])],
    "sequential_step_then_linear": lambda o: [S.SequentialLR(
        o, [S.StepLR(o, step_size=2, gamma=0.5),
            S.LinearLR(o, start_factor=0.5, end_factor=1.0, total_iters=4)], milestones=[5])],
}
PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.91, 0.905, 0.7, 0.71, 0.72, 0.73, 0.69, 0.695, 0.7]
PLATEAUS = {
    "plateau_min_rel": dict(mode="min", factor=0.5, patience=1, threshold=0.01, cooldown=1,
                            min_lr=0.02),
    "plateau_max_abs": dict(mode="max", factor=0.3, patience=0, threshold=0.1,
                            threshold_mode="abs", min_lr=[0.01, 0.001]),
}
BASE_LRS = [0.1, 0.05]


def two_group_optimizer():
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    return O.SGD([{"params": [a], "lr": BASE_LRS[0]}, {"params": [b], "lr": BASE_LRS[1]}], lr=1.0)


def lrs(opt):
    return [g["lr"] for g in opt.param_groups]


def scheduler_sequence(make):
    opt = two_group_optimizer()
    schedulers = make(opt)
    rows = [lrs(opt)]
    for _ in range(SCHEDULER_STEPS):
        opt.step()
        for s in schedulers:
            s.step()
        rows.append(lrs(opt))
    return rows


def plateau_sequence(kwargs):
    opt = two_group_optimizer()
    scheduler = S.ReduceLROnPlateau(opt, **kwargs)
    rows = [lrs(opt)]
    for metric in PLATEAU_METRICS:
        scheduler.step(metric)
        rows.append(lrs(opt))
    return rows


# Clipping: the gradients of the problem at its starting point.
CLIP_CASES = [("l2", 1.0, 2.0), ("l1", 0.5, 1.0), ("inf", 0.3, math.inf), ("l3", 2.0, 3.0),
              ("no_clip", 100.0, 2.0)]
CLIP_VALUE = 0.4


def initial_grads():
    params = make_params()
    loss_fn(*params).backward()
    return params


def clip_norm_case(max_norm, norm_type):
    params = initial_grads()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    return float(total), flat([p.grad for p in params])


def clip_value_case():
    params = initial_grads()
    torch.nn.utils.clip_grad_value_(params, CLIP_VALUE)
    return flat([p.grad for p in params])


def c_array(values):
    return "{" + ", ".join(repr(float(v)) for v in values) + "}"


def c_matrix(rows, indent):
    pad = " " * indent
    return "{\n" + "".join(pad + "  " + c_array(r) + ",\n" for r in rows) + pad + "}"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_path = os.path.join(root, "tests", "optim", "golden_optim.hpp")
    n = len(flat(make_params()))
    lines = [
        "// SPDX-License-Identifier: MIT",
        "// GENERATED by scripts/golden_optim.py with PyTorch %s in float64; do not edit." %
        torch.__version__,
        "// Regenerate from the repository root: /usr/bin/python3 scripts/golden_optim.py",
        "#pragma once",
        "",
        "#include <limits>",
        "",
        "// clang-format off",
        "/// Reference values from PyTorch for tests/optim/test_golden.cpp.",
        "namespace axon::test::golden {",
        "",
        "// The problem: w [2,3], b [3], v [2];",
        "// loss = sum((w*x + b - y)^2) + 0.25 sum(b^4) + sum((1 - v)^2 + 10 (v^2 - 0.5)^2).",
        "inline constexpr int kSteps = %d;" % STEPS,
        "inline constexpr int kNumValues = %d;  // w, b, v flattened" % n,
        "inline constexpr double kX[6] = %s;" % c_array(sum(X, [])),
        "inline constexpr double kY[6] = %s;" % c_array(sum(Y, [])),
        "inline constexpr double kW0[6] = %s;" % c_array(sum(W0, [])),
        "inline constexpr double kB0[3] = %s;" % c_array(B0),
        "inline constexpr double kV0[2] = %s;" % c_array(V0),
        "",
        "/// Parameters (w, b, v flattened) after each step of one optimizer case.",
        "struct OptimizerTrajectory {",
        "  const char* name;",
        "  double values[kSteps][kNumValues];",
        "};",
        "",
        "inline constexpr OptimizerTrajectory kOptimizerTrajectories[] = {",
    ]
    for name, make in OPTIMIZERS.items():
        lines.append("    {\"%s\", %s}," % (name, c_matrix(optimizer_trajectory(make), 4)))
    lines += [
        "};",
        "",
        "inline constexpr int kSchedulerSteps = %d;" % SCHEDULER_STEPS,
        "inline constexpr double kBaseLrs[2] = %s;  // two groups" % c_array(BASE_LRS),
        "inline constexpr double kPlateauMetrics[kSchedulerSteps] = %s;" %
        c_array(PLATEAU_METRICS),
        "",
        "/// The lr of both groups after construction (row 0) and after each step.",
        "struct LrSequence {",
        "  const char* name;",
        "  double lrs[kSchedulerSteps + 1][2];",
        "};",
        "",
        "inline constexpr LrSequence kLrSequences[] = {",
    ]
    for name, make in SCHEDULERS.items():
        lines.append("    {\"%s\", %s}," % (name, c_matrix(scheduler_sequence(make), 4)))
    for name, kwargs in PLATEAUS.items():
        lines.append("    {\"%s\", %s}," % (name, c_matrix(plateau_sequence(kwargs), 4)))
    lines += [
        "};",
        "",
        "/// Gradients at the starting point, clip_grad_norm's results and clip_grad_value's.",
        "inline constexpr double kGrad0[kNumValues] = %s;" % c_array(flat(
            [p.grad for p in initial_grads()])),
        "",
        "struct ClipNormCase {",
        "  const char* name;",
        "  double max_norm;",
        "  double norm_type;  // inf for the infinity norm",
        "  double total_norm;",
        "  double grads[kNumValues];",
        "};",
        "",
        "inline constexpr double kInf = std::numeric_limits<double>::infinity();",
        "inline constexpr ClipNormCase kClipNormCases[] = {",
    ]
    for name, max_norm, norm_type in CLIP_CASES:
        total, grads = clip_norm_case(max_norm, norm_type)
        nt = "kInf" if math.isinf(norm_type) else repr(norm_type)
        lines.append("    {\"%s\", %r, %s, %r, %s}," % (name, max_norm, nt, total,
                                                      c_array(grads)))
    lines += [
        "};",
        "",
        "inline constexpr double kClipValue = %r;" % CLIP_VALUE,
        "inline constexpr double kClipValueGrads[kNumValues] = %s;" % c_array(clip_value_case()),
        "",
        "}  // namespace axon::test::golden",
        "// clang-format on",
        "",
    ]
    with open(out_path, "w") as f:
        f.write("\n".join(lines))
    print("wrote", out_path)


if __name__ == "__main__":
    main()
