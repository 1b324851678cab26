// SPDX-License-Identifier: MIT
#pragma once

/// Everything in the engine: tensors, the tape, every op family, operators and gradcheck.
#include "autograd/error.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/operators.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/random.hpp"
#include "autograd/shape.hpp"
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"
