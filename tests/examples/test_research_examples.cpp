// SPDX-License-Identifier: MIT
// Runs the examples built on gradients of gradients and on a user-defined op (pinn,
// gradient_penalty, custom_op) and checks the results in their JSON lines against the targets
// issue 18 set.
#include <doctest/doctest.h>

#include <cmath>
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

}  // namespace axon::test
