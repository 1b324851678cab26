#!/usr/bin/env python3
"""Ratios axon/libtorch from the benchmark JSON lines on standard input (used by bench.sh).

Pairs the k-th axon line of a workload with the k-th line of each libtorch variant ("libtorch":
OpenBLAS limited to the same thread count; "libtorch_blas_pool": OpenBLAS's own pool on all
cores, libtorch's default). Without arguments it prints one ratio line per workload for the last
pair; with --summary one line per workload with the median, min and max over all pairs.
The ratio is of the workload's main metric: us_per_op (lower is better, so a ratio below 1 means
axon is faster) or samples_per_second (higher is better).
"""
import json
import statistics
import sys

METRICS = ("us_per_op", "samples_per_second")
REFERENCES = ("libtorch", "libtorch_blas_pool")


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
        out = {"workload": workload}
        for ref in REFERENCES:
            pairs = list(zip(ours, lines.get((workload, ref), [])))
            if not pairs:
                continue
            metric = next((m for m in METRICS if m in pairs[0][0] and m in pairs[0][1]), None)
            if metric is None:
                continue
            out["metric"] = metric
            ratios = [a[metric] / b[metric] for a, b in pairs if b[metric]]
            if not ratios:
                continue
            key = "ratio_axon_over_" + ref
            if summary:
                out[ref + "_rounds"] = len(ratios)
                out["median_" + key] = round(statistics.median(ratios), 4)
                out["min_" + key] = round(min(ratios), 4)
                out["max_" + key] = round(max(ratios), 4)
            else:
                a, b = pairs[-1]
                out.setdefault("axon", a[metric])
                out[ref] = b[metric]
                out[key] = round(ratios[-1], 4)
                if "cpu_us_per_op" in a and b.get("cpu_us_per_op"):
                    out["cpu_" + key] = round(a["cpu_us_per_op"] / b["cpu_us_per_op"], 4)
        if "metric" in out:
            print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
