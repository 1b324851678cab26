#!/usr/bin/env bash
# Builds the test suite with ThreadSanitizer into build-tsan/ and runs the tests that exercise the
# parallel code (batch-parallel training, thread-local tapes). Usage: scripts/tsan.sh [doctest args]
# Default filter: the parallel, fit and tape tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build-tsan/build.ninja ]]; then
  meson setup build-tsan --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false \
    -Dbench=false
fi
ninja -C build-tsan tests/axon_tests
# OpenBLAS is not instrumented; its worker threads are off (one BLAS thread per shard).
export OPENBLAS_NUM_THREADS=1
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp ${TSAN_OPTIONS:-}"
if (($#)); then
  ./build-tsan/tests/axon_tests "$@"
else
  ./build-tsan/tests/axon_tests -tc="parallel*,fit*,tape*"
fi
