// SPDX-License-Identifier: MIT
// Runs the examples of research-style models: gradients of gradients (pinn, gradient_penalty),
// a user-defined op (custom_op) and attention (char_transformer), and checks the results in
// their JSON lines against their targets; and a model of several outputs (vae).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/examples/run_example.hpp"

namespace axon::test {

TEST_CASE("examples/pinn: second derivatives of the network solve u'' = -pi^2 sin(pi x)") {
  const Run run = run_example("pinn", "");
  INFO("output:\n", run.output);
  check_json(run, "pinn");
  CHECK(run.exit_code == 0);
  CHECK(number(run, "relative_l2_error") < 1e-2);  // issue 18's target
  CHECK(number(run, "boundary_loss") < 1e-4);
}

TEST_CASE("examples/gradient_penalty: the WGAN-GP critic trains and its input gradients near 1") {
  const Run run = run_example("gradient_penalty", "");
  INFO("output:\n", run.output);
  check_json(run, "gradient_penalty");
  CHECK(run.exit_code == 0);
  CHECK(std::abs(number(run, "mean_input_grad_norm") - 1.0) < 0.15);
  CHECK(number(run, "wasserstein_estimate") > 0.2);  // the critic separates real from fake
}

TEST_CASE("examples/custom_op: a user-defined op passes gradcheck and gradgradcheck, and trains") {
  const Run run = run_example("custom_op", "");
  INFO("output:\n", run.output);
  check_json(run, "custom_op");
  CHECK(run.exit_code == 0);
  CHECK(number(run, "gradcheck") == 1);
  CHECK(number(run, "gradgradcheck") == 1);
  // The data were made by a clip at c = 1.5 of 2x; the fit recovers both.
  CHECK(number(run, "learned_c") == doctest::Approx(1.5).epsilon(1e-3));
  CHECK(number(run, "learned_w") == doctest::Approx(2.0).epsilon(1e-3));
}

TEST_CASE("examples/char_transformer: one epoch beats the unigram model on held-out text") {
  // Seed 0: held-out 2.51 nats/char (3.62 bits) after one epoch, against a unigram entropy of
  // 3.06; char_rnn's LSTM reaches 3.04 after one epoch. Five epochs: 1.95 nats (2.81 bits).
  const Run run = run_example("char_transformer", "--epochs 1 --threads 2 --seed 0");
  INFO("output:\n", run.output);
  check_json(run, "char_transformer");
  CHECK(run.exit_code == 0);
  const double val_loss = number(run, "val_loss"), unigram = number(run, "unigram_loss");
  CHECK(val_loss < unigram - 0.2);
  CHECK(number(run, "val_bits_per_char") == doctest::Approx(val_loss / std::log(2.0)));
  CHECK(number(run, "parameters") > 100000);
  CHECK(run.output.find("(encoder): TransformerEncoder(") != std::string::npos);
  CHECK(run.output.find("--- sample ---") != std::string::npos);

  // --compare-rnn trains char_rnn's LSTM for the Transformer's time (a short text keeps it quick).
  const auto path = std::filesystem::temp_directory_path() /
                    ("axon-example-compare-" + std::to_string(getpid()) + ".txt");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::string text;
    for (int i = 0; i < 200; ++i) text += "It is a truth universally acknowledged, said Anne. ";
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  const Run compare = run_example(
      "char_transformer", "--epochs 1 --threads 2 --compare-rnn --text '" + path.string() + "'");
  std::filesystem::remove(path);
  INFO("output:\n", compare.output);
  check_json(compare, "char_transformer");
  CHECK(compare.exit_code == 0);
  CHECK(number(compare, "rnn_epochs") >= 1);
  CHECK(number(compare, "rnn_parameters") > 0);
  CHECK(number(compare, "rnn_train_seconds") >= number(compare, "train_seconds"));
  CHECK(number(compare, "rnn_val_bits_per_char") > 0);
}

TEST_CASE("examples/vae: a model of three outputs and a loss of all three train with fit" *
          doctest::skip(!fashion_mnist_installed()) *
          doctest::description("skipped unless dataset-fashion-mnist is installed")) {
  // 2 epochs on 6000 images: the test -ELBO falls from 549 nats per image untrained to 315
  // (seed 0; 2026-12-04).
  const std::string flags = "--epochs 2 --train-samples 6000 --hidden 128 --latent 8 --seed 0";
  const Run run = run_example("vae", flags + " --threads 2");
  INFO("output:\n", run.output);
  check_json(run, "vae");
  CHECK(run.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(run.json);  // well formed, or it throws
  CHECK(j.at("epochs") == 2);
  CHECK(j.at("train_samples") == 6000);
  CHECK(j.at("last_epoch_loss").get<double>() < j.at("first_epoch_loss").get<double>());
  const double test = j.at("test_loss").get<double>();
  CHECK(test < 0.8 * j.at("initial_test_loss").get<double>());
  CHECK(j.at("test_elbo").get<double>() == doctest::Approx(-test));
  // The two terms: a reconstruction below the loss, a positive KL (each evaluated with its own
  // noise, so their sum only approximates the loss).
  CHECK(j.at("test_kl").get<double>() > 0);
  CHECK(j.at("test_reconstruction").get<double>() < test + 5);
  CHECK(run.output.find("Vae(") != std::string::npos);
  // The reparameterisation noise comes from each shard's stream: one thread gives the same run.
  const Run one = run_example("vae", flags + " --threads 1");
  for (const char* key : {"first_epoch_loss", "last_epoch_loss", "test_loss", "test_kl"}) {
    CAPTURE(key);
    CHECK(raw_value(one.json, key) == raw_value(run.json, key));
  }
}

}  // namespace axon::test
