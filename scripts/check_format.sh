#!/usr/bin/env bash
# Checks every C++ file of the project against .clang-format; --fix rewrites them in place.
set -euo pipefail
cd "$(dirname "$0")/.."
# Tracked files and new ones not yet added (--others --exclude-standard: not the ignored build
# folders), so that a new file is checked before its first commit.
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' 2>/dev/null ||
  find . -name '*.[ch]pp' -not -path './build*')
if [[ ${1:-} == "--fix" ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if clang-format --dry-run --Werror "${files[@]}" 2>/tmp/axon-format.log; then
  echo "format: ${#files[@]} files clean"
else
  grep -E "^[^ ].*error:" /tmp/axon-format.log | cut -d: -f1 | sort -u | sed 's/^/format: needs clang-format: /'
  exit 1
fi
