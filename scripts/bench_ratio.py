#!/usr/bin/env python3
"""Ratios axon/libtorch from the benchmark JSON lines on standard input (used by bench.sh).

Pairs the k-th axon line of a workload with its k-th libtorch line. Without arguments it prints
one ratio line per pair; with --summary one line per workload with the median over all pairs.
The ratio is of the workload's main metric: us_per_op (lower is better, so a ratio below 1 means
axon is faster) or samples_per_second (higher is better).
"""
import json
import statistics
import sys

METRICS = ("us_per_op", "samples_per_second")


def main() -> None:
    summary = "--summary" in sys.argv[1:]
    lines = {}  # (workload, framework) -> [record, ...] in order
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw.startswith("{"):
            continue
        rec = json.loads(raw)
        if "framework" in rec:
            lines.setdefault((rec["workload"], rec["framework"]), []).append(rec)

    for workload in sorted({w for w, _ in lines}):
        ours = lines.get((workload, "axon"), [])
        theirs = lines.get((workload, "libtorch"), [])
        pairs = list(zip(ours, theirs))
        if not pairs:
            continue
        metric = next((m for m in METRICS if m in pairs[0][0] and m in pairs[0][1]), None)
        if metric is None:
            continue
        ratios = [a[metric] / b[metric] for a, b in pairs if b[metric]]
        out = {"workload": workload, "metric": metric}
        if summary:
            out.update(rounds=len(ratios),
                       median_ratio_axon_over_libtorch=round(statistics.median(ratios), 4),
                       min_ratio=round(min(ratios), 4), max_ratio=round(max(ratios), 4))
        else:
            a, b = pairs[-1]
            out.update(axon=a[metric], libtorch=b[metric],
                       ratio_axon_over_libtorch=round(ratios[-1], 4))
            if "cpu_us_per_op" in a and "cpu_us_per_op" in b and b["cpu_us_per_op"]:
                out["cpu_ratio_axon_over_libtorch"] = round(
                    a["cpu_us_per_op"] / b["cpu_us_per_op"], 4)
        print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
