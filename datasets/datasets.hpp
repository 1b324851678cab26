// SPDX-License-Identifier: MIT
#pragma once

/// Everything in datasets/: readers, bundled data, Dataset, DataLoader, transforms, splits.
#include "datasets/bundled.hpp"
#include "datasets/csv.hpp"
#include "datasets/dataloader.hpp"
#include "datasets/dataset.hpp"
#include "datasets/idx.hpp"
#include "datasets/mnist.hpp"
#include "datasets/split.hpp"
#include "datasets/synthetic.hpp"
#include "datasets/text.hpp"
#include "datasets/transforms.hpp"
