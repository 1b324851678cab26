#!/usr/bin/env bash
# Runs the benchmarks of axon and, when libtorch was found at configure time, of libtorch, and
# prints their JSON lines plus one line per workload with the ratio axon/libtorch.
#
#   scripts/bench.sh [WORKLOAD|all] [--threads T] [--torch-threads U] [--reps N] [--rounds R]
#
# Each round runs axon then libtorch once per workload (same invocation, so the ratio is measured
# under the same machine load); with --rounds R > 1 a last line gives the median ratio and its
# range. axon runs with T threads; libtorch with U (default T), so that axon at T threads meets
# libtorch at its best setting in the same round (on 2 cores: --threads 2 --torch-threads 1).
# libtorch runs twice: with OpenBLAS limited to U threads ("libtorch") and with OpenBLAS's own
# pool on all cores ("libtorch_blas_pool", libtorch's default behaviour), and the ratio lines give
# axon against each. The build directory is $BENCH_BUILD (default build-bench), configured with
# -Dbench=true if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

workload=all
rounds=1
threads=()       # --threads T for both, unless --torch-threads sets libtorch's
torch_threads=()
pass=()          # --reps N
while (($#)); do
  case "$1" in
    --threads)
      threads=(--threads "$2")
      shift 2
      ;;
    --torch-threads)
      torch_threads=(--threads "$2")
      shift 2
      ;;
    --reps)
      pass+=("$1" "$2")
      shift 2
      ;;
    --rounds)
      rounds=$2
      shift 2
      ;;
    -h | --help)
      sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      workload=$1
      shift
      ;;
  esac
done

if ((${#torch_threads[@]} == 0)); then torch_threads=("${threads[@]}"); fi

build=${BENCH_BUILD:-build-bench}
if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" --buildtype=release -Dbench=true >/dev/null
fi
targets=(bench/axon_bench)
have_torch=0
if grep -q '^build bench/torch_bench:' "$build/build.ninja"; then
  targets+=(bench/torch_bench)
  have_torch=1
fi
ninja -C "$build" "${targets[@]}" >/dev/null

axon=$build/bench/axon_bench
torch=$build/bench/torch_bench
if ((!have_torch)); then
  echo "bench: libtorch not found when $build was configured (apt-get install libtorch-dev," \
    "then: meson setup --reconfigure $build); running axon only" >&2
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((round = 1; round <= rounds; round++)); do
  names=("$workload")
  # "all" leaves out collectives, which times MPI itself and runs only under mpirun.
  if [[ $workload == all ]]; then mapfile -t names < <("$axon" --list | grep -vx collectives); fi
  for name in "${names[@]}"; do
    "$axon" --workload "$name" "${threads[@]}" "${pass[@]}" | tee -a "$out"
    if ((have_torch)); then
      # libtorch twice: OpenBLAS limited to its thread count, then with OpenBLAS's own pool on
      # all cores (--blas-pool, what a libtorch user gets by default). Status 3: libtorch has no
      # version of this workload (not an error).
      before=$(wc -l <"$out")
      "$torch" --workload "$name" "${torch_threads[@]}" "${pass[@]}" | tee -a "$out" ||
        [[ $? -eq 3 ]]
      "$torch" --workload "$name" "${torch_threads[@]}" "${pass[@]}" --blas-pool |
        tee -a "$out" || [[ $? -eq 3 ]]
      # The ratios of this round's lines.
      tail -n "$(($(wc -l <"$out") - before + 1))" "$out" | python3 scripts/bench_ratio.py
    fi
  done
done
if ((have_torch && rounds > 1)); then
  python3 scripts/bench_ratio.py --summary <"$out"
fi
