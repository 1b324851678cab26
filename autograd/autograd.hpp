// SPDX-License-Identifier: MIT
#pragma once

/// Everything in the engine: tensors, the tape, every op family, operators and gradcheck.
#include "axon/autograd/error.hpp"
#include "axon/autograd/grad.hpp"
#include "axon/autograd/gradcheck.hpp"
#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/activations.hpp"
#include "axon/autograd/ops/conv.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/embedding.hpp"
#include "axon/autograd/ops/linalg.hpp"
#include "axon/autograd/ops/normalization.hpp"
#include "axon/autograd/ops/pooling.hpp"
#include "axon/autograd/ops/recurrent.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/ops/shape.hpp"
#include "axon/autograd/ops/softmax.hpp"
#include "axon/autograd/random.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/autograd/shard.hpp"
#include "axon/autograd/tape.hpp"
#include "axon/autograd/tensor.hpp"
