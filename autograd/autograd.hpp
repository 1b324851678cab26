// SPDX-License-Identifier: MIT
#pragma once

/// Everything in the engine: tensors, the tape, every op family, operators and gradcheck.
#include "autograd/error.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/operators.hpp"
#include "autograd/ops/activations.hpp"
#include "autograd/ops/conv.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/embedding.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/normalization.hpp"
#include "autograd/ops/pooling.hpp"
#include "autograd/ops/recurrent.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape.hpp"
#include "autograd/ops/softmax.hpp"
#include "autograd/random.hpp"
#include "autograd/shape.hpp"
#include "autograd/shard.hpp"
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"
