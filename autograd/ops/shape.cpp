// SPDX-License-Identifier: MIT
#include "autograd/ops/shape.hpp"

namespace axon::autograd {
// (to be implemented)
}  // namespace axon::autograd
