#!/usr/bin/env bash
# The main job: set up, build, train the flagship example and print its result (last line: JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
./build/examples/fashion_mnist_mlp "$@"
