// LatencyHistogram: percentiles against a sorted list of the same samples, exact merges, the
// HdrHistogram bucket geometry, and the edges (0, the unit-resolution limit, the range top and
// beyond). Set PGSTREAM_TEST_SEED to replay a randomised run; the seed in use is printed.

#include "pgstream/bench/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <vector>

namespace pgstream::bench {
namespace {

std::uint64_t test_seed() {
  if (const char* s = std::getenv("PGSTREAM_TEST_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

// Log-uniform between 1 us and 10 s, with a few very long tail values: latencies span decades.
std::vector<std::int64_t> random_latencies(std::mt19937_64& rng, std::size_t n) {
  std::uniform_real_distribution<double> exponent(3.0, 10.0);  // 10^3 ns .. 10^10 ns
  std::vector<std::int64_t> out(n);
  for (auto& v : out) v = static_cast<std::int64_t>(std::pow(10.0, exponent(rng)));
  return out;
}

// The sample HdrHistogram's definition picks: the one at rank ceil(p/100 * n), at least 1.
std::int64_t exact_percentile(const std::vector<std::int64_t>& sorted, double p) {
  const double fp = std::nextafter(p, -1.0) * static_cast<double>(sorted.size()) / 100.0;
  const auto rank = std::max<std::size_t>(static_cast<std::size_t>(std::ceil(std::max(fp, 0.0))), 1);
  return sorted[std::min(rank, sorted.size()) - 1];
}

TEST(LatencyHistogram, DefaultGeometryIsHdrLayoutFor1nsTo1hAt3Digits) {
  const LatencyHistogram h;
  EXPECT_EQ(h.sub_bucket_count(), 2048);
  EXPECT_EQ(h.bucket_count(), 32);
  EXPECT_EQ(h.counts().size(), 33u * 1024u);
  EXPECT_LT(h.index_of(h.config().highest_trackable), h.counts().size());
}

TEST(LatencyHistogram, RecordingNeverGrowsTheCountsArray) {
  LatencyHistogram h;
  const auto* before = h.counts().data();
  const auto size = h.counts().size();
  for (std::int64_t v = 1; v < 4'000'000'000'000; v = v * 3 + 1) h.record(v);
  EXPECT_EQ(h.counts().data(), before);
  EXPECT_EQ(h.counts().size(), size);
}

TEST(LatencyHistogram, PercentilesMatchSortedSamplesWithin0_1Percent) {
  const std::uint64_t seed = test_seed();
  std::cout << "PGSTREAM_TEST_SEED=" << seed << "\n";
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> samples = random_latencies(rng, 200'000);
  LatencyHistogram h;
  for (auto v : samples) h.record(v);
  std::sort(samples.begin(), samples.end());

  for (double p : {0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0}) {
    const std::int64_t exact = exact_percentile(samples, p);
    const std::int64_t got = h.value_at_percentile(p);
    SCOPED_TRACE("p" + std::to_string(p) + " exact " + std::to_string(exact) + " got " + std::to_string(got));
    EXPECT_LE(std::abs(static_cast<double>(got - exact)) / static_cast<double>(exact), 0.001);
    // p == 0 reports the bucket's lowest value, every other percentile its highest.
    if (p == 0.0) {
      EXPECT_LE(got, exact);
    } else {
      EXPECT_GE(got, exact);
    }
  }
  EXPECT_EQ(h.count(), samples.size());
  EXPECT_EQ(h.min(), h.lowest_equivalent(samples.front()));
  EXPECT_EQ(h.max(), h.highest_equivalent(samples.back()));
  EXPECT_LE(std::abs(static_cast<double>(h.max() - samples.back())) / static_cast<double>(samples.back()), 0.001);
}

TEST(LatencyHistogram, MeanAndStddevFollowTheSamplesWithinPrecision) {
  const std::uint64_t seed = test_seed();
  std::cout << "PGSTREAM_TEST_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);
  const std::vector<std::int64_t> samples = random_latencies(rng, 50'000);
  LatencyHistogram h;
  double sum = 0;
  for (auto v : samples) {
    h.record(v);
    sum += static_cast<double>(v);
  }
  const double mean = sum / static_cast<double>(samples.size());
  double sq = 0;
  for (auto v : samples) sq += (static_cast<double>(v) - mean) * (static_cast<double>(v) - mean);
  const double stddev = std::sqrt(sq / static_cast<double>(samples.size()));
  EXPECT_NEAR(h.mean(), mean, mean * 0.001);
  EXPECT_NEAR(h.stddev(), stddev, stddev * 0.001);
}

TEST(LatencyHistogram, SmallValuesAreExactSoMeanAndStddevAreExact) {
  LatencyHistogram h;
  h.record(1000);
  h.record(2000);
  EXPECT_DOUBLE_EQ(h.mean(), 1500.0);
  EXPECT_DOUBLE_EQ(h.stddev(), 500.0);
  EXPECT_EQ(h.min(), 1000);
  EXPECT_EQ(h.max(), 2000);
  EXPECT_EQ(h.value_at_percentile(50.0), 1000);
  EXPECT_EQ(h.value_at_percentile(50.0001), 2000);
}

TEST(LatencyHistogram, MergeEqualsOneHistogramOfAllSamplesBucketByBucket) {
  const std::uint64_t seed = test_seed();
  std::cout << "PGSTREAM_TEST_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);
  const std::vector<std::int64_t> a_samples = random_latencies(rng, 30'000);
  const std::vector<std::int64_t> b_samples = random_latencies(rng, 20'000);
  LatencyHistogram a, b, all;
  for (auto v : a_samples) {
    a.record(v);
    all.record(v);
  }
  for (auto v : b_samples) {
    b.record(v);
    all.record(v);
  }
  b.record(5'000'000'000'000);  // one overflow, so the overflow count merges too
  all.record(5'000'000'000'000);
  ASSERT_TRUE(a.merge(b).has_value());
  ASSERT_EQ(a.counts().size(), all.counts().size());
  for (std::size_t i = 0; i < all.counts().size(); ++i) ASSERT_EQ(a.counts()[i], all.counts()[i]) << "index " << i;
  EXPECT_TRUE(a == all);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.overflow_count(), 1u);
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.value_at_percentile(99.9), all.value_at_percentile(99.9));
}

TEST(LatencyHistogram, MergeRefusesDifferentParametersNamingBoth) {
  LatencyHistogram a;
  auto b = LatencyHistogram::create({.lowest_discernible = 1000, .highest_trackable = 3'600'000'000'000,
                                     .significant_digits = 3});
  ASSERT_TRUE(b.has_value());
  b->record(5000);
  auto r = a.merge(*b);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category(), ErrorCategory::config);
  EXPECT_NE(r.error().message().find("lowest 1,"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("lowest 1000,"), std::string::npos) << r.error().message();
  EXPECT_EQ(a.count(), 0u);
}

TEST(LatencyHistogram, CreateRefusesWhatHdrHistogramRefuses) {
  EXPECT_FALSE(LatencyHistogram::create({.lowest_discernible = 0}).has_value());
  EXPECT_FALSE(LatencyHistogram::create({.lowest_discernible = 10, .highest_trackable = 19}).has_value());
  EXPECT_FALSE(LatencyHistogram::create({.significant_digits = 6}).has_value());
  EXPECT_FALSE(LatencyHistogram::create({.significant_digits = -1}).has_value());
  EXPECT_TRUE(LatencyHistogram::create({.lowest_discernible = 10, .highest_trackable = 20}).has_value());
}

TEST(LatencyHistogram, ThreeSignificantDigitsFromOneMicrosecondToOneHour) {
  const LatencyHistogram h;
  // 1000 and 1001 ns are told apart; then every bucket is at most 1/1000 of its values wide.
  EXPECT_NE(h.index_of(1000), h.index_of(1001));
  for (std::int64_t v = 1000; v <= 3'600'000'000'000; v = v + v / 7 + 1) {
    EXPECT_LE(h.equivalent_range(v), std::max<std::int64_t>(1, v / 1000)) << v;
    EXPECT_LE(h.lowest_equivalent(v), v);
    EXPECT_GE(h.highest_equivalent(v), v);
    EXPECT_EQ(h.value_from_index(h.index_of(v)), h.lowest_equivalent(v));
  }
}

TEST(LatencyHistogram, EdgeValues) {
  LatencyHistogram h;
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.stddev(), 0.0);
  EXPECT_EQ(h.value_at_percentile(50), 0);

  h.record(0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.value_at_percentile(100), 0);
  h.record(-5);  // counts as 0
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.counts()[0], 2u);

  h.reset();
  h.record(2047);  // last exact value, then the first value of the second bucket
  h.record(2048);
  EXPECT_EQ(h.index_of(2047) + 1, h.index_of(2048));
  EXPECT_EQ(h.value_at_percentile(50), 2047);
  EXPECT_EQ(h.value_at_percentile(100), 2049);  // the bucket of 2048 holds 2048 and 2049

  h.reset();
  EXPECT_EQ(h.count(), 0u);
  const std::int64_t top = h.config().highest_trackable;
  h.record(top);
  EXPECT_EQ(h.overflow_count(), 0u);
  h.record(top + 1);
  h.record(std::numeric_limits<std::int64_t>::max(), 3);
  EXPECT_EQ(h.overflow_count(), 4u);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.max(), h.highest_equivalent(top));  // clamped
  EXPECT_EQ(h.value_at_percentile(100), h.highest_equivalent(top));
}

TEST(LatencyHistogram, RecordWithCountEqualsRepeatedRecords) {
  LatencyHistogram a, b;
  a.record(123'456, 1000);
  for (int i = 0; i < 1000; ++i) b.record(123'456);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.count(), 1000u);
}

TEST(LatencyHistogram, AddAtIndexRebuildsTheSameHistogram) {
  LatencyHistogram a, b;
  for (std::int64_t v : {0L, 1L, 999L, 5'000L, 77'777'777L, 3'700'000'000'000L}) a.record(v, 2);
  for (const BucketCount& bc : a.nonzero_buckets()) {
    const bool top = bc.index == a.index_of(a.config().highest_trackable);
    ASSERT_TRUE(b.add_at_index(bc.index, bc.count, top ? a.overflow_count() : 0).has_value());
  }
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.min(), b.min());
  EXPECT_EQ(a.max(), b.max());
  EXPECT_FALSE(b.add_at_index(b.counts().size(), 1).has_value());
  EXPECT_FALSE(b.add_at_index(b.index_of(5000), 2, 1).has_value());  // overflow off the top bucket
}

}  // namespace
}  // namespace pgstream::bench
