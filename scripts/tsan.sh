#!/usr/bin/env bash
# Builds the test suite with ThreadSanitizer into build-tsan/ and runs it.
# Usage: scripts/tsan.sh [doctest args]   (default: the tests of the parallel code:
#        batch-parallel steps, parallel_chunks, fit, thread-local tapes, the data loader)
#
# Debian's libtbb is not built with ThreadSanitizer, so TSan cannot see the synchronisation
# inside oneTBB's scheduler and reports its task recycling as races. This script therefore builds
# oneTBB itself with -fsanitize=thread (TBB_SANITIZE=thread), from Debian's source package of
# the installed libtbb-dev (fetched once by `apt-get source`, which checks it against the
# archive's signed index, through a deb-src copy of this machine's apt sources kept in
# build-tsan-tbb/apt: the system's apt configuration is not changed), into build-tsan-tbb/, and
# links the tests against it. No suppressions are needed.
# OpenBLAS is not instrumented; it runs one thread per caller here (OPENBLAS_NUM_THREADS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
deps=$root/build-tsan-tbb

if [[ ! -f $deps/prefix/lib/pkgconfig/tbb.pc ]]; then
  for tool in cmake xz; do
    command -v $tool > /dev/null || {
      apt-get update -qq
      apt-get install -y -qq cmake xz-utils
    }
  done
  version=$(dpkg-query -W -f='${source:Version}' libtbb-dev)
  upstream=${version%%-*}
  apt_dir=$deps/apt
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/sources.list.d"
  : > "$apt_dir/sources.list"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    if [[ -f $f ]]; then sed -n 's/^deb /deb-src /p' "$f" >> "$apt_dir/sources.list"; fi
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    if [[ -f $f ]]; then
      sed 's/^Types:.*/Types: deb-src/' "$f" > "$apt_dir/sources.list.d/${f##*/}"
    fi
  done
  apt_options=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d" -o "Dir::State::Lists=$apt_dir/lists")
  apt-get "${apt_options[@]}" update -qq
  cd "$deps"
  apt-get "${apt_options[@]}" source --download-only -qq "onetbb=$version"
  rm -rf src build && mkdir src
  tar xf "onetbb_${upstream}.orig.tar.xz" -C src --strip-components=1
  cmake -S src -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_SANITIZE=thread \
    -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF -DTBBMALLOC_BUILD=OFF -DTBB_STRICT=OFF \
    -DCMAKE_INSTALL_PREFIX="$deps/prefix" > cmake.log
  ninja -C build install > build.log
  cd "$root"
fi

if [[ ! -f build-tsan/build.ninja ]]; then
  PKG_CONFIG_PATH=$deps/prefix/lib/pkgconfig meson setup build-tsan --buildtype=debugoptimized \
    -Db_sanitize=thread -Db_lundef=false -Dbench=false -Dwerror=false \
    "-Dcpp_link_args=-Wl,-rpath,$deps/prefix/lib"
fi
ninja -C build-tsan tests/axon_tests examples/fashion_mnist_mlp
linked=$(ldd build-tsan/tests/axon_tests)  # (not piped into grep -q: SIGPIPE under pipefail)
if [[ $linked != *"$deps/prefix/lib/libtbb"* ]]; then
  echo "tsan.sh: the tests are not linked against the instrumented oneTBB" >&2
  exit 1
fi
export OPENBLAS_NUM_THREADS=1
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
if (($#)); then
  ./build-tsan/tests/axon_tests "$@"
else
  ./build-tsan/tests/axon_tests -tc="parallel*,fit*,tape*,dataloader*,*determinism*"
fi
