// SPDX-License-Identifier: MIT
// The libtorch side of the harness: its name and how --threads limits its parallelism.
#include <torch/torch.h>

#include "../harness.hpp"

namespace bench {

const char* framework_name() {
  return "libtorch";
}

void set_threads(int n) {
  torch::set_num_threads(n);
}

}  // namespace bench
