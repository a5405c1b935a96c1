#pragma once
// What `pgstream bench` prints and writes: the text report (pgbench's lines first, so a pgbench
// user finds what they know, then the full distributions), -P lines, the --json report that
// `bench merge` reads back, and the --plot picture.

#include <cstdint>
#include <map>
#include <string>

#include "pgstream/bench/histogram.hpp"
#include "pgstream/bench/runner.hpp"
#include "pgstream/result.hpp"

namespace pgstream::cli {

struct BenchSetup {
  const bench::RunOptions* options = nullptr;
  std::string protocol;
  std::string json_path;
};

void print_progress_line(const bench::ProgressLine& line);
void print_text_report(const BenchSetup& setup, const bench::RunResult& result);
[[nodiscard]] std::string json_report(const BenchSetup& setup, const bench::RunResult& result);
[[nodiscard]] std::string svg_report(const BenchSetup& setup, const bench::RunResult& result);

// Runs merged by `bench merge`: counts add, histograms add bucket by bucket; runs that ran side
// by side (--start-at) share the wall clock, so the merged rate is over the longest run.
struct MergedRuns {
  bench::LatencyHistogram latency, service, schedule_lag;
  std::uint64_t transactions = 0, failed = 0, retried = 0, late = 0, skipped = 0;
  std::map<std::string, std::uint64_t> errors_by_sqlstate;
  double seconds = 0;
  double client_cpu_seconds = 0;
  std::uint64_t syscalls = 0;
};
[[nodiscard]] Result<void> merge_run_json(MergedRuns& into, std::string_view json);
void print_merged_report(const MergedRuns& merged, std::size_t runs);
[[nodiscard]] std::string merged_json(const MergedRuns& merged);

}  // namespace pgstream::cli
