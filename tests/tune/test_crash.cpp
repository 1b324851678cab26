// SPDX-License-Identifier: MIT
// Tests that a search survives SIGKILL (tune/search.cpp, tune/journal.cpp): a child process
// (this test binary, re-executed) runs a search with two trials at once and is killed at random
// moments, at least 10 times; each restart must not rerun a trial the journal holds, and the
// search finally ends with the table of an uninterrupted one.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "axon/autograd/random.hpp"
#include "axon/tune/journal.hpp"
#include "axon/tune/search.hpp"
#include "tests/datasets/files.hpp"
#include "tests/tune/helpers.hpp"

extern char** environ;

namespace axon::test {

namespace {

const tune::RandomSearch& crash_strategy() {
  static const tune::RandomSearch strategy(small_space(), 60, 5);
  return strategy;
}

/// Sleeps like a short training run; some trials fail, so failures are replayed too.
double crash_objective(const tune::Trial& trial, const char* run_log) {
  if (run_log) {
    const std::string line = std::to_string(trial.id) + "\n";
    const int fd = ::open(run_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      (void)!::write(fd, line.data(), line.size());
      ::close(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  if (trial.integer("units") <= 8) throw std::runtime_error("too few units");
  return synthetic_score(trial);
}

/// The trial ids the journal holds (its complete lines).
std::set<std::size_t> journaled(const std::string& path, std::size_t* lines = nullptr) {
  std::ifstream in(path);
  std::string line;
  std::set<std::size_t> ids;
  std::getline(in, line);  // header
  std::size_t count = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // torn: no newline after it
    ids.insert(tune::parse_json_line(line, path).id);
    ++count;
  }
  if (lines) *lines = count;
  return ids;
}

/// Starts this test binary running only the child case below, with the journal and run log.
pid_t spawn(const std::string& journal, const std::string& run_log) {
  std::vector<std::string> env_strings = {"AXON_TUNE_CRASH_JOURNAL=" + journal,
                                          "AXON_TUNE_CRASH_LOG=" + run_log};
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string filter = "-tc=tune: crash child";
  char* argv[] = {const_cast<char*>("axon_tests"), filter.data(), nullptr};
  const pid_t child = ::fork();
  if (child == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::alarm(60);  // never outlive a parent that died
    ::execve("/proc/self/exe", argv, envp.data());
    ::_exit(127);
  }
  return child;
}

}  // namespace

TEST_CASE("tune: crash child") {
  const char* journal = std::getenv("AXON_TUNE_CRASH_JOURNAL");
  const char* run_log = std::getenv("AXON_TUNE_CRASH_LOG");
  if (!journal || !run_log) return;  // only runs when the crash test starts it
  std::ostringstream quiet;
  tune::search(
      crash_strategy(),
      [&](const tune::Trial& t, tune::Reporter&) { return crash_objective(t, run_log); },
      tune::SearchOptions().journal(journal).parallel(2).threads_per_trial(1).max_failures(0).out(
          quiet));
}

TEST_CASE("tune: a search killed with SIGKILL and resumed ends with the uninterrupted table") {
  std::ostringstream quiet;
  const auto reference = tune::search(
      crash_strategy(),
      [](const tune::Trial& t, tune::Reporter&) { return crash_objective(t, nullptr); },
      tune::SearchOptions().max_failures(0).out(quiet));

  TempDir dir;
  const std::string journal = dir.file("search.jsonl");
  autograd::Generator gen(2026);
  std::size_t kills = 0, runs = 0, started = 0;
  bool finished = false;
  while (!finished && runs < 60) {
    const std::string run_log = dir.file("run" + std::to_string(runs++) + ".log");
    const std::set<std::size_t> before = journaled(journal);
    const pid_t child = spawn(journal, run_log);
    REQUIRE(child > 0);
    int status = 0;
    bool reaped = false;
    if (kills < 12) {
      // Once the child has started its first trial (its start-up takes tens of milliseconds),
      // kill it at a random moment in the next 30 ms: mid-trial or mid-append most of the time.
      for (int wait = 0; wait < 5000 && !reaped; ++wait) {
        reaped = ::waitpid(child, &status, WNOHANG) == child;
        std::error_code ec;
        if (std::filesystem::file_size(run_log, ec) > 0 && !ec) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (!reaped) {
        std::this_thread::sleep_for(std::chrono::microseconds(gen.below(30000)));
        ::kill(child, SIGKILL);
      }
    }
    if (!reaped) REQUIRE(::waitpid(child, &status, 0) == child);
    if (WIFSIGNALED(status)) {
      REQUIRE(WTERMSIG(status) == SIGKILL);
      ++kills;
    } else {
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 0);
      finished = true;
    }
    // No trial the journal held when this run started ran again.
    std::ifstream log(run_log);
    for (std::size_t id; log >> id;) {
      CAPTURE(id);
      ++started;
      CHECK(before.count(id) == 0);
    }
  }
  CHECK(finished);
  CHECK(kills >= 10);
  // More starts than trials: some trials were killed while running and ran again.
  MESSAGE(kills, " kills in ", runs, " runs; ", started, " trial starts for 60 trials");
  CHECK(started > 60);
  std::size_t lines = 0;
  CHECK(journaled(journal, &lines).size() == 60);
  CHECK(lines == 60);  // every trial journaled exactly once

  int calls = 0;
  const auto resumed = tune::search(
      crash_strategy(),
      [&](const tune::Trial& t, tune::Reporter&) {
        ++calls;
        return crash_objective(t, nullptr);
      },
      tune::SearchOptions().journal(journal).max_failures(0).out(quiet));
  CHECK(calls == 0);
  CHECK(resumed.table() == reference.table());
}

}  // namespace axon::test
