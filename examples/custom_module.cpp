// SPDX-License-Identifier: MIT
// Writing your own layer: a residual MLP block, y = x + fc2(tanh(fc1(x))), as a plain class
// deriving from nn::BasicModule<T>. It is templated on the scalar type, so the same code trains in
// float and is gradient-checked in double. Two blocks inside a Sequential learn the two-spirals
// problem; then the trained model, converted to double, passes gradcheck_module.
#include <cstdio>
#include <memory>

#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/activations.hpp"
#include "axon/datasets/split.hpp"
#include "axon/datasets/synthetic.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/fit.hpp"
#include "examples/common.hpp"

using namespace axon;

/// y = x + fc2(tanh(fc1(x))): `features` in and out, `hidden` units inside.
template <class T>
class ResidualBlock : public nn::BasicModule<T> {
 public:
  ResidualBlock(std::size_t features, std::size_t hidden, autograd::Generator& gen)
      : fc1_(this->register_module(
            "fc1", std::make_shared<nn::BasicLinear<T>>(nn::LinearOptions(features, hidden), gen))),
        fc2_(this->register_module("fc2", std::make_shared<nn::BasicLinear<T>>(
                                              nn::LinearOptions(hidden, features), gen))) {}

  autograd::BasicTensor<T> forward(const autograd::BasicTensor<T>& x) override {
    return x + fc2_->forward(autograd::tanh(fc1_->forward(x)));
  }
  std::string name() const override { return "ResidualBlock"; }

 private:
  std::shared_ptr<nn::BasicLinear<T>> fc1_, fc2_;
};

/// 2 -> 16, two residual blocks, 16 -> 2 class scores.
template <class T>
std::shared_ptr<nn::BasicSequential<T>> make_model(autograd::Generator& gen) {
  auto model = std::make_shared<nn::BasicSequential<T>>();
  model->add(std::make_shared<nn::BasicLinear<T>>(nn::LinearOptions(2, 16), gen));
  model->add(std::make_shared<ResidualBlock<T>>(16, 32, gen));
  model->add(std::make_shared<ResidualBlock<T>>(16, 32, gen));
  model->add(std::make_shared<nn::BasicLinear<T>>(nn::LinearOptions(16, 2), gen));
  return model;
}

int main(int argc, char** argv) try {
  examples::Args args;
  args.epochs = 200;  // seeds 0-11 reach a test accuracy of 0.967 to 1
  args.batch_size = 32;
  CLI::App app("A user-defined residual block learns two spirals, then passes gradcheck",
               "custom_module");
  examples::add_flags(app, args,
                      examples::kEpochs | examples::kBatchSize | examples::kThreads |
                          examples::kSeed | examples::kSave | examples::kCheckpoint |
                          examples::kResume);
  examples::parse(app, argc, argv, args);

  const auto parts =
      datasets::random_split(datasets::make_spirals(300, 0.02, args.seed), {0.8, 0.2}, args.seed);
  autograd::Generator gen(args.seed);
  auto model = make_model<float>(gen);
  std::printf("%s\n", model->repr().c_str());
  optim::Adam optimizer(model->parameters(), optim::AdamOptions(3e-3));
  auto every_20_epochs = std::make_shared<train::LambdaCallback>(
      [](std::size_t epoch, const train::EpochLogs& logs, train::TrainContext&) {
        if (epoch % 20 == 0) {
          std::printf("epoch %3zu  loss %.4f  accuracy %.4f\n", epoch, logs.at("loss"),
                      logs.at("accuracy"));
        }
      });
  examples::Stopwatch clock;
  train::fit(*model, optimizer, train::cross_entropy_loss(), parts[0],
             examples::with_checkpoints(args, train::FitOptions()
                                                  .epochs(args.epochs)
                                                  .batch_size(args.batch_size)
                                                  .seed(args.seed)
                                                  .metrics({"accuracy"})
                                                  .verbose(0)
                                                  .callback(every_20_epochs)));
  const double seconds = clock.seconds();
  datasets::DataLoader test_loader(parts[1], parts[1].size());
  const double accuracy = train::evaluate(*model, {}, test_loader, {"accuracy"}).at("accuracy");
  std::printf("test accuracy %.4f\n", accuracy);

  // The trained weights in double, checked on four test points: 2,226 parameters and 8 inputs
  // against 8 outputs is small enough for gradcheck to compare the full Jacobian.
  auto model_d = make_model<double>(gen);
  nn::StateDict<double> weights;
  for (const auto& [name, tensor] : model->state_dict()) {
    weights.emplace_back(name, tensor.to<double>());
  }
  model_d->load_state_dict(weights);
  const auto points = parts[1].gather(std::vector<std::size_t>{0, 1, 2, 3});
  const auto input = points.inputs.to<double>().requires_grad_();
  const auto check = nn::gradcheck_module(*model_d, input);
  std::printf("gradcheck of %zu parameters and the input: %s (max abs error %.2e, %zu checks)\n",
              model_d->num_parameters(), check.ok ? "ok" : check.message.c_str(),
              check.max_abs_error, check.comparisons);

  examples::save_parameters(args, *model);  // "1.fc1.weight", ...
  examples::print_result("custom_module", {{"epochs", args.epochs},
                                           {"test_accuracy", accuracy},
                                           {"train_seconds", seconds},
                                           {"threads", train::num_threads()},
                                           {"parameters", model->num_parameters()},
                                           {"gradcheck_ok", check.ok},
                                           {"gradcheck_max_abs_error", check.max_abs_error},
                                           {"gradcheck_comparisons", check.comparisons}});
  return check.ok ? 0 : 1;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
