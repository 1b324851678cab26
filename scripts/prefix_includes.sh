#!/usr/bin/env bash
# Rewrites every include of a library header to its installed name, with the axon/ prefix:
#   #include "autograd/tensor.hpp"  ->  #include "axon/autograd/tensor.hpp"
#   #include <nn/linear.hpp>         ->  #include <axon/nn/linear.hpp>
# in the tracked C++ files and the Markdown docs (their code samples). The build resolves
# "axon/..." through include/axon, a symbolic link to the repository root, so the folders stay
# where they are. Idempotent: an include that already starts with axon/ is left alone, and a
# second run changes nothing. Then clang-format re-sorts the include blocks it touched.
#
#   bash scripts/prefix_includes.sh          # rewrite
#   bash scripts/prefix_includes.sh --check  # list the files still to rewrite; exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."

# The library's folders (meson.build: axon_folders). A folder added there is added here too.
folders=(autograd nn optim datasets train io tune distributed)
# Generated into the build tree (datasets/meson.build), never installed: stays as it is.
generated='datasets/data_dir\.hpp|train/version\.hpp'

alternation=$(
  IFS='|'
  echo "${folders[*]}"
)
# An include naming a library folder first: at the start of a line, or after a backtick (an
# include quoted in a Markdown sentence).
pattern="(^[[:space:]]*|\`)#[[:space:]]*include[[:space:]]*[\"<]($alternation)/"

mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.md' '*.in' | grep -v '^include/')
todo=()
for f in "${files[@]}"; do
  [[ -f $f && ! -L $f ]] || continue
  if grep -Eq "$pattern" "$f" && grep -E "$pattern" "$f" | grep -Evq "$generated"; then
    todo+=("$f")
  fi
done

if [[ ${1:-} == "--check" ]]; then
  if ((${#todo[@]})); then
    printf 'prefix_includes: not yet prefixed: %s\n' "${todo[@]}"
    exit 1
  fi
  echo "prefix_includes: every library include has the axon/ prefix"
  exit 0
fi

((${#todo[@]})) || {
  echo "prefix_includes: nothing to do"
  exit 0
}
for f in "${todo[@]}"; do
  # The generated header keeps its name; every other library include gets the prefix.
  sed -E -i \
    -e "\\%$generated%!s@(^[[:space:]]*|\`)(#[[:space:]]*include[[:space:]]*[\"<])($alternation)/@\\1\\2axon/\\3/@g" \
    "$f"
done
cpp=()
for f in "${todo[@]}"; do
  [[ $f == *.md ]] || cpp+=("$f")
done
if ((${#cpp[@]})) && command -v clang-format >/dev/null; then
  clang-format -i "${cpp[@]}"  # include blocks are sorted: "axon/..." now sorts differently
fi
echo "prefix_includes: rewrote ${#todo[@]} files"
