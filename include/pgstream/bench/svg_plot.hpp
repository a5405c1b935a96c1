#pragma once
// A self-contained SVG report (no scripts, external fonts, stylesheets or links; generic font
// families only), two panels:
//  1. latency by percentile, one line per histogram, on a "nines" x axis (0, 90, 99, 99.9,
//     99.99, 99.999 %: x = -log10(1 - p)), latency in ms on a log (default) or linear y axis;
//  2. throughput (tx/s, left axis) and p99 (ms, right axis) over time, from a timeline
//     (omitted when the timeline is empty).
// Each line is a <polyline> with a data-series attribute (the series name, or "throughput" and
// "p99"), so tests and scripts can find them. All text is XML-escaped.

#include <span>
#include <string>

#include "pgstream/bench/histogram.hpp"
#include "pgstream/bench/timeline.hpp"

namespace pgstream::bench {

struct LatencySeries {
  std::string name;                               // e.g. "latency from intended start", "service time"
  const LatencyHistogram* histogram = nullptr;    // not owned; empty or null series are skipped
};

struct SvgPlotOptions {
  std::string title = "pgstream bench";
  bool log_latency_axis = true;
  int width = 960;
};

[[nodiscard]] std::string write_latency_svg(std::span<const LatencySeries> series,
                                            std::span<const IntervalStats> timeline,
                                            const SvgPlotOptions& options = {});

}  // namespace pgstream::bench
