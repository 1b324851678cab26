// SPDX-License-Identifier: MIT
// Replays the fuzz corpora (fuzz/corpus/<target>/) and every input that ever crashed a target
// (fuzz/regressions/<target>/) through the same target bodies the fuzzers run (fuzz/targets.hpp):
// each must finish with at most a typed axon::Error, which the targets absorb.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/targets.hpp"

namespace axon::test {

namespace {

std::vector<std::filesystem::path> inputs(const std::string& target) {
  std::vector<std::filesystem::path> out;
  for (const char* kind : {"corpus", "regressions"}) {
    const std::filesystem::path dir =
        std::filesystem::path(AXON_SOURCE_DIR) / "fuzz" / kind / target;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file()) out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

template <class Target>
std::size_t replay(const std::string& target, Target run) {
  const auto files = inputs(target);
  for (const auto& path : files) {
    CAPTURE(path.string());
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK_NOTHROW(run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
  return files.size();
}

}  // namespace

TEST_CASE("fuzz regressions: the corpora and past crashes run cleanly through every target") {
  const std::size_t idx = replay("idx", fuzz::idx_target);
  const std::size_t csv = replay("csv", fuzz::csv_target);
  const std::size_t st = replay("safetensors", fuzz::safetensors_target);
  MESSAGE("replayed " << idx << " IDX, " << csv << " CSV and " << st << " safetensors inputs");
  CHECK(idx > 0);
  CHECK(csv > 0);
  CHECK(st > 0);
}

}  // namespace axon::test
