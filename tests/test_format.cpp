// SPDX-License-Identifier: MIT
// The formatting check: every tracked C++ file matches .clang-format (100 columns).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

TEST_CASE("format: every C++ file matches .clang-format") {
  const std::string root = AXON_SOURCE_DIR;
  if (std::system("command -v clang-format >/dev/null 2>&1") != 0) {
    MESSAGE("clang-format is not installed: formatting check skipped");
    return;
  }
  if (std::system(("test -d '" + root + "/.git'").c_str()) != 0) {
    MESSAGE("not a git checkout: formatting check skipped");
    return;
  }
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
