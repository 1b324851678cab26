// SPDX-License-Identifier: MIT
// Tests nn/batchnorm.cpp and nn/layernorm.cpp: parameters, buffers and their
// state-dict names, train/eval behaviour, PyTorch golden values (tests/nn/golden_norm.hpp),
// gradcheck of whole layers in double, shape errors, and bitwise-identical sharded training with
// BatchNorm at 1, 2 and 4 threads.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/io/serialize.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/batchnorm.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/layernorm.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/sgd.hpp"
#include "axon/train/parallel.hpp"
#include "tests/datasets/files.hpp"
#include "tests/nn/golden_norm.hpp"
#include "tests/train/sharding_helpers.hpp"

namespace axon::test {

using namespace axon::autograd;
using nn::BatchNormOptions;

namespace {

template <class T, std::size_t N>
BasicTensor<T> golden_tensor(const double (&values)[N], const Shape& shape) {
  return from_vector<T>(std::vector<T>(values, values + N), shape);
}

/// Largest |got - want| / (1 + |want|) over all elements: the error relative to the value's
/// size, absolute near 0.
template <class T, std::size_t N>
double max_rel_diff(const BasicTensor<T>& got, const double (&want)[N]) {
  REQUIRE(got.numel() == N);
  double worst = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const double error = std::abs(double(got.data_ptr()[i]) - want[i]);
    worst = std::max(worst, error / (1 + std::abs(want[i])));
  }
  return worst;
}

std::vector<std::string> names(const nn::StateDict<float>& dict) {
  std::vector<std::string> out;
  for (const auto& [name, t] : dict) out.push_back(name);
  return out;
}

}  // namespace

TEST_CASE("nn: BatchNorm parameters, buffers and state_dict names as PyTorch") {
  nn::BatchNorm1d bn(4);
  CHECK(names(bn.state_dict()) == std::vector<std::string>{"weight", "bias", "running_mean",
                                                           "running_var", "num_batches_tracked"});
  CHECK(names(bn.named_parameters()) == std::vector<std::string>{"weight", "bias"});
  CHECK(bn.weight().data() == xt::ones<float>({4}));
  CHECK(bn.bias().data() == xt::zeros<float>({4}));
  CHECK(bn.running_mean().data() == xt::zeros<float>({4}));
  CHECK(bn.running_var().data() == xt::ones<float>({4}));
  CHECK(bn.num_batches_tracked().shape() == Shape{});
  CHECK_FALSE(bn.running_mean().requires_grad());
  CHECK(bn.repr() ==
        "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)  # 8 "
        "parameters");

  nn::BatchNorm2d plain(BatchNormOptions(3).affine(false).track_running_stats(false));
  CHECK(plain.state_dict().empty());
  CHECK_FALSE(plain.weight().defined());
  CHECK_FALSE(plain.running_mean().defined());
}

TEST_CASE("nn: BatchNorm's running statistics survive a safetensors save and load") {
  nn::BatchNorm2d trained(3);
  Generator gen(2);
  trained.forward(randn<float>({4, 3, 2, 2}, gen, 1.0f, 3.0f));
  trained.forward(randn<float>({4, 3, 2, 2}, gen, 1.0f, 3.0f));
  TempDir dir;
  io::save(trained, dir.file("bn.safetensors"));
  nn::BatchNorm2d fresh(3);
  io::load(fresh, dir.file("bn.safetensors"));
  CHECK(fresh.running_mean().data() == trained.running_mean().data());
  CHECK(fresh.running_var().data() == trained.running_var().data());
  CHECK(fresh.num_batches_tracked().item() == 2.0f);
  fresh.eval();
  trained.eval();
  const auto x = randn<float>({2, 3, 2, 2}, gen);
  CHECK(fresh.forward(x).data() == trained.forward(x).data());
}

TEST_CASE("nn: BatchNorm loads a PyTorch-style checkpoint with an int64 num_batches_tracked") {
  // A safetensors file laid out as torch.save of a BatchNorm1d(2) state dict would be: F32
  // weight, bias, running_mean, running_var [2], then num_batches_tracked as a 0-d I64.
  const std::vector<float> values = {1.5f, 0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 4.0f, 9.0f};
  std::string header =
      R"({"weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("bias":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
      R"("running_mean":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},)"
      R"("running_var":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},)"
      R"("num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[32,40]}})";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  const std::int64_t count = 7;
  bytes.append(reinterpret_cast<const char*>(&count), sizeof(count));  // little-endian host
  TempDir dir;
  write_file(dir.file("torch_bn.safetensors"), bytes);
  nn::BatchNorm1d bn(2);
  io::load(bn, dir.file("torch_bn.safetensors"));
  CHECK(bn.weight().data() == xt::xarray<float>({1.5f, 0.5f}));
  CHECK(bn.running_var().data() == xt::xarray<float>({4.0f, 9.0f}));
  CHECK(bn.num_batches_tracked().item() == 7.0f);
}

TEST_CASE("nn: BatchNorm matches PyTorch: training output, running stats, gradients, eval") {
  // Relative to 1 + |value|: in double at double's precision (1e-12; dropping eps from the
  // normalisation, a change near 1e-6, passed two of three cases at the 1e-5 used before), in
  // float at float's (1e-5).
  const auto check = [](auto& bn, double tolerance, const Shape& shape, const auto& x,
                        const auto& w, const auto& b, const auto& r, const auto& train_y,
                        const auto& rm, const auto& rv, const auto& gx, const auto& gw,
                        const auto& gb, const auto& eval_y) {
    using T = std::remove_cvref_t<decltype(*bn.weight().data_ptr())>;
    bn.parameter("weight").mutable_data() = golden_tensor<T>(w, {shape[1]}).data();
    bn.parameter("bias").mutable_data() = golden_tensor<T>(b, {shape[1]}).data();
    auto xt = golden_tensor<T>(x, shape);
    xt.requires_grad_();
    auto y = bn.forward(xt);
    CHECK(max_rel_diff(y, train_y) < tolerance);
    CHECK(max_rel_diff(bn.running_mean(), rm) < tolerance);
    CHECK(max_rel_diff(bn.running_var(), rv) < tolerance);
    CHECK(bn.num_batches_tracked().item() == 1.0);
    sum(y * golden_tensor<T>(r, shape)).backward();
    CHECK(max_rel_diff(xt.grad(), gx) < tolerance);
    CHECK(max_rel_diff(bn.weight().grad(), gw) < tolerance);
    CHECK(max_rel_diff(bn.bias().grad(), gb) < tolerance);
    bn.eval();
    CHECK(max_rel_diff(bn.forward(golden_tensor<T>(x, shape)), eval_y) < tolerance);
    CHECK(bn.num_batches_tracked().item() == 1.0);  // eval does not count
  };
  namespace g = golden_norm;
  const auto bn1d_2d = [&](auto bn, double tolerance) {
    check(bn, tolerance, {6, 3}, g::bn1d_2d_x, g::bn1d_2d_weight, g::bn1d_2d_bias, g::bn1d_2d_r,
          g::bn1d_2d_train_y, g::bn1d_2d_running_mean, g::bn1d_2d_running_var, g::bn1d_2d_grad_x,
          g::bn1d_2d_grad_weight, g::bn1d_2d_grad_bias, g::bn1d_2d_eval_y);
  };
  const auto bn1d_3d = [&](auto bn, double tolerance) {
    check(bn, tolerance, {4, 3, 5}, g::bn1d_3d_x, g::bn1d_3d_weight, g::bn1d_3d_bias, g::bn1d_3d_r,
          g::bn1d_3d_train_y, g::bn1d_3d_running_mean, g::bn1d_3d_running_var, g::bn1d_3d_grad_x,
          g::bn1d_3d_grad_weight, g::bn1d_3d_grad_bias, g::bn1d_3d_eval_y);
  };
  const auto bn2d = [&](auto bn, double tolerance) {
    check(bn, tolerance, {2, 3, 4, 5}, g::bn2d_x, g::bn2d_weight, g::bn2d_bias, g::bn2d_r,
          g::bn2d_train_y, g::bn2d_running_mean, g::bn2d_running_var, g::bn2d_grad_x,
          g::bn2d_grad_weight, g::bn2d_grad_bias, g::bn2d_eval_y);
  };
  SUBCASE("double") {
    bn1d_2d(nn::BatchNorm1dD(3), 1e-12);
    bn1d_3d(nn::BatchNorm1dD(BatchNormOptions(3).momentum(0.3)), 1e-12);
    bn2d(nn::BatchNorm2dD(3), 1e-12);
  }
  SUBCASE("float") {
    bn1d_2d(nn::BatchNorm1d(3), 1e-5);
    bn1d_3d(nn::BatchNorm1d(BatchNormOptions(3).momentum(0.3)), 1e-5);
    bn2d(nn::BatchNorm2d(3), 1e-5);
  }
}

TEST_CASE("nn: BatchNorm train/eval, cumulative momentum, no running stats") {
  Generator gen(5);
  const auto a = randn<float>({8, 2}, gen, 3.0f, 2.0f);
  const auto b = randn<float>({8, 2}, gen, -1.0f, 0.5f);
  const auto mean_of = [](const Tensor& x, std::size_t c) {
    double s = 0;
    for (std::size_t n = 0; n < x.shape()[0]; ++n) s += x.data()(n, c);
    return s / double(x.shape()[0]);
  };

  // momentum nullopt: the running mean is the plain average of the batch means.
  nn::BatchNorm1d cumulative(BatchNormOptions(2).momentum(std::nullopt));
  cumulative.forward(a);
  cumulative.forward(b);
  CHECK(cumulative.num_batches_tracked().item() == 2.0f);
  CHECK(cumulative.running_mean().data()(0) ==
        doctest::Approx((mean_of(a, 0) + mean_of(b, 0)) / 2).epsilon(1e-5));

  // eval: running statistics, no update; a single sample is fine.
  nn::BatchNorm1d bn(2);
  bn.forward(a);
  const xt::xarray<float> rm = bn.running_mean().data(), rv = bn.running_var().data();
  bn.eval();
  const auto y = bn.forward(b);
  CHECK(bn.running_mean().data() == rm);
  CHECK(y.data()(3, 1) ==
        doctest::Approx((b.data()(3, 1) - rm(1)) / std::sqrt(rv(1) + 1e-5)).epsilon(1e-5));
  CHECK(bn.forward(ones<float>({1, 2})).shape() == Shape{1, 2});
  bn.train();
  CHECK_THROWS_AS(bn.forward(ones<float>({1, 2})), ValueError);  // one value per channel

  // Without running statistics both modes normalise with the batch's own.
  nn::BatchNorm1d batch_only(BatchNormOptions(2).track_running_stats(false));
  const auto t = batch_only.forward(b);
  batch_only.eval();
  CHECK(batch_only.forward(b).data() == t.data());
  CHECK(std::abs(mean_of(t, 0)) < 1e-5);
}

TEST_CASE("nn: BatchNorm and LayerNorm shape errors name the layer") {
  CHECK_THROWS_WITH_AS(nn::BatchNorm1d(3).forward(zeros<float>({4, 5})),
                       doctest::Contains("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=true, "
                                         "track_running_stats=true): input [4,5]: expected "
                                         "[N,C] or [N,C,L] with C = 3"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(nn::BatchNorm1d(3).forward(zeros<float>({2, 3, 4, 4})),
                       doctest::Contains("input [2,3,4,4]"), ShapeError);
  CHECK_THROWS_WITH_AS(nn::BatchNorm2d(3).forward(zeros<float>({4, 3})),
                       doctest::Contains("BatchNorm2d(3, "), ShapeError);
  CHECK_THROWS_AS(nn::BatchNorm1d(BatchNormOptions(3).momentum(2.0)), ValueError);
  CHECK_THROWS_AS(nn::BatchNorm1d(0), ValueError);
  CHECK_THROWS_WITH_AS(nn::LayerNorm({4}).forward(zeros<float>({4, 3})),
                       doctest::Contains("LayerNorm((4,), eps=1e-05, elementwise_affine=true): "
                                         "input [4,3] does not end with normalized_shape"),
                       ShapeError);
  CHECK_THROWS_AS(nn::LayerNorm(std::vector<std::size_t>{}), ValueError);
}

TEST_CASE("nn: LayerNorm matches PyTorch, parameters of normalized_shape") {
  namespace g = golden_norm;
  nn::LayerNorm ln({3, 4});
  CHECK(names(ln.named_parameters()) == std::vector<std::string>{"weight", "bias"});
  CHECK(ln.weight().shape() == Shape{3, 4});
  CHECK(ln.repr() == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=true)  # 24 parameters");
  ln.parameter("weight").mutable_data() = golden_tensor<float>(g::ln_weight, {3, 4}).data();
  ln.parameter("bias").mutable_data() = golden_tensor<float>(g::ln_bias, {3, 4}).data();
  CHECK(max_rel_diff(ln.forward(golden_tensor<float>(g::ln_x, {2, 3, 4})), g::ln_y) < 1e-5);
  nn::LayerNormD ln_d({3, 4});
  ln_d.parameter("weight").mutable_data() = golden_tensor<double>(g::ln_weight, {3, 4}).data();
  ln_d.parameter("bias").mutable_data() = golden_tensor<double>(g::ln_bias, {3, 4}).data();
  CHECK(max_rel_diff(ln_d.forward(golden_tensor<double>(g::ln_x, {2, 3, 4})), g::ln_y) < 1e-12);
  nn::LayerNorm plain(nn::LayerNormOptions({4}).elementwise_affine(false));
  CHECK(plain.num_parameters() == 0);
}

TEST_CASE("nn: normalisation layers pass gradcheck_module in double") {
  Generator gen(9);
  {
    nn::BatchNorm1dD bn(3);
    bn.parameter("weight").mutable_data() = rand<double>({3}, gen, 0.5, 1.5).data();
    bn.parameter("bias").mutable_data() = randn<double>({3}, gen).data();
    auto r = nn::gradcheck_module(bn, randn<double>({5, 3}, gen, 0.0, 1.0, true));
    INFO(r.message);
    CHECK(r.ok);
    auto r3 = nn::gradcheck_module(bn, randn<double>({3, 3, 4}, gen, 0.0, 1.0, true));
    INFO(r3.message);
    CHECK(r3.ok);
    bn.eval();
    auto re = nn::gradcheck_module(bn, randn<double>({2, 3, 4}, gen, 0.0, 1.0, true));
    INFO(re.message);
    CHECK(re.ok);
  }
  {
    nn::BatchNorm2dD bn(2);
    auto r = nn::gradcheck_module(bn, randn<double>({2, 2, 3, 3}, gen, 0.0, 1.0, true));
    INFO(r.message);
    CHECK(r.ok);
  }
  {
    nn::LayerNormD ln({2, 3});
    ln.parameter("weight").mutable_data() = rand<double>({2, 3}, gen, 0.5, 1.5).data();
    auto r = nn::gradcheck_module(ln, randn<double>({4, 2, 3}, gen, 0.0, 1.0, true));
    INFO(r.message);
    CHECK(r.ok);
  }
}

namespace {

struct RunResult {
  std::vector<float> parameters;
  std::vector<float> buffers;
};

/// 20 sharded SGD steps (shards of 32, batches of 128) of an MLP with BatchNorm1d.
RunResult train_with_batch_norm(std::size_t threads) {
  train::set_num_threads(threads);
  Generator gen(17);
  auto bn = std::make_shared<nn::BatchNorm1d>(16);
  nn::Sequential model{std::make_shared<nn::Linear>(nn::LinearOptions(10, 16), gen), bn,
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(nn::LinearOptions(16, 3), gen)};
  optim::SGD sgd(model.parameters(), optim::SGDOptions(0.1).momentum(0.9));
  train::ShardedStep sharded(32, 1);
  const auto loss = [](const Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  for (std::size_t step = 0; step < 20; ++step) {
    datasets::Batch batch;
    batch.inputs = randn<float>({128, 10}, gen, 0.5f, 2.0f);
    for (std::size_t i = 0; i < 128; ++i) {
      batch.labels.push_back(gen.below(3));
      batch.indices.push_back(i);
    }
    sgd.zero_grad();
    sharded.run(model, loss, batch);
    sgd.step();
  }
  RunResult out;
  for (const auto& p : model.parameters()) {
    out.parameters.insert(out.parameters.end(), p.data_ptr(), p.data_ptr() + p.numel());
  }
  for (const auto& b : model.buffers()) {
    out.buffers.insert(out.buffers.end(), b.data_ptr(), b.data_ptr() + b.numel());
  }
  CHECK(bn->num_batches_tracked().item() == 20.0f);  // once per step: the primary shard only
  return out;
}

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("nn: sharded training with BatchNorm is bitwise identical at 1, 2 and 4 threads") {
  const RunResult one = train_with_batch_norm(1);
  const RunResult two = train_with_batch_norm(2);
  const RunResult four = in_arena(4, [] { return train_with_batch_norm(4); });  // 4 really run
  train::set_num_threads(0);
  REQUIRE(one.buffers.size() == 16 + 16 + 1);
  CHECK(same_bytes(one.parameters, two.parameters));
  CHECK(same_bytes(one.parameters, four.parameters));
  CHECK(same_bytes(one.buffers, two.buffers));
  CHECK(same_bytes(one.buffers, four.buffers));
  // The running statistics moved away from their initial 0 and 1.
  CHECK(one.buffers[0] != 0.0f);
  CHECK(one.buffers[16] != 1.0f);
}

TEST_CASE("nn: BatchNorm's running statistics follow the primary shard of a sharded step") {
  // One step on a batch of 64 in shards of 32: the update uses samples 0..31 only.
  train::set_num_threads(2);
  Generator gen(4);
  auto bn = std::make_shared<nn::BatchNorm1d>(2);
  nn::Sequential model{bn};
  datasets::Batch batch;
  batch.inputs = randn<float>({64, 2}, gen);
  for (std::size_t i = 32; i < 64; ++i)
    batch.inputs.mutable_data()(i, 0) += 100.0f;  // shard 1 only
  for (std::size_t i = 0; i < 64; ++i) batch.indices.push_back(i);
  train::ShardedStep sharded(32, 0);
  sharded.run(
      model, [](const Tensor& out, const datasets::Batch&) { return mean(out * out); }, batch);
  train::set_num_threads(0);

  nn::BatchNorm1d reference(2);
  reference.forward(train::slice_batch(batch, 0, 32).inputs);
  CHECK(bn->running_mean().data() == reference.running_mean().data());
  CHECK(bn->running_var().data() == reference.running_var().data());
  CHECK(bn->num_batches_tracked().item() == 1.0f);
}

TEST_CASE(
    "nn: BatchNorm under a batch-parallel step: a one-sample tail is merged; one sample throws") {
  // 33 samples in shards of 32: ShardedStep merges the one-sample tail into the first shard, so
  // BatchNorm sees 33 samples. A batch of one sample cannot be normalised (as in PyTorch).
  Generator gen(6);
  nn::Sequential model{std::make_shared<nn::BatchNorm1d>(2)};
  auto make_batch = [&](std::size_t n) {
    datasets::Batch batch;
    batch.inputs = randn<float>({n, 2}, gen);
    for (std::size_t i = 0; i < n; ++i) batch.indices.push_back(i);
    return batch;
  };
  train::ShardedStep sharded(32, 0);
  const auto loss = [](const Tensor& out, const datasets::Batch&) { return mean(out); };
  CHECK(sharded.run(model, loss, make_batch(33)).shards.size() == 1);
  CHECK_THROWS_WITH_AS(sharded.run(model, loss, make_batch(1)),
                       doctest::Contains("input [1,2]: expected more than 1 value per channel"),
                       ValueError);
}

}  // namespace axon::test
