#!/usr/bin/env bash
# Uses axon the way a user's own project does (tests/install/test_install.cpp runs each step):
#   run.sh BUILD stage      meson install --destdir into BUILD/tests/install/stage
#   run.sh BUILD headers    every header of the library's folders is installed, and all of them
#                           compile together with only the staged include folder
#   run.sh BUILD pkgconfig  tests/install/consumer built by g++ with `pkg-config --cflags --libs axon`
#   run.sh BUILD cmake      ... by CMake with find_package(axon)
#   run.sh BUILD meson      ... by Meson with this source tree as the subproject subprojects/axon
# Each consumer trains a few steps and exits non-zero unless its loss fell. The consumers are
# copied to a temporary folder outside the source tree; the Meson one keeps its build folder
# under BUILD/tests/install (it compiles the whole library once, then only what changed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_root=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd)
step=$2
stage=$build/tests/install/stage
consumer=$here/consumer

staged_prefix() {  # the prefix inside the stage: the folder above include/axon
  local inc
  inc=$(find "$stage" -type d -path '*/include/axon' -print -quit)
  [[ -n $inc ]] || { echo "no include/axon in $stage: run the stage step first" >&2; exit 1; }
  dirname "$(dirname "$inc")"
}
# The staged axon.pc names the real prefix (/usr/local); a copy in the scratch folder names the
# stage instead, as a user would after moving an install. PKG_CONFIG_PATH=$(staged_pcdir).
staged_pcdir() {
  local pc
  pc=$(find "$stage" -name axon.pc -print -quit)
  [[ -n $pc ]] || { echo "no axon.pc in $stage: run the stage step first" >&2; exit 1; }
  mkdir -p "$scratch/pkgconfig"
  sed "s|^prefix=.*|prefix=$(staged_prefix)|" "$pc" >"$scratch/pkgconfig/axon.pc"
  echo "$scratch/pkgconfig"
}
staged_libdir() { dirname "$(find "$stage" -name libaxon.so -print -quit)"; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/axon-install-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp "$consumer"/train_few_steps.cpp "$consumer"/CMakeLists.txt "$consumer"/meson.build "$scratch"/

case $step in
  stage)
    # Only the libraries: the doctest binary may have been built alone (ninja tests/axon_tests).
    meson compile -C "$build" axon:shared_library axon:static_library >/dev/null
    rm -rf "$stage"
    meson install -C "$build" --no-rebuild --quiet --destdir "$stage"
    find "$stage" -name libaxon.a -o -name libaxon.so -o -name axon.pc -o -name axonConfig.cmake |
      sed "s|^$stage||" | sort
    ;;
  headers)
    prefix=$(staged_prefix)
    # The folders always built, and those appended when an optional dependency is found
    # (distributed/ with MPI).
    folders=$(sed -nE -e "s/^axon_folders = \[(.*)\]/\1/p" \
      -e "s/^ *axon_folders \+= '(.*)'/\1/p" "$source_root/meson.build" | tr -d "',")
    # A folder that adds library sources but is missing from axon_folders would not be installed.
    for m in "$source_root"/*/meson.build; do
      folder=$(basename "$(dirname "$m")")
      if grep -q 'axon_sources +=' "$m" && ! grep -qw "$folder" <<<"$folders"; then
        echo "$folder/ adds library sources but is not in meson.build's axon_folders" >&2
        exit 1
      fi
    done
    missing=0
    umbrella=$scratch/all_headers.cpp
    : >"$umbrella"
    for folder in $folders; do
      while IFS= read -r h; do
        if [[ ! -f $prefix/include/axon/$h ]]; then
          echo "not installed: $h (meson setup --reconfigure BUILD picks up new headers)" >&2
          missing=1
        fi
        echo "#include <axon/$h>" >>"$umbrella"
      done < <(cd "$source_root" && find "$folder" -name '*.hpp' | sort)
    done
    echo "#include <axon/axon.hpp>" >>"$umbrella"
    ((missing == 0)) || exit 1
    # Only the staged include folder and the dependencies' flags: no path into this tree.
    flags=$(PKG_CONFIG_PATH=$(staged_pcdir) pkg-config --cflags axon)
    if grep -q "$source_root" <<<"${flags//$stage/}"; then
      echo "axon.pc points into the source tree: $flags" >&2
      exit 1
    fi
    # shellcheck disable=SC2086
    g++ -std=c++20 -fsyntax-only -Wall -Wextra -Werror $flags "$umbrella"
    echo "$(grep -c include "$umbrella") headers installed and self-contained"
    ;;
  pkgconfig)
    flags=$(PKG_CONFIG_PATH=$(staged_pcdir) pkg-config --cflags --libs axon)
    echo "pkg-config --cflags --libs axon: $flags"
    # shellcheck disable=SC2086
    g++ -std=c++20 -O1 -Wall -Wextra -Werror "$scratch/train_few_steps.cpp" -o "$scratch/train" \
      $flags
    LD_LIBRARY_PATH=$(staged_libdir) "$scratch/train"
    ;;
  cmake)
    cmake -S "$scratch" -B "$scratch/build" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$(staged_prefix)" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
    cmake --build "$scratch/build" -j 2 >/dev/null
    "$scratch/build/train_few_steps"  # CMake sets the run path to the staged library
    ;;
  meson)
    project=$build/tests/install/meson-consumer
    mkdir -p "$project/subprojects"
    cp "$scratch"/train_few_steps.cpp "$scratch"/meson.build "$project"/
    ln -sfn "$source_root" "$project/subprojects/axon"
    if [[ ! -f $project/build/build.ninja ]]; then
      # No optimisation: this compiles the library once more, and a few steps need no speed.
      # -Werror for the user's code only: axon's own sources get it from no one.
      meson setup "$project/build" "$project" --buildtype=plain -Dwerror=true \
        -Daxon:werror=false -Dwrap_mode=nodownload >/dev/null
    fi
    ninja -C "$project/build" -j 2 >/dev/null
    commands=$project/build/compile_commands.json
    if grep '"command"' "$commands" | grep -- '-c [^ ]*subprojects/axon/' | grep -q -- '-Werror'; then
      echo "axon compiled with -Werror as a subproject" >&2
      exit 1
    fi
    grep '"command"' "$commands" | grep 'train_few_steps.cpp' | grep -q -- '-Werror'
    if [[ -e $project/build/subprojects/axon/tests || -e $project/build/subprojects/axon/examples ]]
    then
      echo "the subproject built axon's tests or examples" >&2
      exit 1
    fi
    "$project/build/train_few_steps"
    ;;
  *)
    echo "usage: run.sh BUILD stage|headers|pkgconfig|cmake|meson" >&2
    exit 2
    ;;
esac
