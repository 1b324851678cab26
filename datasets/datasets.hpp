// SPDX-License-Identifier: MIT
#pragma once

/// Everything in datasets/: readers, bundled data, Dataset, DataLoader, transforms, splits.
#include "axon/datasets/bundled.hpp"
#include "axon/datasets/csv.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/dataset.hpp"
#include "axon/datasets/idx.hpp"
#include "axon/datasets/mnist.hpp"
#include "axon/datasets/split.hpp"
#include "axon/datasets/synthetic.hpp"
#include "axon/datasets/text.hpp"
#include "axon/datasets/transforms.hpp"
