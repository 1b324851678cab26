// SPDX-License-Identifier: MIT
// Tests the writers (io/atomic_file.cpp, io/write.cpp, datasets/idx.cpp's write_idx) and the
// early output-path check (io/file_access.cpp) against targets that are not plain files, modes
// and long names; and the range checks of a checkpoint's values (io/checkpoint.cpp, optimizers'
// load_state_dict).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/idx.hpp"
#include "axon/io/atomic_file.hpp"
#include "axon/io/checkpoint.hpp"
#include "axon/io/file_access.hpp"
#include "axon/io/serialize.hpp"
#include "axon/nn/linear.hpp"
#include "axon/optim/adam.hpp"
#include "axon/optim/rmsprop.hpp"
#include "axon/optim/sgd.hpp"
#include "tests/datasets/files.hpp"
#include "tests/io/hostile.hpp"

namespace axon::test {

namespace fs = std::filesystem;

namespace {

using Writer = std::function<void(const std::string&)>;

const Writer kSave = [](const std::string& p) {
  autograd::Generator gen(1);
  nn::Linear layer(nn::LinearOptions(3, 2), gen);
  io::save(layer, p);
};
const Writer kWriteIdx = [](const std::string& p) {
  datasets::IdxArray a;
  a.shape = {3};
  a.data = std::vector<std::uint8_t>{1, 2, 3};
  datasets::write_idx(p, a, /*compress=*/true);
};
const Writer kCheck = [](const std::string& p) { io::check_output_path(p, "fit"); };

struct WriterCase {
  const char* name;
  std::function<std::string(const TempDir&)> make;  // returns the target path
  std::vector<std::string> expected;
};

std::vector<WriterCase> writer_cases() {
  return {
      {"a FIFO",
       [](const TempDir& d) {
         make_fifo(d.file("out.fifo"));
         return d.file("out.fifo");
       },
       {"out.fifo", "is a FIFO, not a regular file"}},
      {"a character device",
       [](const TempDir&) { return std::string("/dev/null"); },
       {"/dev/null", "is a character device"}},
      {"a directory", [](const TempDir& d) { return d.path().string(); }, {"is a directory"}},
      {"a loop of symbolic links",
       [](const TempDir& d) {
         fs::create_symlink("b.safetensors", d.file("a.safetensors"));
         fs::create_symlink("a.safetensors", d.file("b.safetensors"));
         return d.file("a.safetensors");
       },
       {"a.safetensors", "a loop of symbolic links"}},
      {"a missing directory",
       [](const TempDir& d) { return d.file("no/such/dir/m.safetensors"); },
       {"the directory", "no/such/dir", "does not exist"}},
      {"a name longer than the file system allows",
       [](const TempDir& d) { return d.file(std::string(300, 'n')); },
       {"300 bytes, more than the 255"}},
      {"an empty path", [](const TempDir&) { return std::string(); }, {"empty"}},
  };
}

std::vector<std::string> temp_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".tmp") out.push_back(entry.path().string());
  }
  return out;
}

}  // namespace

TEST_CASE("hostile targets: every writer refuses what is not a regular file, changing nothing") {
  for (const auto& [writer_name, write] : std::vector<std::pair<const char*, Writer>>{
           {"save", kSave}, {"write_idx", kWriteIdx}, {"check_output_path", kCheck}}) {
    for (const WriterCase& c : writer_cases()) {
      CAPTURE(writer_name);
      CAPTURE(c.name);
      TempDir dir;
      const std::string path = c.make(dir);
      struct stat before {};
      const bool existed = ::lstat(path.c_str(), &before) == 0;
      const std::string msg = error_of<IOError>([&] { write(path); });
      for (const std::string& part : c.expected) {
        CAPTURE(part);
        CHECK(msg.find(part) != std::string::npos);
      }
      struct stat after {};
      if (existed) {
        REQUIRE(::lstat(path.c_str(), &after) == 0);
        CHECK((after.st_mode & S_IFMT) == (before.st_mode & S_IFMT));
        CHECK(after.st_ino == before.st_ino);
      }
      CHECK(temp_files(dir.path()).empty());
    }
  }
}

namespace {

/// A replaced file keeps its mode; 253-byte names work. With `named`, through the fallback that
/// names the temporary from the start (no O_TMPFILE).
void check_modes_and_long_names(bool named) {
  const bool before = io::detail::force_named_temporaries(named);
  TempDir dir;
  for (const unsigned mode : {0600u, 0640u, 0444u}) {
    CAPTURE(mode);
    const std::string path = dir.file("private.safetensors");
    kSave(path);
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    kSave(path);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == mode);
    kWriteIdx(path);
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == mode);
    fs::remove(path);
  }
  const std::string long_name = dir.file(std::string(253, 'm'));
  kSave(long_name);
  kSave(long_name);
  CHECK(fs::is_regular_file(long_name));
  CHECK(fs::directory_iterator(dir.path()) != fs::directory_iterator());
  CHECK(temp_files(dir.path()).empty());
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);
  io::detail::force_named_temporaries(before);
}

/// As root: a replaced file keeps its owner and group (another user's), with or without
/// `named` temporaries.
void check_owner_kept(bool named) {
  const bool before = io::detail::force_named_temporaries(named);
  TempDir dir;
  const std::string path = dir.file("theirs.safetensors");
  kSave(path);
  REQUIRE(::chown(path.c_str(), 12345, 23456) == 0);
  REQUIRE(::chmod(path.c_str(), 0640) == 0);
  kSave(path);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(st.st_uid == 12345u);
  CHECK(st.st_gid == 23456u);
  CHECK((st.st_mode & 07777) == 0640u);
  kWriteIdx(path);
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(st.st_uid == 12345u);
  CHECK(st.st_gid == 23456u);
  CHECK(temp_files(dir.path()).empty());
  io::detail::force_named_temporaries(before);
}

}  // namespace

TEST_CASE("hostile targets: a replaced file keeps its mode; 253-byte names work") {
  SUBCASE("unnamed temporaries (O_TMPFILE)") {
    check_modes_and_long_names(false);
  }
  SUBCASE("named temporaries (the fallback)") {
    check_modes_and_long_names(true);
  }
}

TEST_CASE("hostile targets: as root, a replaced file keeps its owner and group") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: only root can give a file to another user");
    return;
  }
  SUBCASE("unnamed temporaries (O_TMPFILE)") {
    check_owner_kept(false);
  }
  SUBCASE("named temporaries (the fallback)") {
    check_owner_kept(true);
  }
}

TEST_CASE("hostile targets: temporaries of dead processes are removed by the next save") {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  const pid_t dead = ::fork();
  REQUIRE(dead >= 0);
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const std::string stale = path + "." + std::to_string(dead) + ".7.tmp";
  const std::string live = path + "." + std::to_string(::getppid()) + ".7.tmp";
  const std::string other = dir.file("other.safetensors." + std::to_string(dead) + ".1.tmp");
  for (const auto& p : {stale, live, other}) write_file(p, "partial");
  kSave(path);
  CHECK(!fs::exists(stale));
  CHECK(fs::exists(live));   // its process still runs
  CHECK(fs::exists(other));  // another target's
  CHECK(io::temporary_prefix(std::string(253, 'x')).size() + 40 <= 255);
  CHECK(io::temporary_prefix("m.safetensors") == "m.safetensors");
}

TEST_CASE("hostile checkpoints: out-of-range values are errors naming the field") {
  autograd::Generator gen(3);
  nn::Linear layer(nn::LinearOptions(3, 2), gen);
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(error_of<ValueError>([&] {
          optim::Adam(layer.parameters(), optim::AdamOptions(inf));
        }).find("learning rate") != std::string::npos);
  CHECK_THROWS_AS(optim::SGD(layer.parameters(), optim::SGDOptions(inf)), ValueError);
  CHECK_THROWS_AS(optim::RMSprop(layer.parameters(), optim::RMSpropOptions(inf)), ValueError);

  optim::Adam adam(layer.parameters(), optim::AdamOptions(0.1).amsgrad(true));
  for (auto& p : layer.parameters()) {
    p.grad_data() = p.data();
    p.grad_data().fill(0.5f);
  }
  adam.step();
  const optim::StateDict<float> good = adam.state_dict();
  const auto refused = [&](const std::function<void(optim::StateDict<float>&)>& edit) {
    optim::StateDict<float> dict = good;
    edit(dict);
    return error_of<ValueError>([&] { adam.load_state_dict(dict); });
  };
  CHECK(refused([&](auto& d) {
          d.scalars["param_groups.0.lr"] = inf;
        }).find("param_groups.0.lr: invalid learning rate inf") != std::string::npos);
  CHECK(refused([](auto& d) {
          d.arrays["state.0.exp_avg_sq"].fill(-1.0f);
        }).find("state.0.exp_avg_sq holds -1") != std::string::npos);
  CHECK(refused([](auto& d) {
          d.arrays["state.1.exp_avg"](0) = NAN;
        }).find("state.1.exp_avg holds nan") != std::string::npos);
  CHECK(refused([](auto& d) {
          d.arrays.erase("state.0.exp_avg");
        }).find("state.0.exp_avg is missing") != std::string::npos);
  CHECK(refused([](auto& d) {
          d.arrays.erase("state.1.max_exp_avg_sq");
        }).find("state.1.max_exp_avg_sq is missing") != std::string::npos);
  CHECK_NOTHROW(adam.load_state_dict(good));

  // An epoch past the run's: refused before anything changes (2^64 - 1 wrapped to epoch 0).
  TempDir dir;
  const std::string path = dir.file("run.safetensors");
  io::TrainingState state;
  state.epoch = std::numeric_limits<std::uint64_t>::max();
  io::save_training_checkpoint(path, layer, adam, state);
  const std::string msg = error_of<ValueError>([&] {
    io::load_training_checkpoint(
        path, layer, adam, [&](const io::TrainingState& s) { io::check_resume_epoch(s, 2, path); });
  });
  CHECK(msg.find("epoch 18446744073709551615") != std::string::npos);
  CHECK(msg.find("past the run's 2 epochs") != std::string::npos);
  state.epoch = 2;
  CHECK_NOTHROW(io::check_resume_epoch(state, 2, path));
}

TEST_CASE("hostile targets: a program that catches only axon::Error survives every writer case") {
  const std::vector<WriterCase> cases = writer_cases();
  // Each case must end in an axon::Error, for a save through either kind of temporary.
  const int code = run_capped(512u << 20, [&]() -> int {
    std::size_t errors = 0;
    for (const bool named : {false, true}) {
      io::detail::force_named_temporaries(named);
      for (const Writer& write : {kSave, kWriteIdx, kCheck}) {
        for (const WriterCase& c : cases) {
          TempDir dir;
          try {
            write(c.make(dir));
          } catch (const axon::Error&) {
            ++errors;
          }
        }
      }
    }
    return errors == 2 * 3 * cases.size() ? 0 : 1;
  });
  CHECK(code == 0);
}

}  // namespace axon::test
