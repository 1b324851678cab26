// SPDX-License-Identifier: MIT
// Tests train/history.cpp's axis ticks: round values ("nice numbers") on the SVG learning curves.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/train/history.hpp"

namespace axon::test {

using namespace axon::train;

void check_ticks(const std::vector<double>& got, const std::vector<double>& expected) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));
  }
}

TEST_CASE("history: nice_ticks cover the data with steps of 1, 2 or 5 times a power of ten") {
  check_ticks(nice_ticks(0.5681, 0.6534), {0.56, 0.58, 0.60, 0.62, 0.64, 0.66});
  check_ticks(nice_ticks(0.0, 1.0), {0.0, 0.2, 0.4, 0.6, 0.8, 1.0});
  check_ticks(nice_ticks(0.31, 2.37), {0, 1, 2, 3});
  check_ticks(nice_ticks(-3.2, 7.9), {-5, 0, 5, 10});
  check_ticks(nice_ticks(120, 980), {0, 200, 400, 600, 800, 1000});
  check_ticks(nice_ticks(1, 10), {0, 2, 4, 6, 8, 10});
  // One value: an axis around it, still at round steps.
  const auto flat = nice_ticks(0.25, 0.25);
  CHECK(flat.front() <= 0.25);
  CHECK(flat.back() >= 0.25);
  CHECK(flat.size() >= 2);
  // Every tick is a whole multiple of the step (no 0.30000000000000004 drift in the labels).
  for (double lo : {0.0123, 0.5681, 13.7, -0.004}) {
    const auto ticks = nice_ticks(lo, lo * 1.7 + 0.3);
    const double step = ticks[1] - ticks[0];
    for (double t : ticks) {
      CAPTURE(t);
      CHECK(std::abs(t / step - std::round(t / step)) < 1e-6);
    }
  }
  CHECK_THROWS_AS(nice_ticks(1.0, 0.0), ValueError);
  CHECK_THROWS_AS(nice_ticks(0.0, std::numeric_limits<double>::infinity()), ValueError);
  CHECK_THROWS_AS(nice_ticks(0.0, 1.0, 1), ValueError);
}

TEST_CASE("history: tick labels print the step's decimals") {
  CHECK(tick_label(0.6, 0.02) == "0.60");
  CHECK(tick_label(0.56, 0.02) == "0.56");
  CHECK(tick_label(1.5, 0.5) == "1.5");
  CHECK(tick_label(400, 200) == "400");
  CHECK(tick_label(0.0, 0.2) == "0.0");
}

// Regression: the loss axis was labelled at lo + (hi - lo) t / 4 of the padded data range
// (0.6534, 0.5681, ...); the labels are now the nice ticks.
TEST_CASE("history: the SVG's axis labels are round values") {
  History h;
  for (double v : {0.6534, 0.6102, 0.5913, 0.5681}) h.append("loss", v);
  for (double v : {0.6611, 0.6350, 0.6199, 0.6012}) h.append("val_loss", v);
  const std::string svg = h.to_svg("curves");
  for (const char* label : {">0.56<", ">0.58<", ">0.60<", ">0.62<", ">0.64<", ">0.66<", ">0.68<"}) {
    CAPTURE(label);
    CHECK(svg.find(label) != std::string::npos);
  }
  CHECK(svg.find(">0.6534<") == std::string::npos);
  CHECK(svg.find(">val_loss<") != std::string::npos);  // training beside validation
}

}  // namespace axon::test
