#!/usr/bin/env bash
# Installs whatever is missing from Debian's packages (idempotent), configures build/ (release,
# optimised) and compiles everything. Called by scripts/main.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ meson ninja-build pkg-config          # toolchain
  xtensor-dev libxtensor-blas-dev           # arrays
  libopenblas-dev libtbb-dev zlib1g-dev     # BLAS, threads, gzip
  doctest-dev clang-format                  # tests, format check
  nlohmann-json3-dev                        # checkpoint history, journals
  libcli11-dev                              # the examples' command-line flags
  cmake doxygen                             # tests/install's CMake consumer, scripts/docs.sh
  dataset-fashion-mnist                     # the flagship example's data
  libopenmpi-dev openmpi-bin                # distributed/: training over MPI
  python3-numpy python3-torch               # interop tests, golden generators, PyTorch figures
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=release
fi
ninja -C build
