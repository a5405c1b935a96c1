#pragma once
// The pseudo-random generator of script functions: xoshiro256** (Blackman and Vigna), seeded
// through splitmix64. pgbench 15 uses xoroshiro128**; the exact sequences differ, the
// distributions built on top (random, random_exponential, random_gaussian, random_zipfian)
// follow pgbench's formulas. Each client owns one, seeded from (run seed, client id), so a run
// with a fixed seed repeats the same draws per client.

#include <bit>
#include <cstdint>

namespace pgstream::bench {

[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Prng {
 public:
  explicit constexpr Prng(std::uint64_t seed = 0) noexcept { reseed(seed); }
  constexpr void reseed(std::uint64_t seed) noexcept {
    std::uint64_t sm = seed;
    for (auto& w : s_) w = splitmix64(sm);
  }

  [[nodiscard]] constexpr std::uint64_t next() noexcept {
    const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1), 52 random bits like pgbench's pg_prng_double.
  [[nodiscard]] constexpr double next_double() noexcept {
    return static_cast<double>(next() >> 12) * 0x1.0p-52;
  }
  // Uniform in [0, range] without bias (mask and reject).
  [[nodiscard]] constexpr std::uint64_t below_or_equal(std::uint64_t range) noexcept {
    if (range == 0) return 0;
    const std::uint64_t mask = ~std::uint64_t{0} >> std::countl_zero(range);
    for (;;) {
      const std::uint64_t v = next() & mask;
      if (v <= range) return v;
    }
  }
  // Uniform in [lo, hi]; the caller ensures lo <= hi.
  [[nodiscard]] constexpr std::int64_t uniform(std::int64_t lo, std::int64_t hi) noexcept {
    const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + below_or_equal(span));
  }

 private:
  std::uint64_t s_[4]{};
};

}  // namespace pgstream::bench
