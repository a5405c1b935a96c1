#pragma once
// HdrHistogram's "percentile distribution" text (.hgrm), as outputPercentileDistribution writes
// it, so HdrHistogram's plotter (and every tool that reads .hgrm) can read our runs:
//
//          Value     Percentile TotalCount 1/(1-Percentile)
//
//          0.012 0.000000000000          1           1.00
//          ...                                               rows at "ticks per half distance"
//          9.999 1.000000000000      10000                   the 100% row has no last column
//   #[Mean    =        5.000, StdDeviation   =        2.887]
//   #[Max     =        9.999, Total count    =        10000]
//   #[Buckets =           32, SubBuckets     =         2048]
//
// Values are divided by `value_unit_scaling` (the histogram records ns; 1e6 prints milliseconds,
// which the HdrHistogram plotter expects) and printed with as many decimals as the histogram has
// significant digits. Numbers are formatted with C rounding (round-half-even on the binary
// value); Java's Formatter rounds the decimal expansion half-up, so a value that falls exactly on
// a half of the last printed decimal may differ by one in that decimal.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/bench/histogram.hpp"
#include "pgstream/result.hpp"

namespace pgstream::bench {

struct HgrmOptions {
  double value_unit_scaling = 1e6;  // ns -> ms
  int percentile_ticks_per_half_distance = 5;
};

[[nodiscard]] std::string to_hgrm(const LatencyHistogram& histogram, const HgrmOptions& options = {});

struct HgrmRow {
  double value = 0;            // in the file's unit (already scaled)
  double percentile = 0;       // 0..1, as printed (the iteration level, not the exact cumulative share)
  std::uint64_t total_count = 0;
  std::optional<double> inverse;  // 1/(1-percentile); absent on the 100% row

  friend bool operator==(const HgrmRow&, const HgrmRow&) = default;
};

struct HgrmDistribution {
  std::vector<HgrmRow> rows;
  double mean = 0;
  double stddev = 0;
  double max = 0;
  std::uint64_t total_count = 0;
  int buckets = 0;
  int sub_buckets = 0;

  // The value of the first row at or above `percent` (0..100): exact at the rows' levels, an
  // upper bound between two rows. 0 when there are no rows.
  [[nodiscard]] double value_at_percentile(double percent) const noexcept;
};

// Reads what to_hgrm (or HdrHistogram) wrote. Refuses malformed rows and footers with the line
// number (ErrorCategory::decode); footers are optional (HdrHistogram's CSV variant is not read).
[[nodiscard]] Result<HgrmDistribution> parse_hgrm(std::string_view text);

}  // namespace pgstream::bench
