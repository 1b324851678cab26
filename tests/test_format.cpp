// SPDX-License-Identifier: MIT
// The formatting check: every tracked C++ file matches .clang-format (100 columns).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

/// Whether the check can run: clang-format is installed and the source tree is a git checkout
/// (`.git` is a directory in a clone and a file in a worktree: `test -e`, not `test -d`).
/// Decided when the test registers, so that doctest counts the case as skipped otherwise.
bool can_check_format() {
  const std::string root = AXON_SOURCE_DIR;
  return std::system("command -v clang-format >/dev/null 2>&1") == 0 &&
         std::system(("test -e '" + root + "/.git'").c_str()) == 0;
}

}  // namespace

TEST_CASE("format: every C++ file matches .clang-format" * doctest::skip(!can_check_format()) *
          doctest::description("skipped without clang-format or outside a git checkout")) {
  const std::string root = AXON_SOURCE_DIR;
  const std::string cmd = "cd '" + root +
                          "' && git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format "
                          "--dry-run --Werror 2>&1 | grep -E '^[^ ].*: error:' | cut -d: -f1 | "
                          "sort -u";
  std::FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string bad;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) bad += buf;
  pclose(pipe);
  INFO("files needing `scripts/check_format.sh --fix`:\n" << bad);
  CHECK(bad.empty());
}
