// SPDX-License-Identifier: MIT
#include "autograd/ops/linalg.hpp"

namespace axon::autograd {
// (to be implemented)
}  // namespace axon::autograd
