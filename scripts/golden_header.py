# SPDX-License-Identifier: MIT
"""What the scripts/golden_*.py generators share: reference values written as constexpr C++
arrays, and the generated header around them.

Each generator runs as `/usr/bin/python3 scripts/golden_X.py > tests/nn/golden_X.hpp` (scripts/
is then on the import path), calls emit() for its values, appends any other declaration to
`out`, and ends with print_header().
"""
import numpy as np
import torch

out = []  # the header's declarations, in order


def fmt(v):
    assert np.isfinite(v), "reference values must be finite"
    return repr(float(v))


def emit(name, values, typed=False):
    """A constexpr double array named `name` (row-major; a 0-d value gives one element).

    With typed=True, a 0-d value is a scalar and an integer array is a std::size_t array.
    """
    a = np.asarray(values.detach().numpy() if torch.is_tensor(values) else values)
    if not typed:
        a = a.astype(float)
    if typed and a.ndim == 0:
        out.append(f"inline constexpr double {name} = {fmt(a)};")
        return
    flat = a.reshape(-1)
    kind = "std::size_t" if typed and a.dtype.kind in "iu" else "double"
    items = [str(int(v)) if kind == "std::size_t" else fmt(v) for v in flat]
    lines, line = [], "   "
    for item in items:  # wrapped at 100 columns
        if len(line) + len(item) + 2 > 100:
            lines.append(line)
            line = "   "
        line += " " + item + ","
    lines.append(line)
    out.append(f"inline constexpr {kind} {name}[{flat.size}] = {{\n" + "\n".join(lines) + "\n};")


def print_header(comments, namespace, includes=()):
    """Prints the header: licence line, `comments` (each one `// ` line), the `includes`, and
    `out` inside `namespace`, unformatted by clang-format."""
    print("// SPDX-License-Identifier: MIT")
    for c in comments:
        print("// " + c)
    print("#pragma once")
    print()
    if includes:
        for i in includes:
            print(f"#include <{i}>")
        print()
    print("// clang-format off")
    print(f"namespace {namespace} {{")
    print()
    print("\n".join(out))
    print()
    print(f"}}  // namespace {namespace}")
    print("// clang-format on")
