// SPDX-License-Identifier: MIT
// Tests io/serialize.cpp and io/atomic_file.cpp: module round trips, strictness, shape and dtype
// mismatches, atomic replacement under SIGKILL, saving through symbolic links, and the memory a
// load uses.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/io/atomic_file.hpp"
#include "axon/io/serialize.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "tests/datasets/files.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define AXON_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AXON_TEST_ASAN 1
#endif
#endif

namespace axon::test {

using autograd::Generator;

namespace {

template <class T>
std::shared_ptr<nn::BasicSequential<T>> mlp(std::uint64_t seed, std::size_t hidden = 8) {
  Generator gen(seed);
  return std::make_shared<nn::BasicSequential<T>>(
      std::initializer_list<std::shared_ptr<nn::BasicModule<T>>>{
          std::make_shared<nn::BasicLinear<T>>(nn::LinearOptions(4, hidden), gen),
          std::make_shared<nn::BasicReLU<T>>(),
          std::make_shared<nn::BasicLinear<T>>(nn::LinearOptions(hidden, 3), gen)});
}

/// A module with a buffer beside its parameter.
class WithBuffer : public nn::Module {
 public:
  WithBuffer() {
    register_parameter("weight", Tensor(xt::xarray<float>{{1, 2}, {3, 4}}));
    register_buffer("running_mean", Tensor(xt::xarray<float>{0.5f, -0.5f}));
  }
};

/// Every byte of every tensor of the state dict.
template <class T>
std::string state_bytes(const nn::BasicModule<T>& m) {
  std::string out;
  for (const auto& [name, t] : m.state_dict()) {
    out += name;
    out.append(reinterpret_cast<const char*>(t.data_ptr()), sizeof(T) * t.numel());
  }
  return out;
}

template <class E, class F>
std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("the expected exception was not thrown");
  return {};
}

std::vector<std::string> temp_files(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".tmp") out.push_back(entry.path().string());
  }
  return out;
}

}  // namespace

TEST_CASE("io/serialize: save and load restore parameters and buffers bit for bit") {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  auto a = mlp<float>(1);
  io::save(*a, path, {{"epochs", "3"}});
  auto b = mlp<float>(2);
  CHECK(state_bytes(*a) != state_bytes(*b));
  const io::LoadResult r = io::load(*b, path);
  CHECK(r.missing_keys.empty());
  CHECK(r.unexpected_keys.empty());
  CHECK(state_bytes(*a) == state_bytes(*b));
  CHECK(io::SafetensorsFile::read_header(path).metadata.at("epochs") == "3");
  CHECK(temp_files(dir.path()).empty());

  // Names match torch.nn.Sequential; buffers are saved too.
  const auto header = io::SafetensorsFile::read_header(path);
  std::vector<std::string> names;
  for (const auto& t : header.tensors) names.push_back(t.name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  WithBuffer w1, w2;
  w1.buffer("running_mean").mutable_data()(0) = 9.0f;
  io::save(w1, dir.file("buffer.safetensors"));
  io::load(w2, dir.file("buffer.safetensors"));
  CHECK(w2.buffer("running_mean").data()(0) == 9.0f);

  // Double modules are saved as F64; F32 files load into double modules exactly.
  auto d = mlp<double>(3);
  io::save(*d, dir.file("double.safetensors"));
  CHECK(io::SafetensorsFile::read_header(dir.file("double.safetensors")).tensors[0].dtype ==
        io::DType::F64);
  auto d2 = mlp<double>(4);
  io::load(*d2, path);
  CHECK(d2->parameter("0.weight").data()(1, 2) ==
        static_cast<double>(a->parameter("0.weight").data()(1, 2)));
  // F64 values that are not floats do not load into a float module, and nothing changes.
  auto f = mlp<float>(5);
  const std::string before = state_bytes(*f);
  const std::string msg =
      error_of<ValueError>([&] { io::load(*f, dir.file("double.safetensors")); });
  CHECK(msg.find("double.safetensors") != std::string::npos);
  CHECK(msg.find("F64") != std::string::npos);
  CHECK(state_bytes(*f) == before);
}

TEST_CASE("io/serialize: strict loads name missing and unexpected tensors; non-strict reports") {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  auto a = mlp<float>(1);
  io::save(*a, path);
  WithBuffer other;
  const std::string before = state_bytes(other);
  const std::string msg = error_of<ValueError>([&] { io::load(other, path); });
  CHECK(msg.find(path) != std::string::npos);
  CHECK(msg.find("missing tensors 'weight', 'running_mean'") != std::string::npos);
  CHECK(msg.find("unexpected tensors '0.bias'") != std::string::npos);
  CHECK(state_bytes(other) == before);

  // Non-strict: a model with one extra layer loads the shared part and lists the rest.
  Generator gen(7);
  nn::Sequential bigger{
      std::make_shared<nn::Linear>(nn::LinearOptions(4, 8), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions(8, 3), gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions(3, 2), gen)};
  const io::LoadResult r = io::load(bigger, path, /*strict=*/false);
  CHECK(r.missing_keys == std::vector<std::string>{"4.weight", "4.bias"});
  CHECK(r.unexpected_keys.empty());
  CHECK(bigger.parameter("2.bias").data() == a->parameter("2.bias").data());
  const io::LoadResult r2 = io::load(*mlp<float>(3), dir.file("model.safetensors"), false);
  CHECK(r2.missing_keys.empty());
}

TEST_CASE("io/serialize: a shape that differs is a ShapeError naming the file and the tensor") {
  TempDir dir;
  const std::string path = dir.file("wide.safetensors");
  io::save(*mlp<float>(1, 16), path);
  auto narrow = mlp<float>(2, 8);
  const std::string before = state_bytes(*narrow);
  const std::string msg = error_of<ShapeError>([&] { io::load(*narrow, path, false); });
  CHECK(msg.find(path) != std::string::npos);
  CHECK(msg.find("'0.weight' has shape [16,4]") != std::string::npos);
  CHECK(msg.find("[8,4]") != std::string::npos);
  CHECK(state_bytes(*narrow) == before);
  CHECK_THROWS_AS(io::load(*narrow, dir.file("missing.safetensors")), IOError);

  // Names and shapes are checked on the header, before the data is read or allocated: a sparse
  // 128 GiB file whose only tensor does not fit fails at once.
  const std::string huge = dir.file("huge.safetensors");
  const std::string json =
      R"({"0.weight":{"dtype":"F32","shape":[34359738368],"data_offsets":[0,137438953472]}})";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((json.size() >> (8 * i)) & 0xFF);
  write_file(huge, bytes + json);
  std::error_code ec;
  std::filesystem::resize_file(huge, 8 + json.size() + (std::uint64_t{1} << 37), ec);
  if (ec) {
    MESSAGE("sparse files unsupported here: " << ec.message());
  } else {
    const std::string m = error_of<ShapeError>([&] { io::load(*narrow, huge, false); });
    CHECK(m.find("[34359738368]") != std::string::npos);
    CHECK_THROWS_AS(io::load(*narrow, huge), ShapeError);
  }
}

namespace {

/// Sets io::detail::force_named_temporaries for a scope.
class NamedTemporaries {
 public:
  explicit NamedTemporaries(bool on) : before_(io::detail::force_named_temporaries(on)) {}
  ~NamedTemporaries() { io::detail::force_named_temporaries(before_); }
  NamedTemporaries(const NamedTemporaries&) = delete;
  NamedTemporaries& operator=(const NamedTemporaries&) = delete;

 private:
  bool before_;
};

/// Saves in a child killed at random moments, 25 times: the target always holds one complete
/// version and keeps its mode. With `named` the temporary is named from the start (the fallback
/// where O_TMPFILE is missing): kills leave it behind, and the next save removes it.
void check_saves_survive_kills(bool named) {
  const NamedTemporaries mode(named);
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  // About 1 MB, so that a save takes long enough to be interrupted part-way.
  auto model = mlp<float>(1, 16384);
  auto fill = [&](float v) {
    for (auto& p : model->parameters()) p.mutable_data().fill(v);
  };
  fill(0.0f);
  io::save(*model, path);
  // A private model stays private: every save keeps the target's mode.
  REQUIRE(::chmod(path.c_str(), 0600) == 0);

  Generator gen(42);
  int interrupted = 0;
  float last_seen = 0;
  for (int trial = 0; trial < 25; ++trial) {
    // The child reports its first complete save through a pipe, so that the kill lands at a
    // random point of a later one however slowly a loaded machine schedules the child.
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // Save versions 1, 2, 3, ... each with every value equal to its version, until killed.
      ::alarm(20);  // never outlive a parent that died
      ::close(ready[0]);
      for (int version = 1;; ++version) {
        fill(static_cast<float>(trial * 1000 + version));
        try {
          io::save(*model, path);
        } catch (...) {
          ::_exit(3);
        }
        if (version == 1 && (::write(ready[1], "1", 1) != 1 || ::close(ready[1]) != 0)) {
          ::_exit(4);
        }
      }
    }
    ::close(ready[1]);
    char byte = 0;
    REQUIRE(::read(ready[0], &byte, 1) == 1);
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(gen.below(30000)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    // The temporary is unnamed until the moment before its rename, so a kill leaves nothing
    // (only a kill between linkat and rename could, and the next save removes that).
    const std::size_t left = temp_files(dir.path()).size();
    CHECK(left <= 1);  // a save removes what an earlier killed one left before it writes
    interrupted += left != 0;
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);

    // The target holds one complete version: every value equal.
    auto loaded = mlp<float>(2, 16384);
    REQUIRE_NOTHROW(io::load(*loaded, path));
    const float v = loaded->parameter("0.weight").data()(0, 0);
    for (const auto& p : loaded->parameters()) {
      REQUIRE(std::all_of(p.data().begin(), p.data().end(), [&](float x) { return x == v; }));
    }
    CHECK(v >= last_seen);
    last_seen = v;
  }
  MESSAGE("kill test" << std::string(named ? " (named temporaries)" : "") << ": " << interrupted
                      << " of 25 kills left a temporary file behind; last version loaded "
                      << last_seen);
  CHECK(last_seen > 0);                                              // some saves completed
  const bool unnamed = io::AtomicFile(dir.file("probe")).unnamed();  // O_TMPFILE works here
  if (named) CHECK_FALSE(unnamed);
  // Unnamed, only the short window between linkat and rename can leave a file: 0 or 1 of 25 on
  // a quiet machine, 2 once while the machine ran two compilers beside the suite (2026-12-03),
  // against 7-13 of 25 with named temporaries.
  if (unnamed) CHECK(interrupted <= 3);
  // Named from the start, a temporary is left by every kill during a write (7 of 25 in one run;
  // the rest land between saves), and the next save removes each one.
  if (named) CHECK(interrupted >= 1);
  io::save(*model, path);  // removes whatever a killed save left
  CHECK(temp_files(dir.path()).empty());
}

}  // namespace

TEST_CASE("io/serialize: a save killed at any moment leaves the previous checkpoint loadable") {
  check_saves_survive_kills(/*named=*/false);
}

TEST_CASE("io/serialize: the same with named temporaries, the fallback without O_TMPFILE") {
  check_saves_survive_kills(/*named=*/true);
  const NamedTemporaries mode(true);
  TempDir dir;
  CHECK_FALSE(io::AtomicFile(dir.file("probe")).unnamed());
  CHECK_FALSE(io::AtomicFile(dir.file("probe")).temp_path().empty());
}

TEST_CASE("io/serialize: saving to a symbolic link updates the file it leads to, link kept") {
  // Regression: the atomic rename replaced the link itself by a regular file, so the file the
  // link pointed to silently kept the old model.
  namespace fs = std::filesystem;
  TempDir dir;
  fs::create_directory(dir.path() / "runs");
  const std::string real = dir.file("runs/model.safetensors");
  const std::string link = dir.file("latest.safetensors");
  const std::string link_to_link = dir.file("best.safetensors");
  fs::create_symlink("runs/model.safetensors", link);  // relative to the link's directory
  fs::create_symlink(link, link_to_link);              // absolute, and a chain of two

  auto a = mlp<float>(1), b = mlp<float>(2), c = mlp<float>(3);
  io::save(*a, real);
  io::save(*b, link);
  CHECK(fs::is_symlink(fs::symlink_status(link)));
  auto loaded = mlp<float>(9);
  io::load(*loaded, real);
  CHECK(state_bytes(*loaded) == state_bytes(*b));

  io::save(*c, link_to_link);
  CHECK(fs::is_symlink(fs::symlink_status(link)));
  CHECK(fs::is_symlink(fs::symlink_status(link_to_link)));
  io::load(*loaded, real);
  CHECK(state_bytes(*loaded) == state_bytes(*c));
  CHECK(temp_files(dir.path()).empty());
  CHECK(temp_files(dir.path() / "runs").empty());
}

TEST_CASE("io/serialize: a read-only target file is replaced (the rename needs the directory)") {
  // docs/CHECKPOINTS.md says so; torch.save would fail to open the file instead.
  namespace fs = std::filesystem;
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  auto a = mlp<float>(1), b = mlp<float>(2);
  io::save(*a, path);
  fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  io::save(*b, path);
  auto loaded = mlp<float>(9);
  io::load(*loaded, path);
  CHECK(state_bytes(*loaded) == state_bytes(*b));
}

TEST_CASE("io/serialize: a load uses about the file's size in memory, not more") {
#ifdef AXON_TEST_ASAN
  MESSAGE("skipped under AddressSanitizer: its shadow memory and quarantine change RSS");
  return;
#endif
  TempDir dir;
  const std::string path = dir.file("big.safetensors");
  // [4096 x 2048] floats: a 32 MiB file. Measured in a child, whose peak RSS starts fresh.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int code = 0;
    try {
      Generator gen(1);
      nn::Linear layer(nn::LinearOptions(2048, 4096), gen);
      io::save(layer, path);
      rusage before{};
      ::getrusage(RUSAGE_SELF, &before);
      io::load(layer, path);
      rusage after{};
      ::getrusage(RUSAGE_SELF, &after);
      const long growth_kb = after.ru_maxrss - before.ru_maxrss;
      const long file_kb = static_cast<long>(std::filesystem::file_size(path) / 1024);
      code = growth_kb <= file_kb + 4 * 1024 ? 0 : 1;
      if (code) std::fprintf(stderr, "load grew RSS by %ld KiB for %ld KiB\n", growth_kb, file_kb);
    } catch (...) {
      code = 2;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace axon::test
