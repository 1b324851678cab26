// SPDX-License-Identifier: MIT
// Helpers of the hostile-file tests: typed-error capture, FIFOs, and running a case in a forked
// child whose address space is capped with setrlimit (so memory bounds are enforced, not hoped).
#pragma once

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

#include "axon/autograd/error.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define AXON_TEST_NO_RLIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define AXON_TEST_NO_RLIMIT 1
#endif
#endif

namespace axon::test {

/// The message of the exception of type E that `fn` throws; fails the test when it throws
/// nothing or something else.
template <class E, class F>
std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("an exception of the wrong type: " << e.what());
    return {};
  }
  FAIL("the expected exception was not thrown");
  return {};
}

/// Creates a FIFO at `path` (nobody writes to it: a blocking open would hang).
inline void make_fifo(const std::string& path) {
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
}

/// The process's current address-space size in bytes (/proc/self/statm, first field).
inline std::size_t address_space_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (f) {
    if (std::fscanf(f, "%lu", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/// Whether address-space caps work here (not under sanitizers, whose shadow memory is huge).
inline bool can_cap_memory() {
#ifdef AXON_TEST_NO_RLIMIT
  return false;
#else
  return true;
#endif
}

/// Runs `body` in a forked child whose address space may grow by at most `extra_bytes` (0: no
/// cap) and returns its exit status: body's return value, 100 for an axon::Error that escaped
/// it, or 128 + signal when it died (an uncaught std::bad_alloc aborts: 134). Only axon::Error is
/// caught, as a program following the README would.
inline int run_capped(std::size_t extra_bytes, const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::alarm(120);  // never outlive the test
    if (extra_bytes > 0 && can_cap_memory()) {
      const rlim_t cap = address_space_bytes() + extra_bytes;
      const rlimit limit{cap, cap};
      ::setrlimit(RLIMIT_AS, &limit);
    }
    int code = 0;
    try {
      code = body();
    } catch (const axon::Error& e) {
      std::fprintf(stderr, "escaped: %s\n", e.what());
      code = 100;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace axon::test
