#include "pgstream/bench/timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace pgstream::bench {

namespace {

void summarise(IntervalStats& row, const LatencyHistogram& h) {
  row.completed = h.count();
  if (h.empty()) {
    row.min_ns = row.p50_ns = row.p90_ns = row.p99_ns = row.max_ns = 0;
    row.mean_ns = row.stddev_ns = 0;
    row.buckets.clear();
    return;
  }
  row.min_ns = h.min();
  row.p50_ns = h.value_at_percentile(50.0);
  row.p90_ns = h.value_at_percentile(90.0);
  row.p99_ns = h.value_at_percentile(99.0);
  row.max_ns = h.max();
  row.mean_ns = h.mean();
  row.stddev_ns = h.stddev();
  row.buckets = h.nonzero_buckets();
}

}  // namespace

HistogramConfig default_interval_config() noexcept {
  return HistogramConfig{.lowest_discernible = 1, .highest_trackable = 3'600'000'000'000, .significant_digits = 2};
}

Result<ThroughputTimeline> ThroughputTimeline::create(std::int64_t interval_ns, const HistogramConfig& config) {
  if (interval_ns <= 0) return make_error(ErrorCategory::config, "timeline: the interval must be > 0 ns");
  auto h = LatencyHistogram::create(config);
  if (!h) return std::unexpected(h.error());
  return ThroughputTimeline(interval_ns, std::move(*h));
}

ThroughputTimeline::ThroughputTimeline()
    : ThroughputTimeline(1'000'000'000, *LatencyHistogram::create(default_interval_config())) {}

ThroughputTimeline::ThroughputTimeline(std::int64_t interval_ns, LatencyHistogram histogram)
    : interval_ns_(interval_ns), current_end_(interval_ns), current_(std::move(histogram)) {}

void ThroughputTimeline::close_current(std::int64_t length_ns) {
  IntervalStats row;
  row.start_ns = current_start_;
  row.length_ns = length_ns;
  row.errors = current_errors_;
  summarise(row, current_);
  closed_.push_back(std::move(row));
  if (!current_.empty()) current_.reset();
  current_errors_ = 0;
  current_start_ += interval_ns_;
  current_end_ = current_start_ + interval_ns_;
}

std::size_t ThroughputTimeline::advance(std::int64_t now_ns) {
  std::size_t closed = 0;
  while (now_ns >= current_end_) {
    close_current(interval_ns_);
    ++closed;
  }
  return closed;
}

void ThroughputTimeline::finish(std::int64_t end_ns) {
  advance(end_ns);
  const std::int64_t length = end_ns - current_start_;
  if (length > 0 || !current_.empty() || current_errors_ > 0) close_current(std::max<std::int64_t>(length, 0));
}

Result<void> ThroughputTimeline::merge_interval(const IntervalStats& row) {
  if (row.start_ns < 0 || row.start_ns % interval_ns_ != 0) {
    return make_error(ErrorCategory::config, "timeline: an interval starting at " + std::to_string(row.start_ns) +
                                                 " ns is not on this timeline's " + std::to_string(interval_ns_) +
                                                 " ns boundaries");
  }
  const auto index = static_cast<std::size_t>(row.start_ns / interval_ns_);
  // Rebuild the target's counters, add the row's, and summarise again: exact, p99 included.
  auto scratch = LatencyHistogram::create(config());
  if (!scratch) return std::unexpected(scratch.error());
  for (const BucketCount& b : row.buckets) {
    if (auto r = scratch->add_at_index(b.index, b.count); !r) return r;
  }
  if (index < closed_.size()) {
    for (const BucketCount& b : closed_[index].buckets) {
      if (auto r = scratch->add_at_index(b.index, b.count); !r) return r;
    }
  }
  while (closed_.size() <= index) {
    IntervalStats empty;
    empty.start_ns = static_cast<std::int64_t>(closed_.size()) * interval_ns_;
    empty.length_ns = interval_ns_;
    closed_.push_back(std::move(empty));
  }
  IntervalStats& target = closed_[index];
  target.errors += row.errors;
  target.length_ns = std::max(target.length_ns, row.length_ns);
  summarise(target, *scratch);
  // Keep the live interval after everything closed here.
  if (closed_.size() > static_cast<std::size_t>(current_start_ / interval_ns_)) {
    current_start_ = static_cast<std::int64_t>(closed_.size()) * interval_ns_;
    current_end_ = current_start_ + interval_ns_;
  }
  return {};
}

Result<void> ThroughputTimeline::merge(const ThroughputTimeline& other) {
  if (other.interval_ns_ != interval_ns_ || !(other.config() == config())) {
    return make_error(ErrorCategory::config,
                      "cannot merge timelines with different intervals or histogram parameters: " +
                          std::to_string(interval_ns_) + " ns (" + to_string(config()) + ") and " +
                          std::to_string(other.interval_ns_) + " ns (" + to_string(other.config()) + ")");
  }
  for (const IntervalStats& row : other.closed_) {
    if (auto r = merge_interval(row); !r) return r;
  }
  return {};
}

std::string format_progress_line(const IntervalStats& interval) {
  return fmt::format("progress: {:.1f} s, {:.1f} tps, lat {:.3f} ms stddev {:.3f}, p99 {:.3f} ms, {} failed",
                     static_cast<double>(interval.start_ns + interval.length_ns) / 1e9, interval.tps(),
                     interval.mean_ns / 1e6, interval.stddev_ns / 1e6, static_cast<double>(interval.p99_ns) / 1e6,
                     interval.errors);
}

}  // namespace pgstream::bench
