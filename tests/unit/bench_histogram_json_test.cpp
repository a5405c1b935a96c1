// Histogram JSON: round trip, the exact merge of two deserialised runs, and the refusals
// (other parameters, inconsistent or malformed documents). PGSTREAM_TEST_SEED replays a run.

#include "pgstream/bench/histogram_json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace pgstream::bench {
namespace {

std::uint64_t test_seed() {
  if (const char* s = std::getenv("PGSTREAM_TEST_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

TEST(LatencyHistogramJson, RoundTripGivesTheSameHistogram) {
  LatencyHistogram h;
  for (std::int64_t v : {0L, 1L, 1000L, 1001L, 123'456L, 9'999'999L, 4'000'000'000'000L}) h.record(v, 3);
  const std::string json = to_json(h);
  auto back = from_json(json);
  ASSERT_TRUE(back.has_value()) << back.error().message() << "\n" << json;
  EXPECT_TRUE(*back == h);
  EXPECT_EQ(back->overflow_count(), 3u);
  EXPECT_EQ(back->min(), h.min());
  EXPECT_EQ(back->max(), h.max());
  EXPECT_EQ(back->value_at_percentile(50), h.value_at_percentile(50));
}

TEST(LatencyHistogramJson, EncodesOnlyNonZeroBucketsWithTheParameters) {
  LatencyHistogram h;
  h.record(1000, 2);
  h.record(5000);
  EXPECT_EQ(to_json(h),
            "{\"format\":\"pgstream-histogram\",\"version\":1,\"unit\":\"ns\",\"lowest_discernible\":1,"
            "\"highest_trackable\":3600000000000,\"significant_digits\":3,\"total_count\":3,\"overflow_count\":0,"
            "\"buckets\":[[1000,2],[" +
                std::to_string(h.index_of(5000)) + ",1]]}");
}

TEST(LatencyHistogramJson, MergeOfTwoDeserialisedRunsEqualsOneHistogramOfAllSamples) {
  const std::uint64_t seed = test_seed();
  std::cout << "PGSTREAM_TEST_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> exponent(3.0, 9.5);
  LatencyHistogram run_a, run_b, all;
  for (int i = 0; i < 40'000; ++i) {
    const auto v = static_cast<std::int64_t>(std::pow(10.0, exponent(rng)));
    (i % 3 == 0 ? run_a : run_b).record(v);
    all.record(v);
  }
  auto a = from_json(to_json(run_a), HistogramConfig{});
  auto b = from_json(to_json(run_b), HistogramConfig{});
  ASSERT_TRUE(a.has_value()) << a.error().message();
  ASSERT_TRUE(b.has_value()) << b.error().message();
  ASSERT_TRUE(a->merge(*b).has_value());
  for (std::size_t i = 0; i < all.counts().size(); ++i) ASSERT_EQ(a->counts()[i], all.counts()[i]) << "index " << i;
  EXPECT_TRUE(*a == all);
  EXPECT_EQ(a->value_at_percentile(99.99), all.value_at_percentile(99.99));
}

TEST(LatencyHistogramJson, OtherParametersAreRefusedWithBothNamed) {
  auto coarse = LatencyHistogram::create({.lowest_discernible = 1000, .highest_trackable = 60'000'000'000,
                                          .significant_digits = 2});
  ASSERT_TRUE(coarse.has_value());
  coarse->record(5'000'000);
  const std::string json = to_json(*coarse);
  auto plain = from_json(json);  // valid on its own
  ASSERT_TRUE(plain.has_value()) << plain.error().message();
  EXPECT_TRUE(*plain == *coarse);
  auto refused = from_json(json, HistogramConfig{});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().category(), ErrorCategory::config);
  const std::string& msg = refused.error().message();
  EXPECT_NE(msg.find("lowest 1000, highest 60000000000, 2 significant digits"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lowest 1, highest 3600000000000, 3 significant digits"), std::string::npos) << msg;
  // And merging the two histograms directly is refused the same way.
  LatencyHistogram fine;
  EXPECT_FALSE(fine.merge(*plain).has_value());
}

std::string doc(std::string_view buckets, std::uint64_t total, std::uint64_t overflow = 0,
                std::string_view extra = "") {
  return "{\"format\":\"pgstream-histogram\",\"version\":1,\"unit\":\"ns\",\"lowest_discernible\":1,"
         "\"highest_trackable\":3600000000000,\"significant_digits\":3,\"total_count\":" +
         std::to_string(total) + ",\"overflow_count\":" + std::to_string(overflow) + std::string(extra) +
         ",\"buckets\":[" + std::string(buckets) + "]}";
}

TEST(LatencyHistogramJson, InconsistentOrMalformedDocumentsAreRefused) {
  ASSERT_TRUE(from_json(doc("[5,2],[9,1]", 3)).has_value());
  ASSERT_TRUE(from_json(doc("[5,2]", 2, 0, ",\"future_field\":[1,2,3]")).has_value());  // unknown keys skipped
  EXPECT_FALSE(from_json(doc("[5,2],[9,1]", 4)).has_value());        // total disagrees
  EXPECT_FALSE(from_json(doc("[9,2],[5,1]", 3)).has_value());        // not increasing
  EXPECT_FALSE(from_json(doc("[5,2],[5,1]", 3)).has_value());        // duplicate
  EXPECT_FALSE(from_json(doc("[5,0]", 0)).has_value());              // zero count
  EXPECT_FALSE(from_json(doc("[5,2,1]", 2)).has_value());            // not a pair
  EXPECT_FALSE(from_json(doc("[40000,1]", 1)).has_value());          // beyond the counts array
  EXPECT_FALSE(from_json(doc("[5,1]", 1, 1)).has_value());           // overflow but no top bucket
  EXPECT_FALSE(from_json(doc("[-5,1]", 1)).has_value());
  EXPECT_FALSE(from_json("{\"format\":\"other\"}").has_value());
  EXPECT_FALSE(from_json("[1,2]").has_value());
  EXPECT_FALSE(from_json("{\"format\":\"pgstream-histogram\",").has_value());
  auto r = from_json(doc("[5,2]", 2).replace(doc("", 0).find("\"ns\""), 4, "\"us\""));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("unit"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace pgstream::bench
