// SPDX-License-Identifier: MIT
#pragma once

/// Everything in optim/: the optimizers, the learning-rate schedulers and gradient clipping.
#include "optim/adagrad.hpp"
#include "optim/adam.hpp"
#include "optim/clip_grad.hpp"
#include "optim/lr_scheduler.hpp"
#include "optim/optimizer.hpp"
#include "optim/reduce_lr_on_plateau.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
