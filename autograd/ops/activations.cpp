// SPDX-License-Identifier: MIT
#include "autograd/ops/activations.hpp"

namespace axon::autograd {
// (to be implemented)
}  // namespace axon::autograd
