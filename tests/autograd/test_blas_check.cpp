// SPDX-License-Identifier: MIT
// Tests autograd/blas_check.hpp: OpenBLAS kernels older than the CPU are reported with the
// OPENBLAS_CORETYPE value that fixes them; kernels that fit the CPU are not.
#include <doctest/doctest.h>

#include <string>

#include "axon/autograd/blas_check.hpp"

namespace axon::test {

TEST_CASE("blas_kernel_warning: SSE3 kernels on an AVX-512 CPU name the fix") {
  // What Debian's OpenBLAS chose on a Sapphire Rapids virtual machine.
  const std::string w = autograd::blas_kernel_warning("Prescott", true, true);
  CHECK(w.find("Prescott") != std::string::npos);
  CHECK(w.find("AVX-512") != std::string::npos);
  CHECK(w.find("OPENBLAS_CORETYPE=SkylakeX") != std::string::npos);
}

TEST_CASE("blas_kernel_warning: pre-AVX2 kernels on an AVX2 CPU suggest Haswell's") {
  for (const char* core : {"Nehalem", "SANDYBRIDGE", "core2", "Unknown"}) {
    CAPTURE(core);
    const std::string w = autograd::blas_kernel_warning(core, true, false);
    CHECK(w.find("OPENBLAS_CORETYPE=Haswell") != std::string::npos);
    CHECK(w.find("AVX2") != std::string::npos);
  }
}

TEST_CASE("blas_kernel_warning: kernels that fit the CPU, or an older CPU, give no warning") {
  CHECK(autograd::blas_kernel_warning("Haswell", true, false).empty());
  CHECK(autograd::blas_kernel_warning("Zen", true, false).empty());
  CHECK(autograd::blas_kernel_warning("SkylakeX", true, true).empty());
  CHECK(autograd::blas_kernel_warning("Cooperlake", true, true).empty());
  // A CPU without AVX2 cannot run anything better than the old kernels.
  CHECK(autograd::blas_kernel_warning("Prescott", false, false).empty());
  CHECK(autograd::blas_kernel_warning("Sandybridge", false, false).empty());
}

TEST_CASE("blas_kernel_warning: no warning once OPENBLAS_CORETYPE chose the kernels") {
  CHECK_FALSE(autograd::blas_kernel_warning("Prescott", true, true, false).empty());
  CHECK(autograd::blas_kernel_warning("Prescott", true, true, true).empty());
  CHECK(autograd::blas_kernel_warning("Nehalem", true, false, true).empty());
}

}  // namespace axon::test
