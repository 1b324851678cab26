// SPDX-License-Identifier: MIT
#include "autograd/ops/reductions.hpp"

namespace axon::autograd {
// (to be implemented)
}  // namespace axon::autograd
