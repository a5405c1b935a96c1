#pragma once
// ThroughputTimeline: per-interval (default per-second) counts of completed transactions and
// errors, and the interval's latency histogram, for the "throughput and p99 over time" plot and
// for -P progress lines.
//
// Recording is O(1) and does not allocate, except when a call crosses an interval boundary: then
// the finished interval is summarised (percentiles, mean, stddev) and its non-zero counters are
// kept (sparse), so timelines of several reactor threads merge exactly, p99 included. The
// per-interval histograms default to 2 significant digits (p99 within 1%): a few hundred to
// ~1,500 counters of 16 bytes per interval, i.e. tens of MB for an hour at 1 s, not hundreds.
//
// One timeline per thread (not thread-safe); times are nanoseconds since the run's start, the
// same start for every thread, so interval i is [i*interval, (i+1)*interval) everywhere.

#include <cstdint>
#include <string>
#include <vector>

#include "pgstream/bench/histogram.hpp"
#include "pgstream/result.hpp"

namespace pgstream::bench {

struct IntervalStats {
  std::int64_t start_ns = 0;   // since the run's start
  std::int64_t length_ns = 0;  // the interval length; the last one (finish()) may be shorter
  std::uint64_t completed = 0;  // transactions that finished in the interval (latency recorded)
  std::uint64_t errors = 0;
  // Latency of the interval's completed transactions, in ns (all 0 when completed == 0).
  std::int64_t min_ns = 0;
  std::int64_t p50_ns = 0;
  std::int64_t p90_ns = 0;
  std::int64_t p99_ns = 0;
  std::int64_t max_ns = 0;
  double mean_ns = 0;
  double stddev_ns = 0;
  std::vector<BucketCount> buckets;  // the interval's histogram (the timeline's config), sparse

  [[nodiscard]] double tps() const noexcept {
    return length_ns > 0 ? static_cast<double>(completed) * 1e9 / static_cast<double>(length_ns) : 0.0;
  }
};

// 1 ns .. 1 h, 2 significant digits.
[[nodiscard]] HistogramConfig default_interval_config() noexcept;

class ThroughputTimeline {
 public:
  // interval_ns must be > 0 and the config valid (both are checked by create()).
  [[nodiscard]] static Result<ThroughputTimeline> create(std::int64_t interval_ns = 1'000'000'000,
                                                         const HistogramConfig& config = default_interval_config());
  ThroughputTimeline();  // 1 s intervals, default_interval_config()

  // A transaction completed at now_ns (since the run's start) after latency_ns. Each returns how
  // many intervals this call closed: the caller prints -P lines for the last that many
  // intervals(). Events stamped before the current interval count in the current one.
  std::size_t record(std::int64_t now_ns, std::int64_t latency_ns) {
    std::size_t closed = 0;
    if (now_ns >= current_end_) [[unlikely]] closed = advance(now_ns);
    current_.record(latency_ns);
    return closed;
  }
  std::size_t record_error(std::int64_t now_ns) {
    std::size_t closed = 0;
    if (now_ns >= current_end_) [[unlikely]] closed = advance(now_ns);
    ++current_errors_;
    return closed;
  }
  // Closes every interval that ended at or before now_ns (empty ones too: a stall shows as zero
  // throughput). Call it from the loop when nothing completes, so progress lines keep coming.
  std::size_t advance(std::int64_t now_ns);
  // Closes the current interval at end_ns (shorter than the others when the run ends mid-way).
  void finish(std::int64_t end_ns);

  [[nodiscard]] const std::vector<IntervalStats>& intervals() const noexcept { return closed_; }
  [[nodiscard]] std::int64_t interval_ns() const noexcept { return interval_ns_; }
  [[nodiscard]] const HistogramConfig& config() const noexcept { return current_.config(); }

  // Adds one closed interval (from another thread's timeline, same interval and config) into the
  // interval with the same start, creating empty ones before it if needed; recomputes its stats
  // from the merged counters. Refuses a row that does not start on an interval boundary or
  // whose counters do not fit this config.
  [[nodiscard]] Result<void> merge_interval(const IntervalStats& row);
  // Every interval of `other` (same interval length and config, else refused).
  [[nodiscard]] Result<void> merge(const ThroughputTimeline& other);

 private:
  ThroughputTimeline(std::int64_t interval_ns, LatencyHistogram histogram);
  void close_current(std::int64_t length_ns);

  std::int64_t interval_ns_;
  std::int64_t current_start_ = 0;
  std::int64_t current_end_;
  LatencyHistogram current_;
  std::uint64_t current_errors_ = 0;
  std::vector<IntervalStats> closed_;
};

// pgbench's -P line, with p99: "progress: 3.0 s, 1234.5 tps, lat 0.812 ms stddev 0.123, p99 1.950 ms, 0 failed"
// (the time is the interval's end since the run's start).
[[nodiscard]] std::string format_progress_line(const IntervalStats& interval);

}  // namespace pgstream::bench
