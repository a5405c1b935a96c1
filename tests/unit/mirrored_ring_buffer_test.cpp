#include "pgstream/uring/mirrored_ring_buffer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace pgstream::uring {
namespace {

TEST(MirroredRingBuffer, RoundsCapacityUpToAPowerOfTwoPageMultiple) {
  auto ring = MirroredRingBuffer::create(5000);
  ASSERT_TRUE(ring) << ring.error().to_string();
  EXPECT_EQ(ring->capacity(), 8192u);
  EXPECT_EQ(ring->free_space(), 8192u);
  EXPECT_TRUE(ring->empty());
}

TEST(MirroredRingBuffer, BytesWrappingTheEndAreReadContiguously) {
  auto ring = MirroredRingBuffer::create(4096);
  ASSERT_TRUE(ring);
  const std::size_t cap = ring->capacity();
  // Move the positions near the end: write and consume cap - 10 bytes.
  ring->commit(cap - 10);
  ring->consume(cap - 11);  // one byte left unread so the ring does not restart at 0
  std::vector<std::byte> msg(100);
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::byte>(i);
  auto w = ring->writable();
  ASSERT_GE(w.size(), msg.size());
  std::memcpy(w.data(), msg.data(), msg.size());  // straddles the end of the first mapping
  ring->commit(msg.size());
  auto r = ring->readable();
  ASSERT_EQ(r.size(), 101u);
  EXPECT_EQ(std::memcmp(r.data() + 1, msg.data(), msg.size()), 0);
}

TEST(MirroredRingBuffer, RandomTrafficPreservesTheByteStream) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto ring = MirroredRingBuffer::create(4096);
  ASSERT_TRUE(ring);
  std::uint8_t next_in = 0, next_out = 0;
  std::size_t total = 0;
  while (total < 1'000'000) {
    auto w = ring->writable();
    std::size_t n = std::uniform_int_distribution<std::size_t>(0, w.size())(rng);
    for (std::size_t i = 0; i < n; ++i) w[i] = static_cast<std::byte>(next_in++);
    ring->commit(n);
    total += n;
    auto r = ring->readable();
    std::size_t m = std::uniform_int_distribution<std::size_t>(0, r.size())(rng);
    for (std::size_t i = 0; i < m; ++i) ASSERT_EQ(r[i], static_cast<std::byte>(next_out++));
    ring->consume(m);
  }
}

TEST(MirroredRingBuffer, MovesOwnership) {
  auto ring = MirroredRingBuffer::create(4096);
  ASSERT_TRUE(ring);
  ring->commit(3);
  MirroredRingBuffer other = std::move(*ring);
  EXPECT_EQ(other.size(), 3u);
  EXPECT_EQ(ring->capacity(), 0u);
}

}  // namespace
}  // namespace pgstream::uring
