#!/usr/bin/env bash
# Every test: set up, build, run the doctest suite (which includes the clang-format check). Its
# summary line gives the counts; .ci/run turns it into "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
./build/tests/axon_tests --no-intro=true "$@"
