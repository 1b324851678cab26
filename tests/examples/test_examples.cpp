// SPDX-License-Identifier: MIT
// Runs the built example programs (examples/) with short settings and checks the JSON line each
// one ends with, its exit code, and the command-line errors. The binaries are found under
// AXON_BUILD_DIR (tests/meson.build); `ninja -C build` builds them with the tests.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/autograd/tape.hpp"
#include "axon/io/serialize.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "tests/examples/run_example.hpp"

namespace axon::test {

namespace {

/// The bytes of a file ("" when it cannot be read).
std::string file_bytes(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "";
  std::string bytes;
  char buffer[65536];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, f)) > 0) bytes.append(buffer, got);
  std::fclose(f);
  return bytes;
}

/// Decided when the tests register, so that doctest counts the cases that need Fashion-MNIST as
/// skipped (not passed) without it.
const bool kNoFashionMnist = !fashion_mnist_installed();
constexpr const char* kNeedsFashionMnist = "skipped unless dataset-fashion-mnist is installed";

}  // namespace

TEST_CASE("examples/xor: the 2-3-1 sigmoid network solves XOR with plain gradient descent") {
  const Run run = run_example("xor", "");
  INFO("output:\n", run.output);
  check_json(run, "xor");
  CHECK(run.exit_code == 0);
  CHECK(number(run, "max_abs_error") < 0.1);
  CHECK(number(run, "epochs") == 30000);
  std::size_t predictions = 0;
  for (auto at = run.output.find("xor("); at != std::string::npos;
       at = run.output.find("xor(", at + 1)) {
    ++predictions;
  }
  CHECK(predictions == 4);
}

TEST_CASE("examples/boston_regression: 1,000 full-batch epochs beat the mean baseline 4x") {
  const Run run = run_example("boston_regression", "--threads 2");
  INFO("output:\n", run.output);
  check_json(run, "boston_regression");
  CHECK(run.exit_code == 0);
  const double test_mse = number(run, "test_mse"), baseline_mse = number(run, "baseline_mse");
  CHECK(test_mse > 0);
  CHECK(test_mse * 4 <= baseline_mse);
}

TEST_CASE("examples/custom_module: a user-defined residual block trains and passes gradcheck") {
  const Run run = run_example("custom_module", "--seed 0");
  INFO("output:\n", run.output);
  check_json(run, "custom_module");
  CHECK(run.exit_code == 0);
  CHECK(raw_value(run.json, "gradcheck_ok") == "true");
  CHECK(number(run, "gradcheck_max_abs_error") < 1e-6);
  CHECK(number(run, "gradcheck_comparisons") > 1000);
  CHECK(number(run, "test_accuracy") >= 0.95);
}

TEST_CASE("examples/fashion_mnist_small: one epoch; identical with 1 and 2 threads" *
          doctest::skip(kNoFashionMnist) * doctest::description(kNeedsFashionMnist)) {
  // Seeds 0-5 give 0.811 to 0.823 after one epoch (seed 0: 0.8227). "Identical" is checked on
  // the saved parameters' bytes: six significant digits of the accuracy and the loss would
  // hide a difference in the last bits of a weight.
  const auto dir =
      std::filesystem::temp_directory_path() / ("axon-example-threads-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto save = [&](const char* name) { return " --save '" + (dir / name).string() + "'"; };
  const Run two = run_example("fashion_mnist_small", "--epochs 1 --threads 2" + save("two"));
  INFO("output:\n", two.output);
  check_json(two, "fashion_mnist_small");
  CHECK(two.exit_code == 0);
  CHECK(number(two, "test_accuracy") >= 0.80);
  CHECK(number(two, "threads") == 2);
  const Run one = run_example("fashion_mnist_small", "--epochs=1 --threads=1" + save("one"));
  INFO("output:\n", one.output);
  CHECK(number(one, "threads") == 1);

  // Without --threads the environment variable sets the count (regression: --threads' default
  // of 0 meant every core, so AXON_NUM_THREADS was ignored by every example).
  ::setenv("AXON_NUM_THREADS", "1", 1);
  const Run env = run_example("fashion_mnist_small", "--epochs 1" + save("env"));
  ::unsetenv("AXON_NUM_THREADS");
  INFO("output:\n", env.output);
  CHECK(number(env, "threads") == 1);
  const std::string bytes_two = file_bytes(dir / "two");
  CHECK(bytes_two.size() > 784 * 32 * 4);  // the first layer's weights alone, in float32
  CHECK(file_bytes(dir / "one") == bytes_two);
  CHECK(file_bytes(dir / "env") == bytes_two);
  std::filesystem::remove_all(dir);
}

TEST_CASE("examples: an AXON_NUM_THREADS that is not a thread count is an error naming it") {
  for (const char* value : {"abc", "0", "-2", "4097", "99999999999999999999"}) {
    CAPTURE(value);
    ::setenv("AXON_NUM_THREADS", value, 1);
    const Run run = run_example("xor", "", /*merge_stderr=*/true);
    ::unsetenv("AXON_NUM_THREADS");
    CHECK(run.exit_code != 0);
    CHECK(run.output.find("AXON_NUM_THREADS='" + std::string(value) +
                          "': expected an integer from 1 to 4096") != std::string::npos);
  }
}

TEST_CASE("examples/fashion_mnist_mlp: one epoch of the flagship and its JSON result" *
          doctest::skip(kNoFashionMnist) * doctest::description(kNeedsFashionMnist)) {
  // Seeds 0-5 give 0.824 to 0.830 after one epoch (10 epochs: 0.872 with seed 0).
  const auto curves = std::filesystem::temp_directory_path() /
                      ("axon_mlp_curves_" + std::to_string(::getpid()) + ".svg");
  const Run run =
      run_example("fashion_mnist_mlp",
                  "--epochs 1 --batch-size 128 --threads 2 --curves '" + curves.string() + "'");
  INFO("output:\n", run.output);
  check_json(run, "fashion_mnist_mlp");
  CHECK(run.exit_code == 0);
  // The learning curves, training beside test, are written and their path printed.
  CHECK(run.output.find("learning curves: " + curves.string()) != std::string::npos);
  REQUIRE(std::filesystem::exists(curves));
  {
    std::FILE* f = std::fopen(curves.string().c_str(), "r");
    REQUIRE(f != nullptr);
    std::string svg;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) svg.append(buffer, n);
    std::fclose(f);
    CHECK(svg.find("<svg") == 0);
    CHECK(svg.find(">val_loss<") != std::string::npos);
    CHECK(svg.find(">val_accuracy<") != std::string::npos);
  }
  std::filesystem::remove(curves);
  CHECK(number(run, "epochs") == 1);
  CHECK(number(run, "test_accuracy") >= 0.81);
  CHECK(number(run, "train_seconds") > 0);
  CHECK(number(run, "samples_per_second") > 1000);
  CHECK(number(run, "threads") == 2);
  CHECK(run.output.find("Epoch 1/1") != std::string::npos);  // fit's line per epoch off a tty
}

TEST_CASE("examples/fashion_mnist_lstm: one epoch on 20,000 images and its JSON result" *
          doctest::skip(kNoFashionMnist) * doctest::description(kNeedsFashionMnist)) {
  // Seed 0: 0.70 after one epoch on the first 20,000 images (3 full epochs: 0.83 or more).
  const Run run = run_example("fashion_mnist_lstm", "--epochs 1 --limit 20000 --threads 2");
  INFO("output:\n", run.output);
  check_json(run, "fashion_mnist_lstm");
  CHECK(run.exit_code == 0);
  CHECK(number(run, "train_samples") == 20000);
  CHECK(number(run, "test_accuracy") >= 0.62);
  CHECK(number(run, "samples_per_second") > 500);
  CHECK(run.output.find("LSTM(input_size=28, hidden_size=64") != std::string::npos);
}

TEST_CASE("examples/char_rnn: two epochs beat the unigram model on held-out text") {
  // Seed 0: held-out 3.04 nats/char after one epoch, 2.74 after two, against a unigram entropy
  // of 3.06 (five epochs: 2.25).
  const Run run = run_example("char_rnn", "--epochs 2 --threads 2 --seed 0");
  INFO("output:\n", run.output);
  check_json(run, "char_rnn");
  CHECK(run.exit_code == 0);
  const double val_loss = number(run, "val_loss"), unigram = number(run, "unigram_loss");
  CHECK(unigram > 2.5);
  CHECK(unigram < 3.5);
  CHECK(val_loss < unigram - 0.15);
  CHECK(number(run, "train_loss") < 3.2);
  CHECK(run.output.find("--- sample ---") != std::string::npos);
  CHECK(run.output.find("Epoch 2/2") != std::string::npos);
  // A missing text file is an error naming it.
  const Run missing = run_example("char_rnn", "--text /nonexistent/axon.txt", true);
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("/nonexistent/axon.txt") != std::string::npos);
}

TEST_CASE("examples/fashion_mnist_cnn: one epoch of the CNN and its JSON result" *
          doctest::skip(kNoFashionMnist) * doctest::description(kNeedsFashionMnist)) {
  // Seed 0 gives 0.824 after one epoch (3 epochs, the full setting: 0.86 or more).
  const Run run = run_example("fashion_mnist_cnn", "--epochs 1 --threads 2");
  INFO("output:\n", run.output);
  check_json(run, "fashion_mnist_cnn");
  CHECK(run.exit_code == 0);
  CHECK(number(run, "epochs") == 1);
  CHECK(number(run, "test_accuracy") >= 0.80);
  CHECK(number(run, "samples_per_second") > 500);
  CHECK(number(run, "threads") == 2);
  CHECK(run.output.find("(1): Conv2d(in_channels=1, out_channels=8, kernel_size=3") !=
        std::string::npos);
  CHECK(run.output.find("Epoch 1/1") != std::string::npos);
}

TEST_CASE("examples: bad command lines exit with code 2, the error and the usage") {
  struct Case {
    const char* example;
    const char* flags;
    const char* message;
  };
  // CLI11's messages, with the examples' own check of integers (examples::integer).
  const std::vector<Case> cases = {
      {"xor", "--bogus 3", "The following arguments were not expected: 3 --bogus"},
      {"xor", "--epochs 0", "--epochs: expects an integer >= 1, got '0'"},
      {"xor", "--epochs ten", "--epochs: expects an integer >= 1, got 'ten'"},
      {"xor", "--epochs 5x", "got '5x'"},
      // A standard flag that an example does not take is unknown to it.
      {"xor", "--batch-size 8", "were not expected: 8 --batch-size"},
      {"xor", "--data /tmp", "were not expected: /tmp --data"},
      {"boston_regression", "--seed -1", "--seed: expects an integer >= 0, got '-1'"},
      {"boston_regression", "--data=", "--data: 1 required DIR missing"},
      {"boston_regression", "--data ''", "--data: is empty"},
      {"custom_module", "--threads", "--threads: 1 required T missing"},
      {"fashion_mnist_mlp", "--batch-size 0", "--batch-size: expects an integer >= 1"},
      {"fashion_mnist_mlp", "--curves ''", "--curves: is empty"},
      {"fashion_mnist_small", "extra", "The following argument was not expected: extra"},
      {"fashion_mnist_cnn", "--epochs -2", "--epochs: expects an integer >= 1, got '-2'"},
      // 2^31 threads hung in oneTBB and 10^9 ran out of memory.
      {"xor", "--threads 2147483648", "--threads: expects an integer in 0..4096, got '2147483648'"},
      {"custom_module", "--threads=4097", "--threads: expects an integer in 0..4096"},
      // The examples' own flags: a missing value was "unknown flag '--text'", a bad number an
      // uncaught std::invalid_argument from stoul (exit 1), and -5 a limit of 2^64 - 5 (as
      // CLI11 2.1's own conversion still reads it; examples::integer refuses it).
      {"char_rnn", "--epochs 1 --text", "--text: 1 required PATH missing"},
      {"char_rnn", "--text ''", "--text: is empty"},
      {"fashion_mnist_lstm", "--limit abc", "--limit: expects an integer >= 0, got 'abc'"},
      {"fashion_mnist_lstm", "--limit -5", "--limit: expects an integer >= 0, got '-5'"},
      {"fashion_mnist_lstm", "--limit", "--limit: 1 required N missing"},
      {"tune_boston", "--folds x", "--folds: expects an integer >= 0, got 'x'"},
      {"tune_mlp", "--epochs 3", "were not expected: 3 --epochs"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.example);
    CAPTURE(c.flags);
    const Run run = run_example(c.example, c.flags, true);
    INFO("output:\n", run.output);
    CHECK(run.exit_code == 2);
    CHECK(run.output.find(std::string(c.example) + ": error: ") != std::string::npos);
    CHECK(run.output.find(c.message) != std::string::npos);
    CHECK(run.output.find("Usage: " + std::string(c.example) + " [OPTIONS]") != std::string::npos);
  }
  const Run help = run_example("fashion_mnist_mlp", "--help", true);
  INFO("output:\n", help.output);
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("Usage: fashion_mnist_mlp [OPTIONS]") != std::string::npos);
  CHECK(help.output.find("--epochs N=10") != std::string::npos);  // with its default
  CHECK(help.output.find("--batch-size B=128") != std::string::npos);
  CHECK(help.output.find("--curves PATH=fashion_mnist_mlp_curves.svg") != std::string::npos);
  const Run text_help = run_example("char_rnn", "--help", true);
  CHECK(text_help.exit_code == 0);
  CHECK(text_help.output.find("--text PATH") != std::string::npos);
}

TEST_CASE("examples/char_rnn: a text too short for a held-out window is an error naming it") {
  // 100 bytes: the held-out 10 bytes cannot fill one window of 65. The error named neither the
  // file nor the held-out part ("a text of 10 characters is too short").
  const auto path = std::filesystem::temp_directory_path() /
                    ("axon-example-short-" + std::to_string(getpid()) + ".txt");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    const std::string text(100, 'a');
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  const Run run = run_example("char_rnn", "--epochs 1 --text '" + path.string() + "'", true);
  std::filesystem::remove(path);
  INFO("output:\n", run.output);
  CHECK(run.exit_code == 1);
  CHECK(run.output.find(path.string() + ": 100 bytes; at least 650") != std::string::npos);
  CHECK(run.output.find("held-out") != std::string::npos);
}

TEST_CASE("examples/xor: resuming a checkpoint already at --epochs reports the model's loss") {
  // No epoch runs after such a resume; final_loss was then the 0 it was initialised to.
  const auto checkpoint = std::filesystem::temp_directory_path() /
                          ("axon-example-xor-" + std::to_string(getpid()) + ".ckpt");
  const Run first = run_example("xor", "--epochs 300 --checkpoint '" + checkpoint.string() + "'");
  REQUIRE(std::filesystem::exists(checkpoint));
  const Run again = run_example("xor", "--epochs 300 --resume '" + checkpoint.string() + "'");
  // A checkpoint past --epochs would train nothing: an error naming the epoch (issue 16).
  const Run past = run_example("xor", "--epochs 100 --resume '" + checkpoint.string() + "'", true);
  std::filesystem::remove(checkpoint);
  INFO("first:\n", first.output, "\nagain:\n", again.output, "\npast:\n", past.output);
  const double trained = number(first, "final_loss");
  CHECK(trained > 0.1);
  CHECK(number(again, "final_loss") == doctest::Approx(trained).epsilon(0.01));
  CHECK(past.exit_code == 1);
  CHECK(past.output.find("epoch 300 in the checkpoint is past the run's 100 epochs") !=
        std::string::npos);
  CHECK(number(again, "max_abs_error") == number(first, "max_abs_error"));
}

TEST_CASE("examples: a missing data directory is an error naming it, exit code 1") {
  const Run run = run_example("fashion_mnist_mlp", "--data /nonexistent/axon-data", true);
  INFO("output:\n", run.output);
  CHECK(run.exit_code == 1);
  CHECK(run.output.find("/nonexistent/axon-data") != std::string::npos);
}

TEST_CASE("examples: --save writes the trained parameters as safetensors that io::load reads") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("axon-example-xor-" + std::to_string(getpid()) + ".safetensors");
  const Run run = run_example("xor", "--save '" + path.string() + "'");
  INFO("output:\n", run.output);
  CHECK(run.exit_code == 0);
  REQUIRE(std::filesystem::exists(path));
  // The same 2-3-1 network, loaded strictly (every name and shape must match), solves XOR.
  autograd::Generator gen(0);
  nn::Sequential model;
  model.add<nn::Linear>(2, 3, gen);
  model.add<nn::Sigmoid>();
  model.add<nn::Linear>(3, 1, gen);
  model.add<nn::Sigmoid>();
  io::load(model, path.string());
  std::filesystem::remove(path);
  autograd::NoGradGuard no_grad;
  const auto x = autograd::from_vector<float>({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  const auto prediction = model(x);
  const float targets[] = {0, 1, 1, 0};
  for (std::size_t i = 0; i < 4; ++i) CHECK(std::abs(prediction.data()(i, 0) - targets[i]) < 0.1);

  const Run bad =
      run_example("boston_regression", "--save /nonexistent/axon/model.safetensors", true);
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("/nonexistent/axon/model.safetensors") != std::string::npos);
}

namespace {
/// A flat JSON line without its "train_seconds" and "samples_per_second" fields.
std::string without_timings(std::string json) {
  for (const std::string key : {"\"train_seconds\":", "\"samples_per_second\":"}) {
    const auto at = json.find(key);
    if (at == std::string::npos) continue;
    const auto end = json.find_first_of(",}", at + key.size());
    json.erase(at, end - at + (json[end] == ',' ? 1 : 0));
  }
  return json;
}

/// Trains `example` for `first` epochs writing a checkpoint, resumes it up to `total` epochs,
/// and checks the saved parameters are byte-identical to those of one run of `total` epochs.
void check_resume_matches_one_run(const std::string& example, const std::string& flags,
                                  std::size_t first, std::size_t total) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("axon-resume-" + example + "-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string checkpoint = (dir / "run.ckpt").string();
  const std::string resumed = (dir / "resumed.safetensors").string();
  const std::string straight = (dir / "straight.safetensors").string();
  const auto epochs = [](std::size_t n) { return " --epochs " + std::to_string(n); };

  const Run part =
      run_example(example, flags + epochs(first) + " --checkpoint '" + checkpoint + "'");
  INFO("first part:\n", part.output);
  // The examples exit 0 whatever they reach: the targets are this file's.
  REQUIRE(part.exit_code == 0);
  REQUIRE(std::filesystem::exists(checkpoint));
  const Run rest = run_example(
      example, flags + epochs(total) + " --resume '" + checkpoint + "' --save '" + resumed + "'");
  INFO("resumed part:\n", rest.output);
  const Run one = run_example(example, flags + epochs(total) + " --save '" + straight + "'");
  CHECK(rest.exit_code == 0);
  CHECK(one.exit_code == 0);
  CHECK(rest.output.find("resum") != std::string::npos);
  const std::string a = file_bytes(resumed), b = file_bytes(straight);
  CHECK(!a.empty());
  CHECK(a == b);
  // Every result in the JSON line agrees too (losses, accuracies; not the timings).
  CHECK(without_timings(rest.json) == without_timings(one.json));
  CHECK(without_timings(one.json).find("loss") != std::string::npos);
  std::filesystem::remove_all(dir);
}
}  // namespace

TEST_CASE("examples: --resume from a --checkpoint gives the same parameters as one run") {
  SUBCASE("xor, hand-written loop") {
    check_resume_matches_one_run("xor", "", 300, 700);
  }
  SUBCASE("a checkpoint that does not exist is an error naming it") {
    const Run run = run_example("xor", "--resume /nonexistent/axon/run.ckpt", true);
    CHECK(run.exit_code == 1);
    CHECK(run.output.find("/nonexistent/axon/run.ckpt") != std::string::npos);
  }
}

TEST_CASE("examples/fashion_mnist_small: --resume gives the same parameters as one run" *
          doctest::skip(kNoFashionMnist) * doctest::description(kNeedsFashionMnist)) {
  check_resume_matches_one_run("fashion_mnist_small", " --threads 2", 1, 2);
}

TEST_CASE("examples: after --resume, samples_per_second counts the epochs trained" *
          doctest::skip(kNoFashionMnist) * doctest::description(kNeedsFashionMnist)) {
  // Regression: the rate divided every --epochs' samples by the time of the epochs left, 10x
  // the true rate when resuming at epoch 9 of 10, and a division by almost zero when resuming
  // at --epochs. Here 1 epoch is trained after a checkpoint at epoch 1: the rate must be that
  // of 60,000 samples in train_seconds, not 120,000.
  const auto checkpoint = std::filesystem::temp_directory_path() /
                          ("axon-example-rate-" + std::to_string(getpid()) + ".ckpt");
  const std::string ckpt = " --checkpoint '" + checkpoint.string() + "'";
  const Run first = run_example("fashion_mnist_small", "--epochs 1 --threads 2" + ckpt);
  INFO("first:\n", first.output);
  REQUIRE(std::filesystem::exists(checkpoint));
  const std::string resume = " --resume '" + checkpoint.string() + "'";
  const Run rest = run_example("fashion_mnist_small", "--epochs 2 --threads 2" + resume);
  const Run none = run_example("fashion_mnist_small", "--epochs 1 --threads 2" + resume);
  std::filesystem::remove(checkpoint);
  INFO("resumed:\n", rest.output, "\nnothing to train:\n", none.output);
  REQUIRE(rest.exit_code == 0);
  const double rate = number(rest, "samples_per_second"), seconds = number(rest, "train_seconds");
  CHECK(rate == doctest::Approx(60000 / seconds).epsilon(0.01));
  // Resumed at --epochs: nothing trained, no rate (JSON null), not a huge number.
  CHECK(none.exit_code == 0);
  CHECK(raw_value(none.json, "samples_per_second") == "null");
}

// The targets of the examples at their default settings. The examples print their results and
// exit 0; what each must reach is kept here. xor, boston_regression and custom_module run at
// their defaults above; the others train for minutes on 2 cores, so they run with --no-skip.
TEST_CASE("examples at their default settings reach their targets" * doctest::skip(true) *
          doctest::description("minutes: run with --no-skip (needs dataset-fashion-mnist)")) {
  struct Target {
    std::string example;
    std::string flags;
    double test_accuracy;  ///< at least
  };
  const auto curves = std::filesystem::temp_directory_path() /
                      ("axon_full_curves_" + std::to_string(::getpid()) + ".svg");
  const std::vector<Target> targets = {
      // 10 epochs. PyTorch, same model and settings: 0.872-0.877 (scripts/pytorch_examples.py,
      // seeds 0-2).
      {"fashion_mnist_mlp", "--curves '" + curves.string() + "'", 0.865},
      {"fashion_mnist_small", "", 0.835},  // 5 epochs
      {"fashion_mnist_cnn", "", 0.85},     // 3 epochs; PyTorch: 0.857-0.865
      // 3 epochs; PyTorch: 0.837. Seed 0 here gave 0.834, but 0.8278 at commit 2a0b387
      // (2026-12-03, the same before and after the examples moved to CLI11): below target.
      {"fashion_mnist_lstm", "", 0.83},
  };
  for (const Target& t : targets) {
    CAPTURE(t.example);
    const Run run = run_example(t.example, t.flags);
    INFO("output:\n", run.output);
    CHECK(run.exit_code == 0);
    CHECK(number(run, "test_accuracy") >= t.test_accuracy);
  }
  std::filesystem::remove(curves);
  // char_rnn, 5 epochs: the held-out loss beats the unigram entropy, the best a model blind to
  // context reaches (seed 0: 2.25 against 3.06 nats/char).
  const Run text = run_example("char_rnn", "");
  INFO("output:\n", text.output);
  CHECK(text.exit_code == 0);
  CHECK(number(text, "val_loss") < number(text, "unigram_loss"));
}

}  // namespace axon::test
