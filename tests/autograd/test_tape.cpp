// SPDX-License-Identifier: MIT
// Tests autograd/tape.cpp: recording, the reverse loop, accumulation, release, guards, threads.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>

#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

/// Resident set size in kB from /proc (Linux); 0 when unavailable.
long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long v = 0;
      in >> v;
      return v;
    }
    std::getline(in, key);
  }
  return 0;
}

}  // namespace

TEST_CASE("tape: a value used k times gets the sum of k contributions") {
  auto x = scalar<double>(3.0, true);
  auto y = x * x + x * 2.0 + x;  // dy/dx = 2x + 3 = 9
  y.backward();
  CHECK(x.grad().item() == doctest::Approx(9.0));
}

TEST_CASE("tape: gradients accumulate across backward calls until zero_grad") {
  auto x = scalar<double>(2.0, true);
  (x * 3.0).backward();
  (x * 4.0).backward();
  CHECK(x.grad().item() == doctest::Approx(7.0));
  x.zero_grad();
  CHECK_FALSE(x.has_grad());
  (x * 5.0).backward();
  CHECK(x.grad().item() == doctest::Approx(5.0));
}

TEST_CASE("tape: backward(grad_output) on a non-scalar") {
  auto x = from_vector<double>({1, 2, 3}, {3}, true);
  auto y = x * x;
  y.backward(from_vector<double>({1, 10, 100}, {3}));
  CHECK(x.grad().data() == xt::xarray<double>({2, 40, 600}));
  auto z = x * 2.0;
  CHECK_THROWS_AS(z.backward(), GraphError);  // needs a grad_output
  CHECK_THROWS_AS(z.backward(ones<double>({2})), ShapeError);
}

TEST_CASE("tape: retain_graph allows a second backward; without it a typed error") {
  auto x = scalar<double>(1.5, true);
  auto y = exp(x) * x;
  y.backward(true);
  const double g1 = x.grad().item();
  y.backward(true);
  CHECK(x.grad().item() == doctest::Approx(2 * g1));
  y.backward();  // releases
  CHECK_THROWS_AS(y.backward(), GraphError);
  try {
    y.backward();
  } catch (const GraphError& e) {
    CHECK(std::string(e.what()).find("already released") != std::string::npos);
  }
}

TEST_CASE("tape: using a tensor of a released graph in a new op is a typed error") {
  auto x = scalar<double>(1.0, true);
  auto h = x * 2.0;
  (h * 3.0).backward();
  CHECK_THROWS_AS(h * 4.0, GraphError);
  // detach() gives a fresh leaf that can be used again.
  auto d = h.detach();
  CHECK_NOTHROW(d * 4.0);
  CHECK(d.is_leaf());
}

TEST_CASE("tape: NoGradGuard stops recording; detach cuts the graph") {
  auto x = scalar<double>(2.0, true);
  {
    NoGradGuard guard;
    CHECK_FALSE(grad_enabled());
    auto y = x * x;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
  }
  CHECK(grad_enabled());
  auto y = x.detach() * x;  // only the second factor carries a gradient
  y.backward();
  CHECK(x.grad().item() == doctest::Approx(2.0));
}

TEST_CASE("tape: backward on a tensor that does not require grad is a typed error") {
  auto x = scalar<double>(2.0);
  CHECK_THROWS_AS((x * 2.0).backward(), GraphError);
}

TEST_CASE("tape: a 100,000-op chain runs backward without overflowing the stack") {
  auto x = scalar<double>(1.0, true);
  auto y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0000001 + 0.0;
  y.backward();
  CHECK(x.grad().item() == doctest::Approx(std::pow(1.0000001, 100000)).epsilon(1e-9));
  CHECK(current_tape().size() == 0);  // released
}

// AddressSanitizer keeps freed memory in quarantine, so RSS grows there without a leak (its leak
// checker covers that build instead).
#if defined(__SANITIZE_ADDRESS__)
#define AXON_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AXON_ASAN 1
#endif
#endif
#ifndef AXON_ASAN
#define AXON_ASAN 0
#endif

TEST_CASE("tape: no memory growth over 10,000 forward/backward steps" *
          doctest::skip(AXON_ASAN != 0)) {
  Generator gen(1);
  auto w = randn<double>({16, 16}, gen, 0.0, 0.1, true);
  auto run = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto h = exp(w * 0.5) + w;
      auto loss = mul(h, h);
      loss.backward(ones<double>({16, 16}));
      w.zero_grad();
    }
  };
  run(500);  // warm up allocator pools
  const long before = rss_kb();
  run(10000);
  const long after = rss_kb();
  CHECK(current_tape().size() == 0);
  CHECK(after - before < 2048);  // < 2 MB growth over 10,000 steps
}

TEST_CASE("tape: forwards never followed by backward run in constant memory" *
          doctest::skip(AXON_ASAN != 0)) {
  // An evaluation loop written by hand: recording on, no NoGradGuard, no backward().
  Generator gen(3);
  nn::Sequential mlp{std::make_shared<nn::Linear>(nn::LinearOptions(32, 64), gen),
                     std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Linear>(nn::LinearOptions(64, 10), gen)};
  auto x = randn<float>({16, 32}, gen);
  Tape tape;
  TapeScope scope(tape);
  std::size_t one_pass = 0;
  auto run = [&](int n) {
    std::size_t largest = 0;
    for (int i = 0; i < n; ++i) {
      auto out = mlp.forward(x);
      auto score = sum(out * out);
      largest = std::max(largest, tape.size());
    }
    return largest;
  };
  one_pass = run(1);
  REQUIRE(one_pass > 0);
  run(500);  // warm up allocator pools
  const long before = rss_kb();
  CHECK(run(10000) == one_pass);  // never more than one pass on the tape
  const long after = rss_kb();
  CHECK(after - before < 2048);  // < 2 MB growth over 10,000 passes
}

TEST_CASE("tape: a recording is released only when no handle can reach it") {
  auto x = scalar<double>(2.0, true);
  Tape tape;
  TapeScope scope(tape);
  auto kept = x * 3.0;  // a live handle keeps its whole recording
  {
    auto dropped = kept * kept;
    auto copy = dropped;
    auto moved = std::move(copy);
  }
  auto more = x * 5.0;
  CHECK(tape.size() == 3);
  CHECK_FALSE(tape.abandoned());
  auto id = tape.id();
  {
    auto a = kept;  // copies and moves count as handles too
    kept = more;
    more = std::move(a);
  }
  (kept * more).backward();  // still one recording: d(15 x^2)/dx = 30 x
  CHECK(x.grad().item() == doctest::Approx(2 * 2.0 * 15.0));
  CHECK(tape.id() != id);

  // Only handles count: after the last one is dropped, the next op starts a fresh recording.
  x.zero_grad();
  auto first = x * 7.0;
  id = tape.id();
  auto impl = first.impl_ptr();  // a raw state pointer is not a handle
  first = BasicTensor<double>();
  CHECK(tape.abandoned());
  auto second = x * 11.0;
  CHECK(tape.size() == 1);
  CHECK(tape.id() != id);
  // The released tensor still gives the typed error when it is used again.
  BasicTensor<double> revived(impl);
  CHECK_THROWS_AS(revived.backward(), GraphError);
  CHECK_THROWS_AS(revived * 2.0, GraphError);
  second.backward();
  CHECK(x.grad().item() == doctest::Approx(11.0));
}

TEST_CASE("tape: a tensor may outlive its tape") {
  auto x = scalar<double>(2.0, true);
  BasicTensor<double> survivor;
  {
    Tape tape;
    TapeScope scope(tape);
    survivor = x * 3.0;
  }
  Tape other;  // may reuse the destroyed tape's handle count under a new id
  TapeScope scope(other);
  auto y = x * 4.0;
  auto copy = survivor;
  copy = BasicTensor<double>();
  survivor = BasicTensor<double>();
  CHECK_FALSE(other.abandoned());  // y's handle still counts
  y.backward();
  CHECK(x.grad().item() == doctest::Approx(4.0));
}

TEST_CASE("tape: recording is thread-local; TapeScope switches tapes") {
  auto x = scalar<double>(3.0, true);
  double grad_in_thread = 0;
  std::thread t([&] {
    auto xl = scalar<double>(3.0, true);
    auto y = xl * xl;
    y.backward();
    grad_in_thread = xl.grad().item();
  });
  auto y = x * 2.0;  // recorded on this thread's tape while the other thread runs
  t.join();
  y.backward();
  CHECK(grad_in_thread == doctest::Approx(6.0));
  CHECK(x.grad().item() == doctest::Approx(2.0));

  Tape shard;
  {
    TapeScope scope(shard);
    auto z = x * 5.0;
    CHECK(shard.size() == 1);
    z.backward();
    CHECK(shard.size() == 0);
  }
  CHECK(x.grad().item() == doctest::Approx(7.0));
}

TEST_CASE("tape: anomaly mode names the op producing NaN in backward") {
  auto x = scalar<double>(0.0, true);
  {
    AnomalyGuard guard;
    auto y = sqrt(x);  // d sqrt/dx at 0 = inf
    try {
      y.backward();
      FAIL("expected NumericalError");
    } catch (const NumericalError& e) {
      CHECK(std::string(e.what()).find("sqrt") != std::string::npos);
    }
  }
  CHECK_FALSE(anomaly_enabled());
  auto y = sqrt(x);
  CHECK_NOTHROW(y.backward());  // off by default: inf propagates silently
  CHECK(std::isinf(x.grad().item()));
}

TEST_CASE("tape: anomaly mode also names the first op whose forward produced a non-finite value") {
  auto x = scalar<double>(0.0, true);
  AnomalyGuard guard;
  Tape tape;
  TapeScope scope(tape);
  auto y = log(x);               // forward: -inf, the origin
  auto z = exp(y * -1.0) * 0.0;  // forward: exp(inf) = inf, then inf * 0 = nan
  auto loss = y * y + z;         // backward of this mul is the first to produce -inf
  CHECK(tape.first_nonfinite_forward().find("'log' (node 0) produced -inf") == 0);
  try {
    loss.backward();
    FAIL("expected NumericalError");
  } catch (const NumericalError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("backward of 'mul'") != std::string::npos);
    CHECK(msg.find("first non-finite forward value: 'log' (node 0) produced -inf") !=
          std::string::npos);
  }
  CHECK(tape.first_nonfinite_forward().empty());  // released with the recording
  // Finite forwards leave nothing to report.
  auto w = exp(x) * 2.0;
  CHECK(tape.first_nonfinite_forward().empty());
  w.backward();
}

}  // namespace axon::test
