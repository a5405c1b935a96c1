// The random distributions, hashes and permutation of pgbench's expression functions. The
// distributions follow pgbench's formulas and parameter rules; the PRNG is ours (prng.hpp).

#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <string>

#include "pgstream/bench/expression.hpp"

namespace pgstream::bench {
namespace {

Result<std::uint64_t> checked_range(std::int64_t lb, std::int64_t ub) {
  if (lb > ub) return make_error(ErrorCategory::config, "empty range given to random");
  std::int64_t span = 0;
  if (__builtin_sub_overflow(ub, lb, &span) || span == std::numeric_limits<std::int64_t>::max()) {
    return make_error(ErrorCategory::config, "random range is too large");
  }
  return static_cast<std::uint64_t>(span);
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// lb + floor(count * fraction) for a fraction in [0, 1), clamped against rounding at the top.
std::int64_t scale_into(std::int64_t lb, std::uint64_t span, double fraction) {
  const double count = static_cast<double>(span) + 1.0;
  auto off = static_cast<std::uint64_t>(count * fraction);
  if (off > span) off = span;
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lb) + off);
}

}  // namespace

Result<std::int64_t> random_uniform(Prng& rng, std::int64_t lb, std::int64_t ub) {
  auto span = checked_range(lb, ub);
  if (!span) return std::unexpected(span.error());
  return rng.uniform(lb, ub);
}

Result<std::int64_t> random_exponential(Prng& rng, std::int64_t lb, std::int64_t ub, double parameter) {
  auto span = checked_range(lb, ub);
  if (!span) return std::unexpected(span.error());
  if (!(parameter > 0.0)) {
    return make_error(ErrorCategory::config, "exponential parameter must be greater than zero (not " + number(parameter) + ")");
  }
  // Inverse transform of an exponential truncated to [0, 1): cut = exp(-parameter).
  const double cut = std::exp(-parameter);
  const double uniform = 1.0 - rng.next_double();  // (0, 1]
  const double fraction = -std::log(cut + (1.0 - cut) * uniform) / parameter;
  return scale_into(lb, *span, fraction);
}

Result<std::int64_t> random_gaussian(Prng& rng, std::int64_t lb, std::int64_t ub, double parameter) {
  auto span = checked_range(lb, ub);
  if (!span) return std::unexpected(span.error());
  if (!(parameter >= min_gaussian_parameter)) {
    return make_error(ErrorCategory::config, "gaussian parameter must be at least 2.0 (not " + number(parameter) + ")");
  }
  // Box-Muller, redrawn until within [-parameter, parameter), then mapped onto [0, 1).
  double stdev = 0;
  do {
    const double r1 = 1.0 - rng.next_double();  // (0, 1], log() stays finite
    const double r2 = rng.next_double();
    stdev = std::sqrt(-2.0 * std::log(r1)) * std::sin(2.0 * std::numbers::pi * r2);
  } while (stdev < -parameter || stdev >= parameter);
  return scale_into(lb, *span, (stdev + parameter) / (parameter * 2.0));
}

Result<std::int64_t> random_zipfian(Prng& rng, std::int64_t lb, std::int64_t ub, double parameter) {
  auto span = checked_range(lb, ub);
  if (!span) return std::unexpected(span.error());
  if (!(parameter >= min_zipfian_parameter && parameter <= max_zipfian_parameter)) {
    return make_error(ErrorCategory::config,
                      "zipfian parameter must be in range [1.001, 1000] (not " + number(parameter) + ")");
  }
  // Rejection method of Devroye, "Non-Uniform Random Variate Generation" (1986), p. 550.
  const double n = static_cast<double>(*span) + 1.0;
  const double b = std::pow(2.0, parameter - 1.0);
  double x = 1;
  for (;;) {
    const double u = 1.0 - rng.next_double();  // (0, 1]: pow(0, negative) would be infinite
    const double v = rng.next_double();
    x = std::floor(std::pow(u, -1.0 / (parameter - 1.0)));
    const double t = std::pow(1.0 + 1.0 / x, parameter - 1.0);
    if (v * x * (t - 1.0) / (b - 1.0) <= t / b && x <= n) break;
  }
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lb) + static_cast<std::uint64_t>(x) - 1);
}

std::int64_t hash_fnv1a(std::int64_t value, std::int64_t seed) noexcept {
  constexpr std::uint64_t offset_basis = 0xcbf29ce484222325ULL;
  constexpr std::uint64_t prime = 0x100000001b3ULL;
  std::uint64_t h = offset_basis ^ static_cast<std::uint64_t>(seed);
  auto v = static_cast<std::uint64_t>(value);
  for (int k = 0; k < 8; ++k) {
    h ^= v & 0xff;
    h *= prime;
    v >>= 8;
  }
  return static_cast<std::int64_t>(h);
}

std::int64_t hash_murmur2(std::int64_t value, std::int64_t seed) noexcept {
  // MurmurHash64A over the 8 bytes of the value.
  constexpr std::uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  std::uint64_t h = static_cast<std::uint64_t>(seed) ^ (8 * m);
  std::uint64_t k = static_cast<std::uint64_t>(value);
  k *= m;
  k ^= k >> r;
  k *= m;
  h ^= k;
  h *= m;
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return static_cast<std::int64_t>(h);
}

Result<std::int64_t> permute(std::int64_t value, std::int64_t size, std::int64_t seed) {
  if (size <= 0) return make_error(ErrorCategory::config, "permute size parameter must be greater than zero");
  if (size == 1) return 0;
  auto v = static_cast<std::uint64_t>(value % size);
  if (value % size < 0) v = static_cast<std::uint64_t>(value % size + size);
  const auto n = static_cast<std::uint64_t>(size);
  const int bits = std::bit_width(n - 1);
  const std::uint64_t mask = (bits >= 64) ? ~0ULL : ((1ULL << bits) - 1);
  std::uint64_t sm = static_cast<std::uint64_t>(seed);
  std::uint64_t keys[8];
  for (auto& k : keys) k = splitmix64(sm);
  const int shift = bits / 2 + 1;
  // A keyed bijection of [0, 2^bits) (odd multiply, xorshift, add: each invertible mod 2^bits),
  // walked until it lands inside [0, size): the classic cycle-walking restriction.
  do {
    for (int round = 0; round < 4; ++round) {
      v = (v * (keys[2 * round] | 1)) & mask;
      if (shift < bits) v ^= v >> shift;
      v = (v + keys[2 * round + 1]) & mask;
    }
  } while (v >= n);
  return static_cast<std::int64_t>(v);
}

}  // namespace pgstream::bench
