#!/usr/bin/env bash
# Thread scaling of the `mlp` workload: axon's samples/s at 1, 2, 4, ... threads up to the
# machine's cores, for several (batch, shard size) settings, and the speed-up over 1 thread.
#
#   scripts/scaling.sh [--bench PATH] [--threads "1 2 4 8 16"] [--reps N] [CONFIG...]
#
# A CONFIG is BATCH:SHARD (default: 128:64, the issue's workload with the default shard size;
# 128:8, the same batch cut into 16 shards; 1024:64, a larger batch in 16 shards of the default
# size). A batch of B in shards of S gives B/S shards, and a step can use at most that many cores.
# --bench takes a prebuilt axon_bench (for a machine without the build dependencies); by default
# it is built in $BENCH_BUILD (build-bench). Prints the JSON lines, then one table row per run.
set -euo pipefail
cd "$(dirname "$0")/.."

bench=
threads=
reps=3
configs=()
while (($#)); do
  case "$1" in
    --bench) bench=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) configs+=("$1"); shift ;;
  esac
done
((${#configs[@]})) || configs=(128:64 128:8 1024:64)
if [[ -z $threads ]]; then
  cores=$(nproc)
  for ((t = 1; t < cores; t *= 2)); do threads+="$t "; done
  threads+=$cores
fi
if [[ -z $bench ]]; then
  build=${BENCH_BUILD:-build-bench}
  [[ -f $build/build.ninja ]] || meson setup "$build" --buildtype=release -Dbench=true >/dev/null
  ninja -C "$build" bench/axon_bench >/dev/null
  bench=$build/bench/axon_bench
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for config in "${configs[@]}"; do
  for t in $threads; do
    "$bench" --workload mlp --threads "$t" --reps "$reps" --batch "${config%%:*}" \
      --shard-size "${config##*:}" | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
base = {}
print("| batch | shard | shards | threads | samples/s (best) | median | speed-up | cores busy |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    key = (r["batch"], r["shard_size"])
    base.setdefault(key, r["samples_per_second"])
    shards = -(-int(r["batch"]) // int(r["shard_size"]))
    print(f"| {int(r['batch'])} | {int(r['shard_size'])} | {shards} | {r['threads']} "
          f"| {r['samples_per_second']:,.0f} | {r['samples_per_second_median']:,.0f} "
          f"| {r['samples_per_second'] / base[key]:.2f} | {r['cores_busy']:.2f} |")
PY
