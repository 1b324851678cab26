#!/usr/bin/env bash
# Builds the API reference with Doxygen (apt-get install doxygen; scripts/setup.sh installs it)
# over the installed headers, with every warning an error: an undocumented public declaration or
# a broken doc comment fails the build and is listed. Output: build/docs/html/index.html (or
# under DIR given as the first argument).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/docs}
mkdir -p "$out"
AXON_DOCS_DIR=$(cd "$out" && pwd)
AXON_VERSION=$(sed -nE "s/^  version: '([^']+)',/\1/p" meson.build)
export AXON_DOCS_DIR AXON_VERSION
rm -f "$AXON_DOCS_DIR/warnings.log"
log=$AXON_DOCS_DIR/warnings.log
if ! doxygen Doxyfile || [[ -s $log ]]; then
  cat "$log" >&2
  echo "docs: $(grep -c ': \(warning\|error\):' "$log") warnings, of which" \
    "$(grep -c 'is not documented' "$log") undocumented declarations; per header:" >&2
  grep -o '^[^:]*\.hpp' "$log" | sed "s|^$PWD/include/||" | sort | uniq -c | sort -rn >&2
  exit 1
fi
echo "docs: $AXON_DOCS_DIR/html/index.html"
