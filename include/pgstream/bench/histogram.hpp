#pragma once
// LatencyHistogram: an HDR-style log-bucketed histogram of durations in NANOSECONDS.
//
// Nanoseconds because that is what the clocks give (no division on the hot path) and because it
// is the only integer unit in which "3 significant digits from 1 microsecond" holds: 1 us is 1000
// units, recorded exactly, and every larger value lands in a bucket no wider than 1/1024 of it.
// (In microseconds, 1.4 us and 1.0 us would share a bucket.) The default range is 1 ns .. 1 hour
// with 3 significant digits: 32 buckets of 1024 half sub-buckets = 33,792 counters (264 KiB),
// allocated once by the constructor and never again.
//
// The bucket layout is HdrHistogram's (unit magnitude, power-of-two sub-bucket count, counts
// index = (bucket + 1) * half + sub - half), so percentiles, mean, stddev, .hgrm output and the
// bucket counts mean the same thing as they do there.
//
// Values above highest_trackable are clamped to it and counted in overflow_count(): they stay in
// the totals and the percentiles (a run that stalled past the range must not look faster), and
// max() then reports the clamped maximum. Negative values (a clock read out of order) count as 0.
//
// Not thread-safe: one histogram per reactor thread, merged at the end (merge() is exact).

#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pgstream/result.hpp"

namespace pgstream::bench {

struct HistogramConfig {
  std::int64_t lowest_discernible = 1;                   // ns; internally rounded down to a power of 2
  std::int64_t highest_trackable = 3'600'000'000'000;    // ns (1 hour)
  int significant_digits = 3;                            // 0..5

  friend bool operator==(const HistogramConfig&, const HistogramConfig&) = default;
};

// "lowest 1, highest 3600000000000, 3 significant digits": for error messages.
[[nodiscard]] std::string to_string(const HistogramConfig& config);

// One non-zero counter, as the sparse encodings (JSON, timeline intervals) carry them.
struct BucketCount {
  std::uint32_t index = 0;  // counts-array index (meaningful only with the same HistogramConfig)
  std::uint64_t count = 0;

  friend bool operator==(const BucketCount&, const BucketCount&) = default;
};

class LatencyHistogram {
 public:
  // The default configuration (1 ns .. 1 h, 3 digits); cannot fail.
  LatencyHistogram();
  // Any other configuration; fails (ErrorCategory::config) on values HdrHistogram also refuses:
  // lowest < 1, highest < 2 * lowest, digits outside 0..5.
  [[nodiscard]] static Result<LatencyHistogram> create(const HistogramConfig& config);

  // Hot path: O(1), no allocation, no branch on the rare cases beyond two compares.
  void record(std::int64_t value) noexcept { record(value, 1); }
  void record(std::int64_t value, std::uint64_t count) noexcept {
    if (value < 0) [[unlikely]] value = 0;
    if (value > highest_trackable_) [[unlikely]] {
      value = highest_trackable_;
      overflow_count_ += count;
    }
    counts_[index_of(value)] += count;
    total_count_ += count;
    if (value < min_value_) min_value_ = value;
    if (value > max_value_) max_value_ = value;
  }

  // Adds other's counts bucket by bucket (exact). Refused when the configurations differ, with a
  // message naming both.
  [[nodiscard]] Result<void> merge(const LatencyHistogram& other);
  // Adds `count` to one counter by index (for decoders); refuses an index out of range. Of those,
  // `overflow_part` were values above the range (only valid on the top bucket, index_of(highest)).
  [[nodiscard]] Result<void> add_at_index(std::size_t index, std::uint64_t count, std::uint64_t overflow_part = 0);
  void reset() noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return total_count_; }
  [[nodiscard]] std::uint64_t overflow_count() const noexcept { return overflow_count_; }
  [[nodiscard]] bool empty() const noexcept { return total_count_ == 0; }
  // Lowest equivalent value of the smallest recorded value (0 when empty).
  [[nodiscard]] std::int64_t min() const noexcept;
  // Highest equivalent value of the largest recorded value (0 when empty); clamped to the range.
  [[nodiscard]] std::int64_t max() const noexcept;
  // Computed from the buckets' median equivalent values, as HdrHistogram does (0 when empty).
  [[nodiscard]] double mean() const noexcept;
  [[nodiscard]] double stddev() const noexcept;
  // HdrHistogram's getValueAtPercentile: percentile in 0..100; the highest equivalent value of the
  // bucket where the cumulative count first reaches ceil(p/100 * count) (at least 1); for p == 0
  // the lowest equivalent value. 0 when empty.
  [[nodiscard]] std::int64_t value_at_percentile(double percentile) const noexcept;

  // ---- geometry, for encoders and reports ----
  [[nodiscard]] const HistogramConfig& config() const noexcept { return config_; }
  [[nodiscard]] int bucket_count() const noexcept { return bucket_count_; }
  [[nodiscard]] int sub_bucket_count() const noexcept { return sub_bucket_count_; }
  [[nodiscard]] std::span<const std::uint64_t> counts() const noexcept { return counts_; }
  [[nodiscard]] std::size_t index_of(std::int64_t value) const noexcept {
    const auto v = static_cast<std::uint64_t>(value);
    const int bucket = leading_zero_count_base_ - std::countl_zero(v | sub_bucket_mask_);
    const auto sub = static_cast<std::int64_t>(v >> (bucket + unit_magnitude_));
    return static_cast<std::size_t>((static_cast<std::int64_t>(bucket + 1) << sub_bucket_half_count_magnitude_) +
                                    (sub - sub_bucket_half_count_));
  }
  // The lowest value that lands at `index`.
  [[nodiscard]] std::int64_t value_from_index(std::size_t index) const noexcept;
  [[nodiscard]] std::int64_t lowest_equivalent(std::int64_t value) const noexcept;
  [[nodiscard]] std::int64_t highest_equivalent(std::int64_t value) const noexcept;
  [[nodiscard]] std::int64_t median_equivalent(std::int64_t value) const noexcept;
  [[nodiscard]] std::int64_t equivalent_range(std::int64_t value) const noexcept;

  // The non-zero counters in index order (allocates: for reports and encoders, not the hot path).
  [[nodiscard]] std::vector<BucketCount> nonzero_buckets() const;

  // Same configuration, same counters, same overflow count.
  friend bool operator==(const LatencyHistogram& a, const LatencyHistogram& b);

 private:
  explicit LatencyHistogram(const HistogramConfig& config);  // config already validated

  HistogramConfig config_;
  std::int64_t highest_trackable_ = 0;
  int unit_magnitude_ = 0;
  int sub_bucket_half_count_magnitude_ = 0;
  std::int64_t sub_bucket_half_count_ = 0;
  int sub_bucket_count_ = 0;
  std::uint64_t sub_bucket_mask_ = 0;
  int leading_zero_count_base_ = 0;
  int bucket_count_ = 0;
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_count_ = 0;
  std::uint64_t overflow_count_ = 0;
  std::int64_t min_value_ = INT64_MAX;  // raw extremes; reported through the bucket equivalents
  std::int64_t max_value_ = -1;
};

}  // namespace pgstream::bench
