// SPDX-License-Identifier: MIT
// Tests autograd/random.hpp: a fixed, seedable, restorable stream.
#include <doctest/doctest.h>

#include <cmath>

#include "axon/autograd/random.hpp"

namespace axon::test {

using axon::autograd::Generator;

TEST_CASE("random: equal seeds give equal streams, state round-trips") {
  Generator a(9), b(9);
  for (int i = 0; i < 10; ++i) CHECK(a.next_u64() == b.next_u64());
  const auto st = a.state();
  const double x1 = a.normal(), x2 = a.uniform();
  a.set_state(st);
  CHECK(a.normal() == x1);
  CHECK(a.uniform() == x2);
  Generator c(10);
  CHECK(c.next_u64() != Generator(9).next_u64());
}

TEST_CASE("random: normal draws have mean 0 and variance 1; below() stays in range") {
  Generator g(1);
  double s = 0, s2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = g.normal();
    s += x;
    s2 += x * x;
  }
  CHECK(std::abs(s / n) < 0.01);
  CHECK(std::abs(s2 / n - 1.0) < 0.02);
  for (int i = 0; i < 1000; ++i) CHECK(g.below(7) < 7);
}

TEST_CASE("random: forked streams are distinct and reproducible") {
  Generator g(5);
  auto f0 = g.fork(0), f1 = g.fork(1), f0b = g.fork(0);
  const auto a = f0.next_u64();
  CHECK(a == f0b.next_u64());
  CHECK(a != f1.next_u64());
}

}  // namespace axon::test
