// SPDX-License-Identifier: MIT
#include "autograd/ops/softmax.hpp"

namespace axon::autograd {
// (to be implemented)
}  // namespace axon::autograd
