// SPDX-License-Identifier: MIT
#include "axon/datasets/mnist.hpp"

#include <filesystem>

#include "axon/autograd/error.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/datasets/idx.hpp"

namespace axon::datasets {

namespace {

/// Reads `path` and checks it holds u8 elements of the expected rank.
IdxArray read_u8(const std::string& path, std::size_t rank, const char* expected) {
  IdxArray a = read_idx(path);
  if (a.type != IdxType::U8 || a.shape.size() != rank) {
    throw IOError("mnist: " + path + ": expected " + expected + ", found " +
                  autograd::list_str(a.shape) + " " + idx_type_name(a.type));
  }
  return a;
}

}  // namespace

std::string mnist_file(const std::string& dir, Split split, bool labels) {
  const std::string prefix = split == Split::Train ? "train" : "t10k";
  const std::string kind = labels ? "labels" : "images";
  const std::string format = labels ? "idx1-ubyte" : "idx3-ubyte";
  const std::string names[] = {prefix + "-" + kind + "-" + format + ".gz",
                               prefix + "-" + kind + "-" + format,
                               prefix + "-" + kind + "." + format};
  std::string tried;
  for (const auto& name : names) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path.string();
    if (!tried.empty()) tried += ", ";
    tried += name;
  }
  throw IOError("mnist: " + dir + ": no " + prefix + " " + kind + " file (tried " + tried + ")");
}

MnistArrays read_mnist(const std::string& dir, Split split) {
  const std::string image_path = mnist_file(dir, split, false);
  const std::string label_path = mnist_file(dir, split, true);
  IdxArray images = read_u8(image_path, 3, "[N,28,28] u8 images");
  if (images.shape[1] != 28 || images.shape[2] != 28) {
    throw IOError("mnist: " + image_path + ": expected [N,28,28] u8 images, found " +
                  autograd::list_str(images.shape));
  }
  IdxArray labels = read_u8(label_path, 1, "[N] u8 labels");
  if (labels.shape[0] != images.shape[0]) {
    throw IOError("mnist: " + label_path + ": " + std::to_string(labels.shape[0]) +
                  " labels, expected " + std::to_string(images.shape[0]) + " to match " +
                  image_path);
  }
  MnistArrays out;
  out.count = images.shape[0];
  out.images = images.take<std::uint8_t>();
  out.labels = labels.take<std::uint8_t>();
  for (std::size_t i = 0; i < out.count; ++i) {
    if (out.labels[i] >= 10) {
      throw IOError("mnist: " + label_path + ": label " + std::to_string(out.labels[i]) +
                    " at index " + std::to_string(i) + " (byte offset " + std::to_string(8 + i) +
                    "), expected 0..9");
    }
  }
  return out;
}

Dataset load_mnist(const std::string& dir, Split split) {
  MnistArrays arrays = read_mnist(dir, split);
  std::vector<std::size_t> labels(arrays.labels.begin(), arrays.labels.end());
  return Dataset::classification(std::move(arrays.images), {arrays.rows, arrays.cols},
                                 std::move(labels), 10);
}

Dataset load_fashion_mnist(Split split, const std::string& dir) {
  return load_mnist(dir, split);
}

const std::array<const char*, 10>& fashion_mnist_classes() {
  static const std::array<const char*, 10> names = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace axon::datasets
