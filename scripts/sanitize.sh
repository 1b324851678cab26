#!/usr/bin/env bash
# Builds the whole doctest suite with AddressSanitizer and UndefinedBehaviorSanitizer into
# build-asan/ and runs it: any memory error, leak or undefined behaviour stops the run with a
# report. Usage: scripts/sanitize.sh [doctest args, e.g. -tc="io*"]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build-asan/build.ninja ]]; then
  # -Werror off: GCC's -Wmaybe-uninitialized gives false positives inside libstdc++ (<regex>,
  # std::function) under the sanitizers; the normal build keeps -Werror.
  meson setup build-asan --buildtype=debugoptimized -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbench=false -Dwerror=false -Dcpp_args=-fno-sanitize-recover=undefined
fi
start=$(date +%s)
ninja -C build-asan  # the library, the examples (tests/examples runs them) and the tests
built=$(date +%s)
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1 ${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1 ${UBSAN_OPTIONS:-}"
./build-asan/tests/axon_tests --no-intro=true "$@"
echo "sanitize: build $((built - start)) s, tests $(($(date +%s) - built)) s (ASan+UBSan, clean)"
