// SPDX-License-Identifier: MIT
// Interop with PyTorch through scripts/safetensors_interop.py (NumPy's own reading and writing of
// the format): C++ checkpoints load into torch.nn.Sequential and predict the same, and PyTorch's
// weights load into the C++ model and predict the same. Skipped (doctest counts them as skipped)
// when /usr/bin/python3 with numpy and torch is not available (scripts/setup.sh installs them).
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "axon/autograd/tape.hpp"
#include "axon/io/safetensors.hpp"
#include "axon/io/serialize.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "tests/datasets/files.hpp"

namespace axon::test {

namespace {

const std::string kPython = "/usr/bin/python3";
const std::string kScript = std::string(AXON_SOURCE_DIR) + "/scripts/safetensors_interop.py";

/// Whether /usr/bin/python3 finds numpy and torch; asked once, when the tests register (without
/// importing them, which takes seconds).
bool have_torch() {
  static const bool ok =
      std::system(
          "/usr/bin/python3 -c 'import importlib.util as u, sys; "
          "sys.exit(0 if u.find_spec(\"numpy\") and u.find_spec(\"torch\") else 1)' "
          ">/dev/null 2>&1") == 0;
  return ok;
}

constexpr const char* kNeedsTorch = "skipped unless /usr/bin/python3 has numpy and torch";

/// Runs the script; returns its exit status and puts its output in `log`.
int run_script(const std::string& args, const TempDir& dir, std::string& log) {
  const std::string out = dir.file("script.log");
  const int status =
      std::system((kPython + " " + kScript + " " + args + " >" + out + " 2>&1").c_str());
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  log = ss.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

template <class T>
std::shared_ptr<nn::BasicSequential<T>> mlp(std::uint64_t seed) {
  autograd::Generator gen(seed);
  return std::make_shared<nn::BasicSequential<T>>(
      std::initializer_list<std::shared_ptr<nn::BasicModule<T>>>{
          std::make_shared<nn::BasicLinear<T>>(nn::LinearOptions(4, 8), gen),
          std::make_shared<nn::BasicReLU<T>>(),
          std::make_shared<nn::BasicLinear<T>>(nn::LinearOptions(8, 3), gen)});
}

}  // namespace

TEST_CASE("io/interop: a C++ checkpoint loads into torch.nn.Sequential and predicts the same" *
          doctest::skip(!have_torch()) * doctest::description(kNeedsTorch)) {
  TempDir dir;
  auto model = mlp<float>(3);
  autograd::Generator gen(9);
  xt::xarray<float> x = xt::xarray<float>::from_shape({6, 4});
  for (auto& v : x) v = static_cast<float>(gen.normal());
  autograd::NoGradGuard no_grad;
  xt::xarray<float> y = model->forward(autograd::Tensor(x)).data();
  io::save(*model, dir.file("model.safetensors"));
  const auto write_data = [&](const xt::xarray<float>& outputs) {
    io::write_safetensors(dir.file("data.safetensors"),
                          {{"inputs", io::DType::F32, {6, 4}, x.data()},
                           {"outputs", io::DType::F32, {6, 3}, outputs.data()}});
  };
  write_data(y);
  std::string log;
  const std::string args =
      "check " + dir.file("model.safetensors") + " " + dir.file("data.safetensors");
  CHECK_MESSAGE(run_script(args, dir, log) == 0, log);
  MESSAGE(log);

  // The comparison is not vacuous: predictions off by 1e-4 fail it.
  xt::xarray<float> off = y;
  off(2, 1) += 1e-4f;
  write_data(off);
  CHECK_MESSAGE(run_script(args, dir, log) == 1, log);
}

TEST_CASE("io/interop: PyTorch's weights load into the C++ model and predict the same" *
          doctest::skip(!have_torch()) * doctest::description(kNeedsTorch)) {
  TempDir dir;
  std::string log;
  SUBCASE("float32") {
    REQUIRE_MESSAGE(run_script("export " + dir.file("m.safetensors") + " " +
                                   dir.file("d.safetensors") + " --seed 1",
                               dir, log) == 0,
                    log);
    auto model = mlp<float>(1);
    io::load(*model, dir.file("m.safetensors"));
    const auto data = io::SafetensorsFile::read(dir.file("d.safetensors"));
    CHECK(io::SafetensorsFile::read_header(dir.file("m.safetensors")).metadata.at("format") ==
          "pt");
    autograd::NoGradGuard no_grad;
    const xt::xarray<float> y =
        model->forward(autograd::Tensor(data.array<float>("inputs"))).data();
    const xt::xarray<float> expected = data.array<float>("outputs");
    REQUIRE(y.shape() == expected.shape());
    CHECK(xt::amax(xt::abs(y - expected))() <= 1e-5f);
  }
  SUBCASE("float64 into a double model") {
    REQUIRE_MESSAGE(run_script("export " + dir.file("m.safetensors") + " " +
                                   dir.file("d.safetensors") + " --dtype float64 --seed 2",
                               dir, log) == 0,
                    log);
    auto model = mlp<double>(1);
    io::load(*model, dir.file("m.safetensors"));
    const auto data = io::SafetensorsFile::read(dir.file("d.safetensors"));
    autograd::NoGradGuard no_grad;
    const xt::xarray<double> y =
        model->forward(autograd::TensorD(data.array<double>("inputs"))).data();
    CHECK(xt::amax(xt::abs(y - data.array<double>("outputs")))() <= 1e-12);
    // torch initialises in float32 before .double(): these F64 weights are all floats, so a
    // float model takes them exactly; the float64 inputs drawn by randn are not floats.
    auto single = mlp<float>(1);
    io::load(*single, dir.file("m.safetensors"));
    CHECK(single->parameter("0.weight").data()(0, 0) == model->parameter("0.weight").data()(0, 0));
    CHECK_THROWS_AS(data.array<float>("inputs"), ValueError);
  }
}

}  // namespace axon::test
