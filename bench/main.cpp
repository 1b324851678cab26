// SPDX-License-Identifier: MIT
// The benchmark driver:
//   <exe> [--workload NAME] [--threads T] [--reps N] [--batch B] [--shard-size S] [--blas-pool]
//         [--list]
// Prints one JSON line per workload on standard output.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "harness.hpp"

namespace {

void usage(const char* prog) {
  std::fprintf(stderr,
               "usage: %s [--workload NAME|all] [--threads T] [--reps N] [--batch B]\n"
               "          [--shard-size S] [--blas-pool] [--list]\n"
               "  --workload    run one workload (default: all)\n"
               "  --threads     threads the framework may use (default 1)\n"
               "  --reps        timed repetitions (default: chosen by each workload)\n"
               "  --batch       mini-batch size of the training workloads (default: theirs)\n"
               "  --shard-size  axon only: samples per shard of the batch-parallel step\n"
               "                (default: the workload's)\n"
               "  --blas-pool   libtorch only: leave OpenBLAS's thread pool as libtorch leaves it\n"
               "                (all cores) instead of limiting it to --threads\n"
               "  --list        print the workload names and exit\n",
               prog);
}

int parse_positive(const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < 1 || v > 4096) {
    std::fprintf(stderr, "%s: expected a positive integer, got '%s'\n", flag, text);
    std::exit(2);
  }
  return static_cast<int>(v);
}

void print_json(const std::string& workload, const bench::Result& r) {
  std::printf("{\"workload\":\"%s\",\"framework\":\"%s\",\"threads\":%d", workload.c_str(),
              bench::framework_name(), r.threads);
  for (const auto& [key, value] : r.metrics) std::printf(",\"%s\":%.6g", key.c_str(), value);
  std::printf("}\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string selected = "all";
  bench::Options opt;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--workload" && has_value) {
      selected = argv[++i];
    } else if (arg == "--threads" && has_value) {
      opt.threads = parse_positive("--threads", argv[++i]);
    } else if (arg == "--reps" && has_value) {
      opt.reps = parse_positive("--reps", argv[++i]);
    } else if (arg == "--batch" && has_value) {
      opt.batch = static_cast<std::size_t>(parse_positive("--batch", argv[++i]));
    } else if (arg == "--shard-size" && has_value) {
      opt.shard_size = static_cast<std::size_t>(parse_positive("--shard-size", argv[++i]));
    } else if (arg == "--blas-pool") {
      opt.blas_pool = true;
    } else if (arg == "--list") {
      list = true;
    } else {
      usage(argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }

  const auto all = bench::workloads();
  if (list) {
    for (const auto& w : all) std::printf("%s\n", w.name.c_str());
    return 0;
  }
  if (!bench::set_threads(opt)) {
    std::fprintf(stderr,
                 "%s: %s cannot run with these settings (--blas-pool is for libtorch, "
                 "--shard-size for axon)\n",
                 argv[0], bench::framework_name());
    return 2;
  }

  bool found = false;
  for (const auto& w : all) {
    if (selected != "all" && selected != w.name) continue;
    found = true;
    try {
      print_json(w.name, w.fn(opt));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s (%s): %s\n", w.name.c_str(), bench::framework_name(), e.what());
      return 1;
    }
  }
  if (!found) {
    // Exit status 3 lets scripts/bench.sh tell "this framework lacks the workload" from a failure.
    std::fprintf(stderr, "%s: no workload named '%s' for %s (see --list)\n", argv[0],
                 selected.c_str(), bench::framework_name());
    return 3;
  }
  return 0;
}
