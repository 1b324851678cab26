// SPDX-License-Identifier: MIT
// Tests that the examples fail before their first epoch, not after training (issue 16): an empty
// or missing test set, and every output path (--save, --checkpoint, --curves) that cannot be
// written, end the run with the typed error's message and exit code 1 before anything trains.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/datasets/files.hpp"
#include "tests/examples/run_example.hpp"

namespace axon::test {

namespace {

/// A Fashion-MNIST directory of 12 training images (all zero) and `test_images` test images;
/// without the test files when `test_images` is negative.
void write_tiny_fashion_mnist(const TempDir& dir, int test_images) {
  const auto write_split = [&](const std::string& prefix, std::uint32_t n) {
    write_file(dir.file(prefix + "-images-idx3-ubyte"),
               idx_header(0x08, {n, 28, 28}) + std::string(n * 28 * 28, '\0'));
    write_file(dir.file(prefix + "-labels-idx1-ubyte"),
               idx_header(0x08, {n}) + std::string(n, '\1'));
  };
  write_split("train", 12);
  if (test_images >= 0) write_split("t10k", static_cast<std::uint32_t>(test_images));
}

/// Whether the output shows a trained epoch: fit's "Epoch 1/1" lines, or the hand-written loops'
/// "epoch      1" (every example prints its first epoch when run with --epochs 1).
bool trained(const Run& run) {
  return run.output.find("Epoch ") != std::string::npos ||
         run.output.find("epoch ") != std::string::npos;
}

struct EarlyCase {
  std::string example;
  std::string flags;
  std::string expected;  // part of the error message
};

void check_fails_early(const EarlyCase& c) {
  CAPTURE(c.example);
  CAPTURE(c.flags);
  const Run run = run_example(c.example, c.flags, /*merge_stderr=*/true);
  INFO("output:\n", run.output);
  CHECK(run.exit_code == 1);
  CHECK(run.output.find("error: ") != std::string::npos);
  CHECK(run.output.find(c.expected) != std::string::npos);
  CHECK_FALSE(trained(run));
}

}  // namespace

TEST_CASE("examples: an empty or missing test set fails before the first epoch") {
  TempDir empty, missing, fine;
  write_tiny_fashion_mnist(empty, 0);
  write_tiny_fashion_mnist(missing, -1);
  write_tiny_fashion_mnist(fine, 3);
  const std::string in_empty = "the test set in " + empty.path().string() +
                               ": no batch to evaluate on (0 samples, batch size 1000)";
  for (const char* example :
       {"fashion_mnist_mlp", "fashion_mnist_small", "fashion_mnist_cnn", "fashion_mnist_lstm"}) {
    const std::string flags = std::string(" --epochs 1 --threads 1") +
                              (std::string(example) == "fashion_mnist_mlp"
                                   ? " --curves '" + empty.file("curves.svg") + "'"
                                   : std::string());
    check_fails_early({example, "--data '" + empty.path().string() + "'" + flags, in_empty});
    check_fails_early({example, "--data '" + missing.path().string() + "'" + flags,
                       "mnist: " + missing.path().string() + ": no t10k images file"});
  }
  const std::string out = " --out '" + empty.file("search") + "' --trials 1 --baseline-epochs 0";
  check_fails_early({"tune_mlp", "--data '" + empty.path().string() + "'" + out, in_empty});

  // The same tiny data with 3 test images trains and evaluates: the check refuses only no data.
  const Run run = run_example("fashion_mnist_small",
                              "--data '" + fine.path().string() + "' --epochs 1 --threads 1", true);
  INFO("output:\n", run.output);
  CHECK(run.exit_code == 0);
  CHECK(trained(run));
}

TEST_CASE("examples: an output path that cannot be written fails before the first epoch") {
  TempDir dir;
  const std::string missing_dir = dir.file("no/such/dir/out");
  // A path with no directory, one that is a directory, and a FIFO (which a save would replace).
  std::vector<EarlyCase> cases;
  for (const char* example : {"xor", "boston_regression", "custom_module", "char_rnn",
                              "fashion_mnist_small", "fashion_mnist_mlp"}) {
    for (const char* flag : {"--save", "--checkpoint"}) {
      cases.push_back({example, std::string(flag) + " '" + missing_dir + "' --epochs 1",
                       std::string(flag) + ": " + missing_dir});
    }
    cases.push_back({example, "--save '" + dir.path().string() + "' --epochs 1", "is a directory"});
  }
  cases.push_back({"fashion_mnist_mlp", "--curves '" + missing_dir + "' --epochs 1",
                   "--curves: " + missing_dir});
  cases.push_back({"fashion_mnist_mlp", "--curves /dev/null --epochs 1",
                   "--curves: /dev/null: is a character device, not a regular file"});
  for (const EarlyCase& c : cases) check_fails_early(c);
}

}  // namespace axon::test
