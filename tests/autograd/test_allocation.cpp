// SPDX-License-Identifier: MIT
// Tests autograd/allocation.cpp: the training allocation policy is in force once a tape exists
// (unless AXON_ALLOCATION=system), and opting out afterwards changes nothing.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "axon/autograd/allocation.hpp"
#include "axon/autograd/autograd.hpp"

namespace axon::test {

using namespace axon::autograd;

TEST_CASE("allocation: the policy is applied by the first tape, once, and cannot be undone") {
  // Any recorded op has created this thread's tape by now (or creates it here).
  const Tensor x = ones<float>({2}, true);
  const Tensor y = mul(x, 2.0f);
  CHECK(allocation_policy() != AllocationPolicy::pending);
  const char* env = std::getenv("AXON_ALLOCATION");
  const bool opted_out = env != nullptr && std::strcmp(env, "system") == 0;
#if defined(__GLIBC__)
  const AllocationPolicy want = opted_out ? AllocationPolicy::system : AllocationPolicy::training;
#else
  const AllocationPolicy want = AllocationPolicy::system;
#endif
  CHECK(allocation_policy() == want);
  CHECK(apply_allocation_policy() == want);  // idempotent
  // Too late to opt out: the settings are process-wide and already made.
  CHECK(keep_system_allocation() == want);
  CHECK(allocation_policy() == want);
#if defined(__GLIBC__)
  if (want == AllocationPolicy::training) {
    // glibc marks a chunk it mapped with mmap by bit 1 of the size word before the block. Its
    // default threshold starts at 128 KiB; under the policy a 24 MiB block comes from the heap.
    const auto mapped = [](void* p) { return (static_cast<std::size_t*>(p)[-1] & 2) != 0; };
    void* medium = std::malloc(std::size_t{24} << 20);
    REQUIRE(medium != nullptr);
    CHECK_FALSE(mapped(medium));
    std::free(medium);
  }
#endif
}

}  // namespace axon::test
