// LatencyHistogram::record() on the hot path: one per completed transaction. Values are
// precomputed log-uniform latencies (1 us .. 1 s) so the bench measures bucket indexing and the
// counter update, not a random number generator; the 64 Ki values cycle through L1/L2 like a
// real run's spread of buckets. Also ThroughputTimeline::record() (the same plus an interval
// check) and, for scale, merge() and value_at_percentile() that run once per report.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "pgstream/bench/histogram.hpp"
#include "pgstream/bench/timeline.hpp"

namespace {

using pgstream::bench::LatencyHistogram;
using pgstream::bench::ThroughputTimeline;

std::vector<std::int64_t> latencies() {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(3.0, 9.0);
  std::vector<std::int64_t> out(1 << 16);
  for (auto& v : out) v = static_cast<std::int64_t>(std::pow(10.0, exponent(rng)));
  return out;
}

void BM_HistogramRecord(benchmark::State& state) {
  const std::vector<std::int64_t> values = latencies();
  LatencyHistogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i]);
    i = (i + 1) & (values.size() - 1);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramRecordSameValue(benchmark::State& state) {
  LatencyHistogram h;
  std::int64_t v = 1'234'567;
  for (auto _ : state) {
    benchmark::DoNotOptimize(v);
    h.record(v);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecordSameValue);

void BM_TimelineRecord(benchmark::State& state) {
  const std::vector<std::int64_t> values = latencies();
  ThroughputTimeline t;
  std::size_t i = 0;
  std::int64_t now = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.record(now, values[i]));
    i = (i + 1) & (values.size() - 1);
    now += 10'000;  // 100k tx/s: an interval closes every 100k records
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimelineRecord);

void BM_HistogramMerge(benchmark::State& state) {
  const std::vector<std::int64_t> values = latencies();
  LatencyHistogram a, b;
  for (auto v : values) b.record(v);
  for (auto _ : state) benchmark::DoNotOptimize(a.merge(b).has_value());
}
BENCHMARK(BM_HistogramMerge);

void BM_HistogramValueAtPercentile(benchmark::State& state) {
  const std::vector<std::int64_t> values = latencies();
  LatencyHistogram h;
  for (auto v : values) h.record(v);
  for (auto _ : state) benchmark::DoNotOptimize(h.value_at_percentile(99.9));
}
BENCHMARK(BM_HistogramValueAtPercentile);

}  // namespace
