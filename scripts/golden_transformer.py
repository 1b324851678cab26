#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes tests/nn/golden_transformer.hpp: PyTorch reference values for nn/attention.* and
nn/transformer.* on fixed weights and inputs (float64, dropout 0): outputs and the gradients of
sum(y * r) (+ sum(weights * rw) when MultiheadAttention returns its weights) with respect to the
inputs and every parameter. Parameters are listed by their state-dict names, so the test loads
them by name (load_state_dict), as a PyTorch checkpoint would be.

GELU cases use PyTorch's activation="gelu" (the exact erf form), as TransformerActivation::gelu.

Regenerate (needs torch; run from the repository root):
    /usr/bin/python3 scripts/golden_transformer.py > tests/nn/golden_transformer.hpp
"""
import numpy as np
import torch

from golden_header import emit, out, print_header

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
rng = np.random.RandomState(20261203)

out.append("/// One parameter by its state-dict name: value and gradient, row-major.\n"
           "struct NamedParam {\n"
           "  const char* name;      ///< dotted state-dict name\n"
           "  const double* value;   ///< the value loaded into the module\n"
           "  const double* grad;    ///< PyTorch's gradient\n"
           "  std::size_t size;      ///< element count\n"
           "};")


def set_params(module, case):
    """Overwrites every parameter with fixed draws (biases and norms too, so every gradient is
    exercised with non-trivial values) and emits them with a NamedParam table."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
                p.copy_(torch.tensor(rng.uniform(0.5, 1.5, p.shape)))
            else:
                p.copy_(torch.tensor(rng.uniform(-0.5, 0.5, p.shape)))


def emit_params(module, case):
    rows = []
    for i, (name, p) in enumerate(module.named_parameters()):
        emit(f"{case}_param{i}", p)
        emit(f"{case}_grad{i}", p.grad)
        rows.append(f'    {{"{name}", {case}_param{i}, {case}_grad{i}, {p.numel()}}},')
    out.append(f"inline constexpr NamedParam {case}_params[] = {{\n" + "\n".join(rows) + "\n};")


def bool_mask(shape, p, keep_first=True):
    """True = blocked; with keep_first no row is fully blocked (the last axis' entry 0 is kept)."""
    m = rng.uniform(size=shape) < p
    if keep_first:
        m[..., 0] = False
    return m


def mha_case(case, E, H, L, S, N, batch_first, kpm=False, attn="none", self_attn=False,
             average=True, need_weights=True):
    mha = torch.nn.MultiheadAttention(E, H, batch_first=batch_first)
    set_params(mha, case)
    qshape = (N, L, E) if batch_first else (L, N, E)
    kshape = (N, S, E) if batch_first else (S, N, E)
    query = torch.tensor(rng.randn(*qshape), requires_grad=True)
    if self_attn:
        key = value = query
    else:
        key = torch.tensor(rng.randn(*kshape), requires_grad=True)
        value = torch.tensor(rng.randn(*kshape), requires_grad=True)
    kwargs = {"need_weights": need_weights, "average_attn_weights": average}
    if kpm:
        m = bool_mask((N, S), 0.3)
        kwargs["key_padding_mask"] = torch.tensor(m)
        emit(f"{case}_key_padding_mask", m.astype(float))
    if attn == "bool":
        m = bool_mask((L, S), 0.3)
        kwargs["attn_mask"] = torch.tensor(m)
        emit(f"{case}_attn_mask", m.astype(float))
    elif attn == "float":
        m = rng.randn(N * H, L, S)
        kwargs["attn_mask"] = torch.tensor(m)
        emit(f"{case}_attn_mask", m)
    y, w = mha(query, key, value, **kwargs)
    r = rng.randn(*y.shape)
    loss = (y * torch.tensor(r)).sum()
    if need_weights:
        rw = rng.randn(*w.shape)
        loss = loss + (w * torch.tensor(rw)).sum()
        emit(f"{case}_rw", rw)
        emit(f"{case}_weights", w)
    loss.backward()
    emit(f"{case}_query", query)
    emit(f"{case}_grad_query", query.grad)
    if not self_attn:
        emit(f"{case}_key", key)
        emit(f"{case}_value", value)
        emit(f"{case}_grad_key", key.grad)
        emit(f"{case}_grad_value", value.grad)
    emit(f"{case}_r", r)
    emit(f"{case}_y", y)
    emit_params(mha, case)


# [L, N, E] cross-attention, no masks, head-averaged weights.
mha_case("mha_plain", E=8, H=2, L=4, S=5, N=3, batch_first=False)
# [N, L, E] with a boolean key_padding_mask and a boolean [L, S] attn_mask, weights per head.
mha_case("mha_masks", E=8, H=2, L=4, S=5, N=3, batch_first=True, kpm=True, attn="bool",
         average=False)
# Self-attention [L, N, E] with a float [N*H, L, S] attn_mask and a key_padding_mask, no weights.
mha_case("mha_float", E=6, H=3, L=5, S=5, N=2, batch_first=False, kpm=True, attn="float",
         self_attn=True, need_weights=False)


def encoder_case(case, module, T, N, E, batch_first, kpm=False, src_mask=False):
    set_params(module, case)
    shape = (N, T, E) if batch_first else (T, N, E)
    x = torch.tensor(rng.randn(*shape), requires_grad=True)
    kwargs = {}
    if src_mask:
        m = bool_mask((T, T), 0.3)
        kwargs["src_mask"] = torch.tensor(m)
        emit(f"{case}_src_mask", m.astype(float))
    if kpm:
        m = bool_mask((N, T), 0.3)
        kwargs["src_key_padding_mask"] = torch.tensor(m)
        emit(f"{case}_key_padding_mask", m.astype(float))
    y = module(x, **kwargs)
    r = rng.randn(*y.shape)
    (y * torch.tensor(r)).sum().backward()
    emit(f"{case}_x", x)
    emit(f"{case}_r", r)
    emit(f"{case}_y", y)
    emit(f"{case}_grad_x", x.grad)
    emit_params(module, case)


# Post-norm, ReLU, [T, N, E], key padding mask.
encoder_case("enc_post_relu",
             torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
             T=5, N=3, E=8, batch_first=False, kpm=True)
# Pre-norm, GELU, [N, T, E], boolean src_mask.
encoder_case("enc_pre_gelu",
             torch.nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.0,
                                              activation="gelu", batch_first=True,
                                              norm_first=True),
             T=4, N=2, E=8, batch_first=True, src_mask=True)
# Post-norm, GELU, [T, N, E], both masks.
encoder_case("enc_post_gelu",
             torch.nn.TransformerEncoderLayer(6, 2, dim_feedforward=10, dropout=0.0,
                                              activation="gelu"),
             T=4, N=2, E=6, batch_first=False, kpm=True, src_mask=True)
# Pre-norm, ReLU, [N, T, E], no mask.
encoder_case("enc_pre_relu",
             torch.nn.TransformerEncoderLayer(6, 3, dim_feedforward=10, dropout=0.0,
                                              batch_first=True, norm_first=True),
             T=3, N=2, E=6, batch_first=True)
# A 2-layer pre-norm stack with a final LayerNorm: names layers.0..., layers.1..., norm.
stack_layer = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                               batch_first=True, norm_first=True)
encoder_case("enc_stack",
             torch.nn.TransformerEncoder(stack_layer, 2, norm=torch.nn.LayerNorm(8),
                                         enable_nested_tensor=False),
             T=4, N=2, E=8, batch_first=True, kpm=True)

print_header([f"Generated by scripts/golden_transformer.py from PyTorch {torch.__version__} (float64);",
              "do not edit. Regenerate:",
              "/usr/bin/python3 scripts/golden_transformer.py > tests/nn/golden_transformer.hpp",
              "Per case: inputs, masks (1 = blocked, or additive values), r (and rw), outputs, the",
              "gradients of sum(y * r) [+ sum(weights * rw)], and <case>_params: every parameter",
              "by its state-dict name with its value and gradient."],
             "axon::test::golden_transformer", includes=("cstddef",))
