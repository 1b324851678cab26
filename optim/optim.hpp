// SPDX-License-Identifier: MIT
#pragma once

/// Everything in optim/: the optimizers, the learning-rate schedulers and gradient clipping.
#include "axon/optim/adagrad.hpp"
#include "axon/optim/adam.hpp"
#include "axon/optim/clip_grad.hpp"
#include "axon/optim/lr_scheduler.hpp"
#include "axon/optim/optimizer.hpp"
#include "axon/optim/reduce_lr_on_plateau.hpp"
#include "axon/optim/rmsprop.hpp"
#include "axon/optim/sgd.hpp"
