// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "axon/datasets/dataset.hpp"

/// MNIST and Fashion-MNIST: four IDX files per directory, images [N,28,28] u8 and labels [N] u8.
namespace axon::datasets {

/// Debian's dataset-fashion-mnist installs the files here.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Which half of the data.
enum class Split { Train, Test };

/// The checked contents of one split, images kept as uint8.
struct MnistArrays {
  std::vector<std::uint8_t> images;  ///< count x rows x cols, row-major
  std::vector<std::uint8_t> labels;  ///< count values in 0..9
  std::size_t count = 0;             ///< number of images (and labels)
  std::size_t rows = 28;             ///< image height in pixels
  std::size_t cols = 28;             ///< image width in pixels
};

/// The file of a split that exists in `dir`: `<prefix>-images-idx3-ubyte.gz`, the same without
/// `.gz`, or `<prefix>-images.idx3-ubyte` (prefix `train` or `t10k`; `labels`/`idx1` likewise).
/// IOError naming the directory and the names tried when none exists.
std::string mnist_file(const std::string& dir, Split split, bool labels);

/// Reads and checks one split: images must be [N,28,28] u8, labels [N] u8 with the same N and
/// every label < 10. IOError naming the file (and the index and value of a bad label) otherwise.
MnistArrays read_mnist(const std::string& dir, Split split);

/// One split as a classification Dataset: uint8 samples of shape [28,28], 10 classes.
Dataset load_mnist(const std::string& dir, Split split);

/// Fashion-MNIST's split from `dir` (Debian's location by default).
Dataset load_fashion_mnist(Split split, const std::string& dir = kFashionMnistDir);

/// Fashion-MNIST's class names, by label.
const std::array<const char*, 10>& fashion_mnist_classes();

}  // namespace axon::datasets
