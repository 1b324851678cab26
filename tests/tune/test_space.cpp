// SPDX-License-Identifier: MIT
// Tests tune/space.cpp and tune/strategy.cpp: grid order and completeness, conditional
// parameters, seeded sampling, successive halving's and Hyperband's plans.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/tune/space.hpp"
#include "axon/tune/strategy.hpp"

namespace axon::test {

using tune::Value;
using tune::Values;

TEST_CASE("tune: grid lists every combination, first parameter slowest") {
  tune::Space space;
  space.choice("a", {1, 2})
      .choice("b", {"x", "y", "z"})
      .real("c", 0.0, 1.0, false, 2)
      .integer("d", 1, 2)
      .when("b", {"x"});
  const auto grid = space.grid();
  // a (2) x [b = x: c (2) x d (2); b = y: c (2); b = z: c (2)] = 2 x 8
  REQUIRE(grid.size() == 16);
  CHECK(grid[0] == Values{{"a", std::int64_t{1}}, {"b", "x"}, {"c", 0.0}, {"d", std::int64_t{1}}});
  CHECK(grid[1] == Values{{"a", std::int64_t{1}}, {"b", "x"}, {"c", 0.0}, {"d", std::int64_t{2}}});
  CHECK(grid[2] == Values{{"a", std::int64_t{1}}, {"b", "x"}, {"c", 1.0}, {"d", std::int64_t{1}}});
  CHECK(grid[4] == Values{{"a", std::int64_t{1}}, {"b", "y"}, {"c", 0.0}});
  CHECK(grid[7] == Values{{"a", std::int64_t{1}}, {"b", "z"}, {"c", 1.0}});
  CHECK(grid[8] == Values{{"a", std::int64_t{2}}, {"b", "x"}, {"c", 0.0}, {"d", std::int64_t{1}}});
  // No duplicates.
  std::set<std::string> seen;
  for (const auto& v : grid) {
    std::string key;
    for (const auto& [k, x] : v) key += k + "=" + tune::to_string(x) + ";";
    seen.insert(key);
  }
  CHECK(seen.size() == grid.size());
  // The strategy keeps that order and numbers the trials from 0.
  const auto trials = tune::GridSearch(space).round(0, {}, tune::Direction::kMinimize);
  REQUIRE(trials.size() == 16);
  for (std::size_t i = 0; i < trials.size(); ++i) {
    CHECK(trials[i].id == i);
    CHECK(trials[i].values == grid[i]);
  }
}

TEST_CASE("tune: integer and log-real grids") {
  tune::Space space;
  space.integer("units", 16, 64, 16).real("lr", 1e-4, 1e-2, true, 3);
  const auto grid = space.grid();
  REQUIRE(grid.size() == 4 * 3);
  CHECK(std::get<std::int64_t>(grid[2].at("units")) == 16);
  CHECK(std::get<std::int64_t>(grid[3].at("units")) == 32);
  CHECK(std::get<std::int64_t>(grid[11].at("units")) == 64);
  CHECK(std::get<double>(grid[0].at("lr")) == doctest::Approx(1e-4));
  CHECK(std::get<double>(grid[1].at("lr")) == doctest::Approx(1e-3));
  CHECK(std::get<double>(grid[2].at("lr")) == 1e-2);
}

TEST_CASE("tune: seeded sampling is repeatable, in range, and conditional") {
  tune::Space space;
  space.real("lr", 1e-4, 1e-1, true)
      .choice("optimizer", {"sgd", "adam", "rmsprop"})
      .real("momentum", 0.0, 0.95)
      .when("optimizer", {"sgd"})
      .integer("units", 8, 512, 8, true)
      .integer("depth", 1, 3);
  const tune::RandomSearch a(space, 50, 7), b(space, 50, 7), c(space, 50, 8);
  const auto ta = a.round(0, {}, tune::Direction::kMinimize);
  const auto tb = b.round(0, {}, tune::Direction::kMinimize);
  const auto tc = c.round(0, {}, tune::Direction::kMinimize);
  REQUIRE(ta.size() == 50);
  std::size_t differ = 0, sgd = 0;
  for (std::size_t i = 0; i < ta.size(); ++i) {
    CHECK(ta[i].values == tb[i].values);
    CHECK(ta[i].seed == tb[i].seed);
    differ += ta[i].values != tc[i].values;
    const double lr = ta[i].real("lr");
    CHECK(lr >= 1e-4);
    CHECK(lr <= 1e-1);
    const auto units = ta[i].integer("units");
    CHECK(units >= 8);
    CHECK(units <= 512);
    CHECK(units % 8 == 0);
    CHECK(ta[i].has("momentum") == (ta[i].text("optimizer") == "sgd"));
    sgd += ta[i].text("optimizer") == "sgd";
  }
  CHECK(differ == 50);
  CHECK(sgd > 5);
  CHECK(sgd < 30);
  // Log scale: about a third of the draws below 1e-3 (uniform in log space over 3 decades).
  std::size_t low = 0;
  for (const auto& t : ta) low += t.real("lr") < 1e-3;
  CHECK(low > 5);
  CHECK(low < 30);
  // Sampling a trial is a pure function of (seed, index).
  CHECK(space.sample(7, 13) == ta[13].values);
}

TEST_CASE("tune: bad spaces and parameters are ValueErrors naming them") {
  tune::Space space;
  CHECK_THROWS_AS(space.grid(), ValueError);
  CHECK_THROWS_AS(space.integer("n", 5, 1), ValueError);
  CHECK_THROWS_AS(space.real("lr", 0.0, 1.0, true), ValueError);
  CHECK_THROWS_AS(space.choice("c", {}), ValueError);
  space.choice("c", {1});
  CHECK_THROWS_WITH_AS(space.choice("c", {2}), doctest::Contains("'c'"), ValueError);
  CHECK_THROWS_WITH_AS(space.real("m", 0, 1).when("opt", {"sgd"}), doctest::Contains("'opt'"),
                       ValueError);
  tune::Trial trial;
  trial.values = {{"lr", 0.1}, {"name", "adam"}};
  CHECK_THROWS_WITH_AS(trial.integer("lr"), doctest::Contains("'lr'"), ValueError);
  CHECK_THROWS_WITH_AS(trial.text("missing"), doctest::Contains("'missing'"), ValueError);
}

TEST_CASE("tune: successive halving and Hyperband plan their rungs") {
  tune::Space space;
  space.real("x", 0.0, 1.0);
  const tune::SuccessiveHalving sh(space, 9, 1, 9, 3, 5);
  REQUIRE(sh.rounds() == 3);
  CHECK(sh.budget(0) == 1);
  CHECK(sh.budget(1) == 3);
  CHECK(sh.budget(2) == 9);
  const tune::Hyperband hb(space, 9, 3, 5);
  // s_max = 2: brackets of 9 trials from 1 epoch, 5 from 3, 3 from 9.
  REQUIRE(hb.brackets().size() == 3);
  CHECK(hb.rounds() == 3 + 2 + 1);
  const auto first = hb.round(3, {}, tune::Direction::kMaximize);  // bracket 2, rung 0
  REQUIRE(first.size() == 5);
  CHECK(first[0].id == 9);
  CHECK(first[0].epochs == 3);
  CHECK(hb.round(5, {}, tune::Direction::kMaximize).size() == 3);
  CHECK_THROWS_AS(tune::SuccessiveHalving(space, 9, 4, 2), ValueError);
}

}  // namespace axon::test
