// SPDX-License-Identifier: MIT
// A variational autoencoder (Kingma and Welling, 2014) on Fashion-MNIST, written as a user would
// write one: the model's forward takes the images and returns three tensors, the
// reconstruction's logits, the posterior mean mu and log-variance logvar (nn::Module's
// many-tensor forward), and the loss takes all three (a train::LossFunction of Tensors):
//   loss = sum over pixels of BCE-with-logits(logits, x) + KL(N(mu, exp(logvar)) || N(0, I)),
// averaged over the batch: the negative evidence lower bound (ELBO) in nats per image. train::fit
// trains it batch-parallel; the reparameterisation noise z = mu + exp(logvar / 2) eps is drawn
// from the step's per-shard generator, so training is bitwise the same at any thread count.
// Prints the test set's negative ELBO before and after training (and its two terms) in the JSON
// line.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/mnist.hpp"
#include "axon/datasets/transforms.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/fit.hpp"
#include "examples/common.hpp"

using namespace axon;
using autograd::Tensor;
using nn::Tensors;

namespace {

/// Encoder 784-hidden-(mu, logvar) of `latent` each, decoder latent-hidden-784 (logits), ReLU.
class Vae : public nn::Module {
 public:
  Vae(std::size_t hidden, std::size_t latent, autograd::Generator& gen)
      : enc_(add("enc", 784, hidden, gen)),
        mu_(add("mu", hidden, latent, gen)),
        logvar_(add("logvar", hidden, latent, gen)),
        dec_(add("dec", latent, hidden, gen)),
        out_(add("out", hidden, 784, gen)) {}

  /// {x [B,784]} -> {logits [B,784], mu [B,latent], logvar [B,latent]}.
  Tensors forward(const Tensors& inputs) override {
    const Tensor h = autograd::relu((*enc_)(inputs.at(0)));
    const Tensor mu = (*mu_)(h);
    const Tensor logvar = (*logvar_)(h);
    // In a batch-parallel step the shard's own stream, so the draws do not depend on which
    // thread runs the shard; outside one (evaluate) the model's.
    autograd::Generator* scoped = autograd::scoped_generator();
    const Tensor eps = autograd::randn<float>(mu.shape(), scoped ? *scoped : gen_);
    const Tensor z = mu + autograd::exp(logvar * 0.5f) * eps;
    const Tensor logits = (*out_)(autograd::relu((*dec_)(z)));
    return {logits, mu, logvar};
  }
  std::string name() const override { return "Vae"; }
  autograd::Generator* own_generator() override { return &gen_; }

 private:
  std::shared_ptr<nn::Linear> add(const char* name, std::size_t in, std::size_t out,
                                  autograd::Generator& gen) {
    return register_module(name, std::make_shared<nn::Linear>(nn::LinearOptions(in, out), gen));
  }

  std::shared_ptr<nn::Linear> enc_, mu_, logvar_, dec_, out_;
  autograd::Generator gen_{1};
};

/// Per image, summed over pixels, then averaged over the batch: BCE of the reconstruction.
Tensor reconstruction(const Tensors& out, const datasets::Batch& batch) {
  const auto n = static_cast<float>(batch.inputs.shape()[0]);
  return nn::binary_cross_entropy_with_logits(out[0], batch.inputs, nn::Reduction::Sum) / n;
}

/// Per image, summed over the latent units, averaged over the batch:
/// KL = -1/2 sum(1 + logvar - mu^2 - exp(logvar)).
Tensor kl_divergence(const Tensors& out, const datasets::Batch& batch) {
  const auto n = static_cast<float>(batch.inputs.shape()[0]);
  const Tensor& mu = out[1];
  const Tensor& logvar = out[2];
  return autograd::sum(logvar + 1.0f - mu * mu - autograd::exp(logvar)) * (-0.5f / n);
}

}  // namespace

int main(int argc, char** argv) try {
  examples::Args args;
  args.epochs = 10;
  args.batch_size = 128;
  args.data = datasets::kFashionMnistDir;
  std::size_t latent = 16, hidden = 256, train_samples = 0;
  CLI::App app("A variational autoencoder on Fashion-MNIST: a model of three outputs", "vae");
  examples::add_flags(app, args, examples::kAllFlags);
  examples::add_integer(app, "--latent", latent, "N", "latent units", 1, 4096);
  examples::add_integer(app, "--hidden", hidden, "N", "hidden units of encoder and decoder", 1,
                        65536);
  examples::add_integer(app, "--train-samples", train_samples, "N",
                        "train on the first N training images (0: all 60000)");
  examples::parse(app, argc, argv, args);

  // Images as [784] rows, scaled to [0, 1]: both the input and the reconstruction's target.
  const datasets::Dataset train_data = examples::first_samples(
      datasets::load_fashion_mnist(datasets::Split::Train, args.data).reshaped({784}),
      train_samples);
  datasets::DataLoader train_loader(
      train_data, datasets::DataLoaderOptions(args.batch_size).shuffle(true).seed(args.seed));
  train_loader.transform(datasets::scale_to_unit());
  datasets::DataLoader test_loader(
      datasets::load_fashion_mnist(datasets::Split::Test, args.data).reshaped({784}),
      datasets::DataLoaderOptions(1000));
  test_loader.transform(datasets::scale_to_unit());
  examples::check_evaluation_data(test_loader, "the test set in " + args.data);

  autograd::Generator gen(args.seed);
  Vae model(hidden, latent, gen);
  std::printf("%s\n", model.repr().c_str());
  optim::Adam optimizer(model.parameters(), optim::AdamOptions(1e-3));
  const train::LossFunction elbo_loss = [](const Tensors& out, const datasets::Batch& batch) {
    return reconstruction(out, batch) + kl_divergence(out, batch);
  };

  const double initial = train::evaluate(model, elbo_loss, test_loader).at("loss");
  examples::Stopwatch clock;
  const train::History history = train::fit(
      model, optimizer, elbo_loss, train_loader,
      examples::with_checkpoints(args, train::FitOptions().epochs(args.epochs).seed(args.seed)));
  const double seconds = clock.seconds();
  const auto& losses = history["loss"];
  const double test = train::evaluate(model, elbo_loss, test_loader).at("loss");
  const double recon =
      train::evaluate(model, train::LossFunction(reconstruction), test_loader).at("loss");
  const double kl =
      train::evaluate(model, train::LossFunction(kl_divergence), test_loader).at("loss");
  const double rate = examples::samples_per_second(args, train_loader.dataset().size(), seconds);
  std::printf(
      "test -ELBO %.2f nats per image (reconstruction %.2f, KL %.2f; %.2f untrained); "
      "%.1f s, %.0f samples/s with %zu threads\n",
      test, recon, kl, initial, seconds, rate, train::workers());
  examples::save_parameters(args, model);
  examples::print_result("vae", {{"epochs", args.epochs},
                                 {"latent", latent},
                                 {"train_samples", train_loader.dataset().size()},
                                 {"first_epoch_loss", losses.front()},
                                 {"last_epoch_loss", losses.back()},
                                 {"initial_test_loss", initial},
                                 {"test_loss", test},
                                 {"test_elbo", -test},
                                 {"test_reconstruction", recon},
                                 {"test_kl", kl},
                                 {"train_seconds", seconds},
                                 {"samples_per_second", rate},
                                 {"threads", train::workers()}});
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(e);
}
