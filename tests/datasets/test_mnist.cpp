// SPDX-License-Identifier: MIT
// Tests datasets/mnist.cpp: file names, consistency checks, and the real Fashion-MNIST files.
#include <doctest/doctest.h>

#include <array>
#include <filesystem>
#include <string>

#include "axon/autograd/error.hpp"
#include "axon/datasets/mnist.hpp"
#include "tests/datasets/files.hpp"

namespace axon::test {

using datasets::Split;

namespace {

/// Writes a tiny split: `n` images (pixel value = image index) and the given labels.
void write_split(const TempDir& dir, const std::string& images_name, const std::string& labels_name,
                 std::uint32_t n, const std::string& labels, bool gz, std::uint32_t cols = 28) {
  std::string pixels;
  for (std::uint32_t i = 0; i < n; ++i) pixels += std::string(28 * cols, static_cast<char>(i));
  write_file(dir.file(images_name), idx_header(0x08, {n, 28, cols}) + pixels, gz);
  write_file(dir.file(labels_name),
             idx_header(0x08, {static_cast<std::uint32_t>(labels.size())}) + labels, gz);
}

std::string load_error(const TempDir& dir, Split split) {
  try {
    datasets::read_mnist(dir.path().string(), split);
  } catch (const IOError& e) {
    return e.what();
  }
  FAIL("expected IOError");
  return {};
}

}  // namespace

TEST_CASE("datasets/mnist: gz, raw and dotted file names all load") {
  TempDir dir;
  write_split(dir, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 3,
              std::string("\x01\x09\x00", 3), true);
  write_split(dir, "t10k-images.idx3-ubyte", "t10k-labels-idx1-ubyte", 2, "\x07\x02", false);
  const auto train = datasets::load_mnist(dir.path().string(), Split::Train);
  CHECK(train.size() == 3);
  CHECK(train.is_uint8());
  CHECK(train.sample_shape() == datasets::Shape{28, 28});
  CHECK(train.labels() == std::vector<std::size_t>{1, 9, 0});
  CHECK(train.row_uint8(2)[783] == 2);
  const auto test = datasets::load_mnist(dir.path().string(), Split::Test);
  CHECK(test.size() == 2);
  CHECK(test.label(0) == 7);
}

TEST_CASE("datasets/mnist: bad labels, count mismatch, wrong shape and missing files") {
  SUBCASE("label out of range names the file, index and value") {
    TempDir dir;
    write_split(dir, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 3,
                std::string("\x01\x0A\x02", 3), true);
    const std::string msg = load_error(dir, Split::Train);
    CHECK(msg.find(dir.file("train-labels-idx1-ubyte.gz")) != std::string::npos);
    CHECK(msg.find("label 10 at index 1") != std::string::npos);
  }
  SUBCASE("counts of images and labels disagree") {
    TempDir dir;
    write_split(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 3, "\x01\x02", false);
    const std::string msg = load_error(dir, Split::Train);
    CHECK(msg.find(dir.file("train-labels-idx1-ubyte")) != std::string::npos);
    CHECK(msg.find("2 labels, expected 3") != std::string::npos);
  }
  SUBCASE("images that are not 28x28") {
    TempDir dir;
    write_split(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 2, "\x01\x02", false,
                27);
    const std::string msg = load_error(dir, Split::Train);
    CHECK(msg.find(dir.file("train-images-idx3-ubyte")) != std::string::npos);
    CHECK(msg.find("[2,28,27]") != std::string::npos);
  }
  SUBCASE("labels stored as another type") {
    TempDir dir;
    write_split(dir, "train-images-idx3-ubyte", "x", 1, "\x01", false);
    write_file(dir.file("train-labels-idx1-ubyte"), idx_header(0x0C, {1}) + std::string(4, '\0'));
    CHECK(load_error(dir, Split::Train).find("[N] u8 labels") != std::string::npos);
  }
  SUBCASE("missing files") {
    TempDir dir;
    const std::string msg = load_error(dir, Split::Test);
    CHECK(msg.find(dir.path().string()) != std::string::npos);
    CHECK(msg.find("t10k-images-idx3-ubyte.gz") != std::string::npos);
  }
}

TEST_CASE("datasets/mnist: Debian's Fashion-MNIST loads 60000/10000 balanced samples" *
          doctest::skip(!std::filesystem::exists(std::string(datasets::kFashionMnistDir) +
                                                 "/train-images-idx3-ubyte.gz")) *
          doctest::description("skipped unless dataset-fashion-mnist is installed")) {
  for (Split split : {Split::Train, Split::Test}) {
    const auto data = datasets::load_fashion_mnist(split);
    const std::size_t n = split == Split::Train ? 60000 : 10000;
    REQUIRE(data.size() == n);
    CHECK(data.is_uint8());
    CHECK(data.num_classes() == 10);
    std::array<std::size_t, 10> histogram{};
    for (std::size_t label : data.labels()) ++histogram[label];
    for (std::size_t count : histogram) CHECK(count == n / 10);  // the classes are balanced
    std::size_t bright = 0;
    const std::uint8_t* first = data.row_uint8(0);
    for (std::size_t k = 0; k < 784; ++k) bright += first[k] > 128;
    CHECK(bright > 20);  // an image, not blank
  }
  CHECK(std::string(datasets::fashion_mnist_classes()[9]) == "Ankle boot");
}

}  // namespace axon::test
