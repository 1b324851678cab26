// SPDX-License-Identifier: MIT
// libFuzzer entry point for the csv reader (scripts/fuzz.sh builds and runs it).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  axon::fuzz::csv_target(data, size);
  return 0;
}
