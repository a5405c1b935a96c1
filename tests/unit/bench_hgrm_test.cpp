// .hgrm output byte-exact against a distribution worked out by hand from HdrHistogram's rules
// (ticks per half distance, highest equivalent values, the 100% row, the footer), and parse_hgrm
// reading back what to_hgrm wrote.

#include "pgstream/bench/hgrm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace pgstream::bench {
namespace {

TEST(Hgrm, TwoValuesGiveTheHdrHistogramTextByteForByte) {
  LatencyHistogram h;
  h.record(1'000'000);  // bucket [999936, 1000447] ns
  h.record(2'000'000);  // bucket [1999872, 2000895] ns
  const std::string expected =
      "       Value     Percentile TotalCount 1/(1-Percentile)\n"
      "\n"
      "       1.000 0.000000000000          1           1.00\n"
      "       1.000 0.100000000000          1           1.11\n"
      "       1.000 0.200000000000          1           1.25\n"
      "       1.000 0.300000000000          1           1.43\n"
      "       1.000 0.400000000000          1           1.67\n"
      "       1.000 0.500000000000          1           2.00\n"
      "       2.001 0.550000000000          2           2.22\n"
      "       2.001 1.000000000000          2\n"
      "#[Mean    =        1.500, StdDeviation   =        0.500]\n"
      "#[Max     =        2.001, Total count    =            2]\n"
      "#[Buckets =           32, SubBuckets     =         2048]\n";
  EXPECT_EQ(to_hgrm(h), expected);
}

TEST(Hgrm, TicksHalveWithEachHalfDistanceToOneHundredPercent) {
  LatencyHistogram h;
  for (std::int64_t v = 1; v <= 100'000; ++v) h.record(v * 1000);
  const auto parsed = parse_hgrm(to_hgrm(h, {.value_unit_scaling = 1e3}));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  const auto& rows = parsed->rows;
  ASSERT_GT(rows.size(), 20u);
  EXPECT_DOUBLE_EQ(rows[0].percentile, 0.0);
  EXPECT_DOUBLE_EQ(rows[1].percentile, 0.1);
  EXPECT_DOUBLE_EQ(rows[5].percentile, 0.5);
  EXPECT_DOUBLE_EQ(rows[6].percentile, 0.55);    // step 5% above 50%
  EXPECT_DOUBLE_EQ(rows[10].percentile, 0.75);
  EXPECT_DOUBLE_EQ(rows[11].percentile, 0.775);  // step 2.5% above 75%
  EXPECT_DOUBLE_EQ(rows.back().percentile, 1.0);
  EXPECT_FALSE(rows.back().inverse.has_value());
  EXPECT_TRUE(rows[1].inverse.has_value());
  EXPECT_NEAR(*rows[1].inverse, 1.11, 1e-9);
}

TEST(Hgrm, WriteThenParseGivesThePercentilesBack) {
  LatencyHistogram h;
  for (std::int64_t v = 1; v <= 10'000; ++v) h.record(v * 1000 + (v % 7) * 100);  // 1 us .. 10 ms
  h.record(250'000'000, 3);                                                      // a tail
  const std::string text = to_hgrm(h);
  const auto parsed = parse_hgrm(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->total_count, h.count());
  EXPECT_NEAR(parsed->max, static_cast<double>(h.max()) / 1e6, 0.0005);
  EXPECT_NEAR(parsed->mean, h.mean() / 1e6, 0.0005);
  EXPECT_NEAR(parsed->stddev, h.stddev() / 1e6, 0.0005);
  EXPECT_EQ(parsed->buckets, h.bucket_count());
  EXPECT_EQ(parsed->sub_buckets, h.sub_bucket_count());
  ASSERT_GT(parsed->rows.size(), 50u);
  // Every row after the first is the histogram's value at that row's level, to the printed
  // precision (0.001 ms); the first row is the lowest recorded bucket's highest value.
  for (std::size_t i = 1; i < parsed->rows.size(); ++i) {
    const HgrmRow& row = parsed->rows[i];
    const double expected = static_cast<double>(h.value_at_percentile(row.percentile * 100.0)) / 1e6;
    EXPECT_NEAR(row.value, expected, 0.0005) << "row " << i << " at " << row.percentile;
    EXPECT_NEAR(parsed->value_at_percentile(row.percentile * 100.0), row.value, 1e-12);
  }
  EXPECT_NEAR(parsed->value_at_percentile(50.0), static_cast<double>(h.value_at_percentile(50.0)) / 1e6, 0.0005);
  EXPECT_NEAR(parsed->value_at_percentile(90.0), static_cast<double>(h.value_at_percentile(90.0)) / 1e6, 0.0005);
  EXPECT_NEAR(parsed->value_at_percentile(100.0), 250.0, 0.25);
  EXPECT_EQ(parsed->rows.back().total_count, h.count());
}

TEST(Hgrm, EmptyHistogramHasHeaderAndFooterOnly) {
  const LatencyHistogram h;
  const std::string text = to_hgrm(h);
  EXPECT_EQ(text,
            "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
            "#[Mean    =        0.000, StdDeviation   =        0.000]\n"
            "#[Max     =        0.000, Total count    =            0]\n"
            "#[Buckets =           32, SubBuckets     =         2048]\n");
  const auto parsed = parse_hgrm(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->rows.empty());
  EXPECT_EQ(parsed->value_at_percentile(99.0), 0.0);
}

TEST(Hgrm, ParseRefusesMalformedInputNamingTheLine) {
  const std::string header = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n";
  auto r = parse_hgrm(header + "       1.000 0.000000000000          1           1.00\n       x 0.5 1 2.0\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category(), ErrorCategory::decode);
  EXPECT_NE(r.error().message().find("line 4"), std::string::npos) << r.error().message();
  EXPECT_FALSE(parse_hgrm("1.000 0.5 1 2.0\n").has_value());  // no header
  EXPECT_FALSE(parse_hgrm(header + "1.0 0.5\n").has_value());
  EXPECT_FALSE(parse_hgrm(header + "1.0 1.5 3\n").has_value());
  EXPECT_FALSE(parse_hgrm(header + "2.0 0.5 3 2.00\n1.0 0.4 3 1.67\n").has_value());
  EXPECT_FALSE(parse_hgrm(header + "#[Mean    = abc, StdDeviation   = 1]\n").has_value());
  EXPECT_FALSE(parse_hgrm("").has_value());
}

}  // namespace
}  // namespace pgstream::bench
