// ThroughputTimeline: events land in the right interval, gaps show as empty intervals, the
// partial last interval has its real length, per-interval p99 follows the interval's samples,
// and timelines of two threads merge into exactly the timeline of all events.

#include "pgstream/bench/timeline.hpp"

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

constexpr std::int64_t kSecond = 1'000'000'000;

std::uint64_t test_seed() {
  if (const char* s = std::getenv("PGSTREAM_TEST_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

TEST(Timeline, EventsLandInTheirIntervalAndGapsAreEmptyIntervals) {
  ThroughputTimeline t;
  EXPECT_EQ(t.record(100, 1'000'000), 0u);
  EXPECT_EQ(t.record(kSecond - 1, 2'000'000), 0u);
  EXPECT_EQ(t.record_error(kSecond - 1), 0u);
  EXPECT_EQ(t.record(kSecond, 3'000'000), 1u);         // closes [0, 1 s)
  EXPECT_EQ(t.record(4 * kSecond + 5, 4'000'000), 3u);  // closes [1, 2), [2, 3), [3, 4)
  EXPECT_EQ(t.advance(4 * kSecond + 10), 0u);
  t.finish(4 * kSecond + kSecond / 2);

  const auto& iv = t.intervals();
  ASSERT_EQ(iv.size(), 5u);
  EXPECT_EQ(iv[0].start_ns, 0);
  EXPECT_EQ(iv[0].completed, 2u);
  EXPECT_EQ(iv[0].errors, 1u);
  // 2 significant digits: 256 sub-buckets, so 2 ms sits in a bucket 2^13 ns wide: [1998848, 2007039].
  EXPECT_EQ(iv[0].max_ns, 1'998'848 + 8'192 - 1);
  EXPECT_DOUBLE_EQ(iv[0].tps(), 2.0);
  EXPECT_EQ(iv[1].completed, 1u);
  EXPECT_EQ(iv[2].completed, 0u);
  EXPECT_EQ(iv[2].p99_ns, 0);
  EXPECT_TRUE(iv[2].buckets.empty());
  EXPECT_EQ(iv[3].completed, 0u);
  EXPECT_EQ(iv[4].start_ns, 4 * kSecond);
  EXPECT_EQ(iv[4].length_ns, kSecond / 2);
  EXPECT_EQ(iv[4].completed, 1u);
  EXPECT_DOUBLE_EQ(iv[4].tps(), 2.0);
}

TEST(Timeline, IntervalP99FollowsTheIntervalsSamples) {
  const std::uint64_t seed = test_seed();
  std::cout << "PGSTREAM_TEST_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> latency(std::log(1e6), 0.8);  // around 1 ms
  ThroughputTimeline t;
  std::vector<std::vector<std::int64_t>> per_second(3);
  for (int s = 0; s < 3; ++s) {
    for (int i = 0; i < 5000; ++i) {
      const auto v = static_cast<std::int64_t>(latency(rng)) * (s + 1);  // each second slower
      per_second[s].push_back(v);
      (void)t.record(s * kSecond + i * (kSecond / 5000), v);
    }
  }
  t.finish(3 * kSecond);
  ASSERT_EQ(t.intervals().size(), 3u);
  for (int s = 0; s < 3; ++s) {
    auto& v = per_second[s];
    std::sort(v.begin(), v.end());
    const double exact = static_cast<double>(v[static_cast<std::size_t>(std::ceil(0.99 * 5000)) - 1]);
    const auto& row = t.intervals()[s];
    EXPECT_EQ(row.completed, 5000u);
    EXPECT_NEAR(static_cast<double>(row.p99_ns), exact, exact * 0.01) << "second " << s;
    EXPECT_GE(static_cast<double>(row.p99_ns), exact);
  }
  EXPECT_LT(t.intervals()[0].p99_ns, t.intervals()[2].p99_ns);
}

TEST(Timeline, TwoThreadsMergeIntoTheTimelineOfAllEvents) {
  const std::uint64_t seed = test_seed();
  std::cout << "PGSTREAM_TEST_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> when(0, 5 * kSecond - 1);
  std::uniform_real_distribution<double> exponent(4.0, 8.0);
  struct Event {
    std::int64_t at;
    std::int64_t latency;  // < 0: an error
  };
  std::vector<Event> a_events, b_events, all;
  for (int i = 0; i < 20'000; ++i) {
    const Event e{when(rng), i % 97 == 0 ? -1 : static_cast<std::int64_t>(std::pow(10.0, exponent(rng)))};
    (i % 2 ? a_events : b_events).push_back(e);
    all.push_back(e);
  }
  auto by_time = [](const Event& x, const Event& y) { return x.at < y.at; };
  std::sort(a_events.begin(), a_events.end(), by_time);
  std::sort(b_events.begin(), b_events.end(), by_time);
  std::sort(all.begin(), all.end(), by_time);
  auto feed = [](ThroughputTimeline& t, const std::vector<Event>& events, std::int64_t end) {
    for (const Event& e : events) {
      if (e.latency < 0) {
        (void)t.record_error(e.at);
      } else {
        (void)t.record(e.at, e.latency);
      }
    }
    t.finish(end);
  };
  ThroughputTimeline a, b, one;
  feed(a, a_events, 5 * kSecond);
  feed(b, b_events, 4 * kSecond + 1);  // a thread that stopped earlier
  feed(one, all, 5 * kSecond);
  ASSERT_TRUE(a.merge(b).has_value());
  ASSERT_EQ(a.intervals().size(), one.intervals().size());
  for (std::size_t i = 0; i < one.intervals().size(); ++i) {
    const auto& m = a.intervals()[i];
    const auto& o = one.intervals()[i];
    EXPECT_EQ(m.start_ns, o.start_ns);
    EXPECT_EQ(m.length_ns, o.length_ns);
    EXPECT_EQ(m.completed, o.completed);
    EXPECT_EQ(m.errors, o.errors);
    EXPECT_EQ(m.p99_ns, o.p99_ns);
    EXPECT_EQ(m.max_ns, o.max_ns);
    EXPECT_EQ(m.buckets, o.buckets);
  }
}

TEST(Timeline, MergeRefusesAnotherIntervalLength) {
  ThroughputTimeline a;
  auto b = ThroughputTimeline::create(kSecond / 2);
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(a.merge(*b).has_value());
  EXPECT_FALSE(ThroughputTimeline::create(0).has_value());
  IntervalStats off_boundary;
  off_boundary.start_ns = kSecond / 3;
  EXPECT_FALSE(a.merge_interval(off_boundary).has_value());
}

TEST(Timeline, ProgressLineLooksLikePgbenchWithP99) {
  IntervalStats row;
  row.start_ns = 2 * kSecond;
  row.length_ns = kSecond;
  row.completed = 1234;
  row.errors = 2;
  row.mean_ns = 812'345;
  row.stddev_ns = 123'456;
  row.p99_ns = 1'950'000;
  EXPECT_EQ(format_progress_line(row), "progress: 3.0 s, 1234.0 tps, lat 0.812 ms stddev 0.123, p99 1.950 ms, 2 failed");
}

}  // namespace
}  // namespace pgstream::bench
