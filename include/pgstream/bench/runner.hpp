#pragma once
// The load generator behind `pgstream bench`: clients (connections) spread over reactor threads
// run pgbench scripts, closed loop or at a fixed arrival rate, and every transaction's latency
// goes into log-bucketed histograms.
//
// Each SQL command of a script is its own request (Bind/Execute/Sync, or a simple Query), so the
// server does the same work as under pgbench, statement by statement and commit by commit. What
// differs is the waiting: the statements of a transaction go out back to back, without a round
// trip between them, unless the script needs a result first (\gset, \aset) or sleeps; with
// --pipeline N a client keeps up to N transactions in flight as a sliding window.
//
// With a rate (-R), transaction i of a client is due at a time drawn from a Poisson process, not
// when transaction i-1 ended: its latency runs from that intended start, so a stalled server
// shows up as latency (coordinated omission corrected); service time runs from the actual send.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pgstream/bench/histogram.hpp"
#include "pgstream/bench/script.hpp"
#include "pgstream/bench/script_cursor.hpp"
#include "pgstream/bench/variables.hpp"
#include "pgstream/client/pg_connection.hpp"
#include "pgstream/result.hpp"

namespace pgstream::bench {

struct RunOptions {
  std::vector<Script> scripts;
  const VariableTable* names = nullptr;  // the table the scripts were parsed with
  QueryMode mode = QueryMode::prepared;
  unsigned clients = 1;
  unsigned threads = 1;
  unsigned pipeline = 1;                     // transactions in flight per client
  std::optional<double> duration_seconds;    // -T
  std::optional<std::uint64_t> transactions; // -t, per client
  std::optional<double> rate;                // -R, transactions per second for the whole run
  std::optional<double> latency_limit_ms;    // -L
  double warmup_seconds = 0;
  double progress_seconds = 0;               // -P; 0: none
  bool per_statement = false;                // -r
  unsigned max_tries = 1;                    // serialization/deadlock retries
  bool stop_on_error = false;                // end the run at the first failed transaction
  std::int64_t scale = 1;
  std::uint64_t random_seed = 0;
  std::optional<std::chrono::system_clock::time_point> start_at;
  // Checked about every 50 ms: true stops the run (Ctrl-C); what ran is reported.
  std::function<bool()> stop_requested;
};

// One -P line's worth: the interval just closed, merged over the threads.
struct ProgressLine {
  double at_seconds = 0;  // end of the interval, since the start of the run
  double interval_seconds = 0;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  LatencyHistogram latency;  // of the interval's transactions
  double lag_ms = 0;         // mean schedule lag in the interval (-R)
};

// Throughput and latency of each -P interval (or each second without -P), for the report's
// picture of throughput and p99 over time.
struct IntervalPoint {
  double at_seconds = 0;     // end of the interval, since the end of the warm-up
  double interval_seconds = 0;
  std::uint64_t completed = 0;
  double tps = 0;
  std::int64_t p50_ns = 0, p99_ns = 0, max_ns = 0;
  std::uint64_t failed = 0;
};

struct StatementStats {
  std::size_t script = 0, command = 0;
  LatencyHistogram latency;
  std::uint64_t errors = 0;
};

struct RunResult {
  // From the intended start (what a user waits; equals service time in a closed loop).
  LatencyHistogram latency;
  // From the first byte sent to the last answer (what the server and network took).
  LatencyHistogram service;
  // How late transactions were sent against their schedule (-R only).
  LatencyHistogram schedule_lag;
  std::vector<IntervalPoint> timeline;
  std::vector<StatementStats> statements;          // -r
  std::vector<std::uint64_t> per_script_transactions;
  std::uint64_t transactions = 0;   // completed without error (after warm-up)
  std::uint64_t failed = 0;         // completed with an error (after retries)
  std::uint64_t retried = 0;        // transactions tried again (serialization, deadlock)
  std::uint64_t late = 0;           // latency above -L
  std::uint64_t skipped = 0;        // -R with -L: already too late to start
  std::map<std::string, std::uint64_t> errors_by_sqlstate;
  std::uint64_t reconnects = 0;
  std::uint64_t backlog_max = 0;    // -R: most transactions due but not yet sent, at once
  double seconds = 0;               // measured span (after warm-up)
  double client_user_seconds = 0, client_sys_seconds = 0;
  std::uint64_t syscalls = 0;       // io_uring_enter calls
  double busiest_thread_cpu = 0;    // fraction of the run its busiest reactor thread was on CPU
  bool interrupted = false;
  bool stopped_on_error = false;
  std::vector<std::string> warnings;
};

// Connects the clients, runs, and returns the measurements. Errors: no client could connect, or
// a script error that pgbench would also stop on (an unset variable, a failed \gset).
[[nodiscard]] Result<RunResult> run_bench(const client::ConnectionBuilder& builder, const RunOptions& options,
                                          const std::function<void(const ProgressLine&)>& on_progress = {});

}  // namespace pgstream::bench
