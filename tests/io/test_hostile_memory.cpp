// SPDX-License-Identifier: MIT
// Tests the memory readers of large headers take (issue 16): resuming fit from a checkpoint whose
// header holds a long history (train/history.cpp's streamed reader), and a safetensors header
// near the 100 MB limit made of millions of tiny metadata entries (io/header.cpp's index bound).
// Each runs in a forked child whose address space is capped at a small multiple of the file's
// size, so the bound is enforced, not hoped for.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/io/checkpoint.hpp"
#include "axon/io/safetensors.hpp"
#include "axon/nn/linear.hpp"
#include "axon/optim/sgd.hpp"
#include "axon/train/fit.hpp"
#include "axon/train/fit_checkpoint.hpp"
#include "tests/datasets/files.hpp"
#include "tests/io/hostile.hpp"

namespace axon::test {

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kCap = std::size_t{5};  // the address-space cap, in file sizes

/// A field of /proc/self/status in MiB ("VmHWM": the peak resident memory; 0 when unknown).
double status_mib(const std::string& field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  double kib = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::string(line).rfind(field + ":", 0) == 0) kib = std::atof(line + field.size() + 1);
  }
  std::fclose(f);
  return kib / 1024.0;
}

/// Resets the peak resident memory to the current one (a forked child inherits its parent's).
void reset_peak() {
  if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

datasets::Dataset tiny_data() {
  return datasets::Dataset::classification(std::vector<float>{0, 1, 1, 0}, {2}, {0, 1}, 2);
}

}  // namespace

TEST_CASE("hostile files: resuming from an 84 MB checkpoint of a long history stays bounded") {
  if (!can_cap_memory()) {
    MESSAGE("skipped under a sanitizer: address-space caps do not apply");
    return;
  }
  // 4 series of 900,000 values with 17 significant digits, as a long run's history: the header is
  // about 84 MB (each value is a quoted string inside the escaped JSON of extra.history). Parsed
  // into a JSON tree, resident memory grew by 470 MiB (5.7 times the file); streamed into the
  // series (8 bytes per value), by 270 MiB, most of it the header's text and its parsed metadata
  // string (2026-12-03, 2-core x86_64 VM, Debian 12). The address space may grow by 5 times the
  // file's size (it includes the parser's doubling buffers and the threads' malloc arenas).
  constexpr std::size_t kEpochs = 900'000;
  TempDir dir;
  const std::string path = dir.file("long.safetensors");
  autograd::Generator gen(5);
  nn::Linear model(nn::LinearOptions(2, 2), gen);
  optim::SGD sgd(model.parameters(), optim::SGDOptions(0.1));
  // Written by a child, so that this process (and the reading child forked from it) does not
  // start with the writer's freed memory, which would hide the reader's growth.
  REQUIRE(run_capped(0, [&]() -> int {
            train::History history;
            for (std::size_t e = 0; e < kEpochs; ++e) {
              const double x = 1.0 / static_cast<double>(e + 3);
              for (const char* name : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
                history.append(name, x + 0.1234567890123);
              }
            }
            io::TrainingState state;
            state.epoch = 2;
            state.step = 2;
            state.extra["history"] = train::history_to_json(history);
            io::save_training_checkpoint(path, model, sgd, state);
            return 0;
          }) == 0);
  const std::size_t file_bytes = std::filesystem::file_size(path);
  CHECK(file_bytes > 80 * kMiB);
  const int code = run_capped(kCap * file_bytes, [&]() -> int {
    reset_peak();
    const double start = status_mib("VmRSS");
    datasets::DataLoader loader(tiny_data(), 2);
    const train::History h = train::fit(model, sgd, train::cross_entropy_loss(), loader,
                                        train::FitOptions().epochs(2).verbose(0).resume(path));
    std::fprintf(stderr, "resume of a %.0f MiB history: resident memory grew by %.0f MiB at most\n",
                 static_cast<double>(file_bytes) / kMiB, status_mib("VmHWM") - start);
    if (h.names().size() != 4 || h["val_accuracy"].size() != kEpochs) return 2;
    return h["loss"].back() == 1.0 / static_cast<double>(kEpochs + 2) + 0.1234567890123 ? 0 : 3;
  });
  CHECK(code == 0);
}

TEST_CASE("hostile files: a malformed saved history is an IOError naming the series and value") {
  const auto message = [](const std::string& text) {
    return error_of<IOError>([&] { train::history_from_json(text, "run.ckpt"); });
  };
  CHECK(message(R"({"loss":["0.5","x1"]})").find("run.ckpt: the saved history \"loss\" value 1") !=
        std::string::npos);
  CHECK(message(R"({"loss":[0.5]})").find("found a bare number") != std::string::npos);
  CHECK(message(R"({"loss":"0.5"})").find("found a string") != std::string::npos);
  CHECK(message(R"([["0.5"]])").find("found an array") != std::string::npos);
  CHECK(message(R"({"loss":[["0.5"]]})").find("found an array") != std::string::npos);
  CHECK(message(R"({"loss":["0.5")").find("run.ckpt: the saved history: not valid JSON") !=
        std::string::npos);
  const train::History h = train::history_from_json(R"({"b":["1","2"],"a":["3"],"c":[]})", "x");
  CHECK(h.names() == std::vector<std::string>{"b", "a"});
  CHECK(h["b"] == std::vector<double>{1, 2});
  CHECK(h["a"] == std::vector<double>{3});
}

TEST_CASE("hostile files: a 99 MB header of 7.6 million metadata entries stays bounded") {
  if (!can_cap_memory()) {
    MESSAGE("skipped under a sanitizer: address-space caps do not apply");
    return;
  }
  // The issue's case: it took 877 MB (about 115 bytes per entry in a map of strings). The index
  // may take at most 4 times the header's size, so it is refused with an IOError under a cap of 6
  // times the file's size (the header text is held while it is parsed).
  TempDir dir;
  const std::string path = dir.file("entries.safetensors");
  {
    std::string json = "{\"__metadata__\":{";
    json.reserve(100 * kMiB);
    for (std::size_t i = 0; i < 7'600'000; ++i) {
      json += (i ? ",\"" : "\"") + std::to_string(i) + "\":\"\"";
    }
    json += "}}";
    REQUIRE(json.size() < 99'000'000 - 2);
    json.resize(99'000'000 - 2, ' ');  // JSON allows trailing blanks; the header is 99 MB
    json += "  ";
    std::string length(8, '\0');
    for (int i = 0; i < 8; ++i) length[i] = static_cast<char>((json.size() >> (8 * i)) & 0xFF);
    write_file(path, length + json);
  }
  const std::size_t file_bytes = std::filesystem::file_size(path);
  const int code = run_capped(6 * file_bytes, [&]() -> int {
    reset_peak();
    const double start = status_mib("VmRSS");
    try {
      io::SafetensorsFile::read_header(path);
    } catch (const IOError& e) {
      std::fprintf(stderr, "7.6M entries: resident memory grew by %.0f MiB at most: %s\n",
                   status_mib("VmHWM") - start, e.what());
      return std::string(e.what()).find("times the header's size") != std::string::npos ? 0 : 2;
    }
    return 1;
  });
  CHECK(code == 0);
}

}  // namespace axon::test
