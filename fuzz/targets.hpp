// SPDX-License-Identifier: MIT
// The bodies of the fuzz targets, shared by the libFuzzer programs (fuzz/fuzz_*.cpp, built by
// scripts/fuzz.sh) and by the regression test that replays the corpora and every crashing input
// ever found (tests/io/test_fuzz_regressions.cpp). A target may throw only axon::Error: any other
// exception, crash, leak or sanitizer report is a finding.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "axon/autograd/error.hpp"
#include "axon/datasets/csv.hpp"
#include "axon/datasets/idx.hpp"
#include "axon/io/checkpoint.hpp"
#include "axon/io/safetensors.hpp"
#include "axon/io/serialize.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"

namespace axon::fuzz {

/// The bytes as an anonymous in-memory file, reachable by path (/proc/self/fd/N), so that the
/// readers run their real file-reading code without touching the disk.
class MemoryFile {
 public:
  MemoryFile(const std::uint8_t* data, std::size_t size) {
    fd_ = ::memfd_create("axon-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("memfd_create failed");
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) throw std::runtime_error("write to memfd failed");
      done += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

/// datasets::read_idx on the bytes (raw or gzip).
inline void idx_target(const std::uint8_t* data, std::size_t size) {
  MemoryFile file(data, size);
  try {
    const datasets::IdxArray array = datasets::read_idx(file.path());
    std::size_t n = 1;
    for (std::size_t d : array.shape) n *= d;
    if (n != array.size()) throw std::logic_error("read_idx: shape and element count disagree");
    (void)array.as<double>();
  } catch (const Error&) {
  }
}

/// datasets::read_csv and read_csv_xy on the bytes.
inline void csv_target(const std::uint8_t* data, std::size_t size) {
  MemoryFile file(data, size);
  try {
    const datasets::CsvTable table = datasets::read_csv(file.path());
    if (table.values.size() != table.rows * table.cols()) {
      throw std::logic_error("read_csv: rows x cols differs from the value count");
    }
    if (table.cols() > 0) (void)datasets::split_target(table, table.cols() - 1, file.path());
  } catch (const Error&) {
  }
}

/// The model the checkpoint target loads into: names "0.weight", "0.bias", "2.weight", "2.bias".
template <class T>
nn::BasicSequential<T>& fuzz_model() {
  static autograd::Generator gen(1);
  static nn::BasicSequential<T> model{
      std::make_shared<nn::BasicLinear<T>>(nn::LinearOptions(2, 3), gen),
      std::make_shared<nn::BasicReLU<T>>(),
      std::make_shared<nn::BasicLinear<T>>(nn::LinearOptions(3, 1), gen)};
  return model;
}

/// The safetensors reader in memory and from a file, conversions of every tensor, module loads
/// (strict and not, float and double) and a training-checkpoint load.
inline void safetensors_target(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const io::SafetensorsFile file = io::SafetensorsFile::parse(bytes, "fuzz");
    for (const io::TensorInfo& t : file.tensors()) {
      try {
        (void)file.array<float>(t);
      } catch (const Error&) {
      }
      try {
        (void)file.array<double>(t);
      } catch (const Error&) {
      }
    }
    try {
      io::load(fuzz_model<float>(), file, /*strict=*/false);
    } catch (const Error&) {
    }
    try {
      io::load(fuzz_model<double>(), file, /*strict=*/true);
    } catch (const Error&) {
    }
  } catch (const Error&) {
  }
  MemoryFile file(data, size);
  try {
    io::load(fuzz_model<float>(), file.path(), /*strict=*/true);
  } catch (const Error&) {
  }
  try {
    static optim::Adam adam(fuzz_model<float>().parameters(), optim::AdamOptions(0.1));
    (void)io::load_training_checkpoint(file.path(), fuzz_model<float>(), adam);
  } catch (const Error&) {
  }
}

}  // namespace axon::fuzz
