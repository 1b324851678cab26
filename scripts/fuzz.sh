#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (IDX reader, CSV reader, safetensors/checkpoint reader)
# with clang and -fsanitize=fuzzer,address,undefined into build-fuzz/, then runs each for SECONDS
# (default 60). The corpora grow in build-fuzz/corpus/<target>/, seeded from fuzz/corpus/ and
# fuzz/regressions/. A crash, leak, timeout or sanitizer report is saved under
# build-fuzz/findings/<target>/ and makes the script fail: copy the input (after
# `fuzz_<target> -minimize_crash=1 <file>`) into fuzz/regressions/<target>/, where the test suite
# replays it (tests/io/test_fuzz_regressions.cpp), and fix the reader.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 600 safetensors
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(idx csv safetensors)
# The newest clang installed: clang 14 (Debian's default) rejects lambdas that capture structured
# bindings, which the library uses; `apt-get install clang-16 libclang-rt-16-dev` provides one.
cxx=clang++
for v in 19 18 17 16; do
  if command -v clang++-$v >/dev/null; then
    cxx=clang++-$v
    break
  fi
done
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=${cxx/++/} CXX=$cxx meson setup build-fuzz --buildtype=debugoptimized -Dfuzz=true \
    -Dtests=false -Dbench=false -Dwerror=false -Db_sanitize=address,undefined -Db_lundef=false \
    "-Dcpp_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined"
fi
ninja -C build-fuzz $(printf 'fuzz/fuzz_%s ' "${targets[@]}")
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1 ${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1 ${UBSAN_OPTIONS:-}"
failed=0
for t in "${targets[@]}"; do
  work=build-fuzz/corpus/$t
  findings=build-fuzz/findings/$t
  mkdir -p "$work" "$findings"
  seeds=(fuzz/corpus/"$t")
  [[ -d fuzz/regressions/$t ]] && seeds+=(fuzz/regressions/"$t")
  log=build-fuzz/fuzz_$t.log
  if ./build-fuzz/fuzz/fuzz_"$t" "$work" "${seeds[@]}" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$findings/" \
    -print_final_stats=1 >"$log" 2>&1; then
    result=clean
  else
    result="FINDING (see $log and $findings/)"
    failed=1
  fi
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(grep -E '#[0-9]+.*cov:' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
  echo "fuzz_$t: ${seconds} s, ${runs:-?} runs, coverage ${cov:-?} edges, corpus $(ls "$work" | wc -l) inputs: $result"
done
exit "$failed"
