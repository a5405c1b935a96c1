#include "pgstream/bench/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pgstream::bench {

std::string to_string(const HistogramConfig& config) {
  return "lowest " + std::to_string(config.lowest_discernible) + ", highest " +
         std::to_string(config.highest_trackable) + ", " + std::to_string(config.significant_digits) +
         " significant digits";
}

LatencyHistogram::LatencyHistogram() : LatencyHistogram(HistogramConfig{}) {}

Result<LatencyHistogram> LatencyHistogram::create(const HistogramConfig& config) {
  if (config.lowest_discernible < 1) {
    return make_error(ErrorCategory::config, "histogram: lowest discernible value must be >= 1");
  }
  if (config.highest_trackable / 2 < config.lowest_discernible) {
    return make_error(ErrorCategory::config, "histogram: highest trackable value must be >= 2 * lowest");
  }
  if (config.significant_digits < 0 || config.significant_digits > 5) {
    return make_error(ErrorCategory::config, "histogram: significant digits must be between 0 and 5");
  }
  return LatencyHistogram(config);
}

LatencyHistogram::LatencyHistogram(const HistogramConfig& config)
    : config_(config), highest_trackable_(config.highest_trackable) {
  std::int64_t largest_single_unit = 2;
  for (int i = 0; i < config.significant_digits; ++i) largest_single_unit *= 10;
  // ceil(log2(largest_single_unit)): sub-buckets give unit resolution up to at least that value.
  const int sub_bucket_count_magnitude = std::bit_width(static_cast<std::uint64_t>(largest_single_unit - 1));
  sub_bucket_half_count_magnitude_ = std::max(sub_bucket_count_magnitude, 1) - 1;
  sub_bucket_count_ = 1 << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  unit_magnitude_ = 63 - std::countl_zero(static_cast<std::uint64_t>(config.lowest_discernible));
  sub_bucket_mask_ = static_cast<std::uint64_t>(sub_bucket_count_ - 1) << unit_magnitude_;
  leading_zero_count_base_ = 64 - unit_magnitude_ - sub_bucket_half_count_magnitude_ - 1;

  std::int64_t smallest_untrackable = static_cast<std::int64_t>(sub_bucket_count_) << unit_magnitude_;
  int buckets = 1;
  while (smallest_untrackable <= highest_trackable_) {
    if (smallest_untrackable > std::numeric_limits<std::int64_t>::max() / 2) {
      ++buckets;
      break;
    }
    smallest_untrackable <<= 1;
    ++buckets;
  }
  bucket_count_ = buckets;
  counts_.assign(static_cast<std::size_t>(bucket_count_ + 1) * static_cast<std::size_t>(sub_bucket_half_count_), 0);
}

Result<void> LatencyHistogram::merge(const LatencyHistogram& other) {
  if (!(other.config_ == config_)) {
    return make_error(ErrorCategory::config, "cannot merge histograms with different parameters: (" +
                                                 to_string(config_) + ") and (" + to_string(other.config_) + ")");
  }
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_count_ += other.total_count_;
  overflow_count_ += other.overflow_count_;
  min_value_ = std::min(min_value_, other.min_value_);
  max_value_ = std::max(max_value_, other.max_value_);
  return {};
}

Result<void> LatencyHistogram::add_at_index(std::size_t index, std::uint64_t count, std::uint64_t overflow_part) {
  if (index >= counts_.size()) {
    return make_error(ErrorCategory::decode, "histogram: bucket index " + std::to_string(index) +
                                                 " is outside this histogram (" + std::to_string(counts_.size()) +
                                                 " counters)");
  }
  const std::int64_t value = value_from_index(index);
  if (value > highest_trackable_ && lowest_equivalent(value) != lowest_equivalent(highest_trackable_)) {
    return make_error(ErrorCategory::decode, "histogram: bucket index " + std::to_string(index) +
                                                 " is above the highest trackable value");
  }
  if (overflow_part > count || (overflow_part > 0 && index != index_of(highest_trackable_))) {
    return make_error(ErrorCategory::decode, "histogram: overflow counted outside the top bucket");
  }
  if (count == 0) return {};
  counts_[index] += count;
  total_count_ += count;
  overflow_count_ += overflow_part;
  min_value_ = std::min(min_value_, value);
  max_value_ = std::max(max_value_, std::min(value, highest_trackable_));
  return {};
}

void LatencyHistogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = 0;
  overflow_count_ = 0;
  min_value_ = std::numeric_limits<std::int64_t>::max();
  max_value_ = -1;
}

std::int64_t LatencyHistogram::min() const noexcept {
  return total_count_ == 0 ? 0 : lowest_equivalent(min_value_);
}

std::int64_t LatencyHistogram::max() const noexcept {
  return (total_count_ == 0 || max_value_ == 0) ? 0 : highest_equivalent(max_value_);
}

double LatencyHistogram::mean() const noexcept {
  if (total_count_ == 0) return 0.0;
  double total = 0.0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    total += static_cast<double>(median_equivalent(value_from_index(i))) * static_cast<double>(counts_[i]);
  }
  return total / static_cast<double>(total_count_);
}

double LatencyHistogram::stddev() const noexcept {
  if (total_count_ == 0) return 0.0;
  const double m = mean();
  double total = 0.0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const double deviation = static_cast<double>(median_equivalent(value_from_index(i))) - m;
    total += deviation * deviation * static_cast<double>(counts_[i]);
  }
  return std::sqrt(total / static_cast<double>(total_count_));
}

std::int64_t LatencyHistogram::value_at_percentile(double percentile) const noexcept {
  if (total_count_ == 0) return 0;
  // One ulp below the request, so a count that is an exact product does not round up into the
  // next bucket (HdrHistogram does the same).
  const double requested =
      std::clamp(std::nextafter(percentile, -std::numeric_limits<double>::infinity()), 0.0, 100.0);
  const double fp_count = requested * static_cast<double>(total_count_) / 100.0;
  const auto target = std::max<std::uint64_t>(static_cast<std::uint64_t>(std::ceil(fp_count)), 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    running += counts_[i];
    if (running >= target) {
      const std::int64_t v = value_from_index(i);
      return percentile == 0.0 ? lowest_equivalent(v) : highest_equivalent(v);
    }
  }
  return 0;
}

std::int64_t LatencyHistogram::value_from_index(std::size_t index) const noexcept {
  auto bucket = static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1;
  auto sub = static_cast<std::int64_t>(index & static_cast<std::size_t>(sub_bucket_half_count_ - 1)) +
             sub_bucket_half_count_;
  if (bucket < 0) {
    sub -= sub_bucket_half_count_;
    bucket = 0;
  }
  return sub << (bucket + unit_magnitude_);
}

std::int64_t LatencyHistogram::lowest_equivalent(std::int64_t value) const noexcept {
  const auto v = static_cast<std::uint64_t>(value);
  const int bucket = leading_zero_count_base_ - std::countl_zero(v | sub_bucket_mask_);
  const auto sub = static_cast<std::int64_t>(v >> (bucket + unit_magnitude_));
  return sub << (bucket + unit_magnitude_);
}

std::int64_t LatencyHistogram::equivalent_range(std::int64_t value) const noexcept {
  const auto v = static_cast<std::uint64_t>(value);
  const int bucket = leading_zero_count_base_ - std::countl_zero(v | sub_bucket_mask_);
  const auto sub = static_cast<std::int64_t>(v >> (bucket + unit_magnitude_));
  const int adjusted = sub >= sub_bucket_count_ ? bucket + 1 : bucket;
  return std::int64_t{1} << (unit_magnitude_ + adjusted);
}

std::int64_t LatencyHistogram::highest_equivalent(std::int64_t value) const noexcept {
  return lowest_equivalent(value) + equivalent_range(value) - 1;
}

std::int64_t LatencyHistogram::median_equivalent(std::int64_t value) const noexcept {
  return lowest_equivalent(value) + (equivalent_range(value) >> 1);
}

std::vector<BucketCount> LatencyHistogram::nonzero_buckets() const {
  std::vector<BucketCount> out;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) out.push_back({static_cast<std::uint32_t>(i), counts_[i]});
  }
  return out;
}

bool operator==(const LatencyHistogram& a, const LatencyHistogram& b) {
  return a.config_ == b.config_ && a.total_count_ == b.total_count_ && a.overflow_count_ == b.overflow_count_ &&
         a.counts_ == b.counts_;
}

}  // namespace pgstream::bench
