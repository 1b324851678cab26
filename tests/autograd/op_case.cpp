// SPDX-License-Identifier: MIT
#include "op_case.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include <doctest/doctest.h>

namespace axon::test {

std::vector<TensorD> make_inputs(const OpCase& c, std::uint64_t seed) {
  autograd::Generator gen(seed);
  std::vector<TensorD> xs;
  for (const auto& s : c.shapes) {
    if (c.distinct) {
      // A shuffled grid spaced well beyond eps, so no two elements tie.
      const std::size_t n = autograd::shape_numel(s);
      std::vector<double> v(n);
      for (std::size_t i = 0; i < n; ++i) {
        v[i] = c.low + (c.high - c.low) * (static_cast<double>(i) + 0.5) / static_cast<double>(n);
      }
      for (std::size_t i = n; i > 1; --i) std::swap(v[i - 1], v[gen.below(i)]);
      xs.push_back(autograd::from_vector<double>(v, s, true));
    } else {
      xs.push_back(autograd::rand<double>(s, gen, c.low, c.high, true));
    }
  }
  return xs;
}

void check_gradients(const std::vector<OpCase>& table) {
  for (const auto& c : table) {
    CAPTURE(c.label());
    auto r = autograd::gradcheck(c.fd, make_inputs(c, 42));
    INFO(r.message);
    CHECK(r.ok);
    CHECK(r.comparisons > 0);
  }
}

void check_second_gradients(const std::vector<OpCase>& table,
                            const std::set<std::string>& pending) {
  for (const auto& c : table) {
    if (pending.count(c.op)) continue;
    CAPTURE(c.label());
    auto r = autograd::gradgradcheck(c.fd, make_inputs(c, 42));
    INFO(r.message);
    CHECK(r.ok);
    CHECK(r.comparisons > 0);
  }
}

void check_float_matches_double(const std::vector<OpCase>& table) {
  for (const auto& c : table) {
    CAPTURE(c.label());
    const auto xd = make_inputs(c, 7);
    std::vector<Tensor> xf;
    for (const auto& x : xd) xf.push_back(x.to<float>());
    TensorD yd;
    Tensor yf;
    {
      autograd::NoGradGuard guard;
      yd = c.fd(xd);
      yf = c.ff(xf);
    }
    REQUIRE(yd.shape() == yf.shape());
    double worst = 0;
    for (std::size_t i = 0; i < yd.numel(); ++i) {
      const double d = yd.data_ptr()[i];
      const double f = yf.data_ptr()[i];
      const double rel = std::abs(d - f) / std::max(1e-3, std::abs(d));
      worst = std::max(worst, rel);
    }
    CHECK(worst <= 2e-3);
  }
}

std::set<std::string> declared_ops(const std::string& header) {
  const std::string path = std::string(AXON_SOURCE_DIR) + "/autograd/" + header;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::set<std::string> names;
  const std::regex decl(R"(^(?:std::vector<)?BasicTensor<T>>? (\w+)\()");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, decl)) names.insert(m[1]);
  }
  return names;
}

void check_every_op_has_a_row(const std::string& header, const std::vector<OpCase>& table,
                              const std::set<std::string>& exempt) {
  const auto names = declared_ops(header);
  CHECK(!names.empty());
  for (const auto& name : names) {
    if (exempt.count(name)) continue;
    const bool covered =
        std::any_of(table.begin(), table.end(), [&](const OpCase& c) { return c.op == name; });
    CHECK_MESSAGE(covered, "op '" << name << "' declared in " << header
                                  << " has no row in its op-case table");
  }
}

}  // namespace axon::test
