// The distributions' ranges and rough shapes, with a fixed seed (PGSTREAM_TEST_SEED overrides
// it; the seed is printed). Tolerances are several standard errors wide.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "pgstream/bench/expression.hpp"

namespace pgstream::bench {
namespace {

std::uint64_t test_seed() {
  std::uint64_t seed = 20240915;
  if (const char* s = std::getenv("PGSTREAM_TEST_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::cout << "seed " << seed << " (set PGSTREAM_TEST_SEED to repeat)\n";
  return seed;
}

constexpr int draws = 200000;

template <class Draw>
std::vector<std::int64_t> sample(Draw draw) {
  std::vector<std::int64_t> out;
  out.reserve(draws);
  for (int k = 0; k < draws; ++k) {
    auto v = draw();
    EXPECT_TRUE(v.has_value());
    if (v) out.push_back(*v);
  }
  return out;
}

double mean(const std::vector<std::int64_t>& v) {
  double s = 0;
  for (auto x : v) s += static_cast<double>(x);
  return s / static_cast<double>(v.size());
}

TEST(BenchRandom, PrngIsDeterministicPerSeed) {
  Prng a(7), b(7), c(8);
  bool differs = false;
  for (int k = 0; k < 100; ++k) {
    const auto x = a.next();
    EXPECT_EQ(x, b.next());
    differs = differs || x != c.next();
  }
  EXPECT_TRUE(differs);
  Prng d(1);
  for (int k = 0; k < 10000; ++k) {
    const double u = d.next_double();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(BenchRandom, UniformCoversTheRangeEvenly) {
  Prng rng(test_seed());
  const auto v = sample([&] { return random_uniform(rng, 1, 100); });
  std::vector<int> counts(101, 0);
  for (auto x : v) {
    ASSERT_GE(x, 1);
    ASSERT_LE(x, 100);
    ++counts[static_cast<std::size_t>(x)];
  }
  EXPECT_NEAR(mean(v), 50.5, 0.4);
  for (int k = 1; k <= 100; ++k) EXPECT_NEAR(counts[static_cast<std::size_t>(k)], draws / 100, 300) << k;
  // Extreme bounds stay in range.
  for (int k = 0; k < 1000; ++k) {
    auto x = random_uniform(rng, INT64_MIN, INT64_MIN + 2);
    ASSERT_TRUE(x.has_value());
    EXPECT_LE(*x, INT64_MIN + 2);
  }
}

TEST(BenchRandom, GaussianIsCenteredAndConcentrated) {
  Prng rng(test_seed());
  const auto v = sample([&] { return random_gaussian(rng, 1, 1000, 2.5); });
  std::int64_t middle = 0;
  for (auto x : v) {
    ASSERT_GE(x, 1);
    ASSERT_LE(x, 1000);
    if (x > 400 && x <= 600) ++middle;
  }
  EXPECT_NEAR(mean(v), 500.5, 3.0);
  // The middle fifth is +-0.5 stdev at parameter 2.5: ~38% of draws (truncated normal).
  const double share = static_cast<double>(middle) / draws;
  EXPECT_NEAR(share, 0.388, 0.01);
}

TEST(BenchRandom, ExponentialFavoursTheLowEnd) {
  Prng rng(test_seed());
  const double p = 5.0;
  const auto v = sample([&] { return random_exponential(rng, 1, 1000, p); });
  for (auto x : v) {
    ASSERT_GE(x, 1);
    ASSERT_LE(x, 1000);
  }
  // Mean of the exponential truncated to [0, 1), scaled to the range.
  const double truncated_mean = 1.0 / p - std::exp(-p) / (1.0 - std::exp(-p));
  EXPECT_NEAR(mean(v), 1.0 + 1000.0 * truncated_mean - 0.5, 3.0);
}

TEST(BenchRandom, ZipfianRatiosFollowTheParameter) {
  Prng rng(test_seed());
  const auto v = sample([&] { return random_zipfian(rng, 1, 1000, 2.0); });
  std::vector<int> counts(1001, 0);
  for (auto x : v) {
    ASSERT_GE(x, 1);
    ASSERT_LE(x, 1000);
    ++counts[static_cast<std::size_t>(x)];
  }
  // P(k) / P(k+1) = ((k+1)/k)^s, and P(1) = 1 / H(1000, 2) ~ 0.6087.
  EXPECT_NEAR(static_cast<double>(counts[1]) / counts[2], 4.0, 0.2);
  EXPECT_NEAR(static_cast<double>(counts[2]) / counts[3], 2.25, 0.15);
  EXPECT_NEAR(static_cast<double>(counts[1]) / draws, 0.6087, 0.01);
  // Offset ranges shift the distribution.
  auto shifted = random_zipfian(rng, -10, -1, 1.5);
  ASSERT_TRUE(shifted.has_value());
  EXPECT_GE(*shifted, -10);
  EXPECT_LE(*shifted, -1);
}

}  // namespace
}  // namespace pgstream::bench
