// The io_uring wrapper on real kernel objects (a socketpair): tags survive the round trip,
// fixed-buffer writes from registered memory arrive, completions are drained in batches.
#include "pgstream/uring/ring.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <vector>

namespace pgstream::uring {
namespace {

TEST(UringTag, PacksOpSlotAndGeneration) {
  Tag t{7, 0xabcdef, 0xfedcba98};
  Tag u = Tag::unpack(t.pack());
  EXPECT_EQ(u.op, 7);
  EXPECT_EQ(u.slot, 0xabcdefu);
  EXPECT_EQ(u.generation, 0xfedcba98u);
}

struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0); }
  ~SocketPair() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
};

TEST(UringRing, WriteFixedFromRegisteredMemoryThenRecv) {
  auto ring = Ring::create();
  if (!ring && ring.error().category() == ErrorCategory::unsupported) GTEST_SKIP() << ring.error().message();
  ASSERT_TRUE(ring) << ring.error().to_string();
  alignas(4096) static std::array<char, 4096> region{};
  iovec iov{region.data(), region.size()};
  ASSERT_TRUE(ring->register_buffers({&iov, 1}));
  SocketPair sp;
  std::memcpy(region.data() + 100, "hello uring", 11);

  io_uring_sqe* w = ring->get_sqe();
  io_uring_prep_write_fixed(w, sp.fd[0], region.data() + 100, 11, 0, 0);
  io_uring_sqe_set_data64(w, Tag{1, 5, 9}.pack());
  std::array<char, 64> in{};
  io_uring_sqe* r = ring->get_sqe();
  io_uring_prep_recv(r, sp.fd[1], in.data(), in.size(), 0);
  io_uring_sqe_set_data64(r, Tag{2, 6, 10}.pack());

  int results[3] = {-1, -1, -1};
  unsigned seen = 0;
  while (seen < 2) {
    ASSERT_GE(ring->submit_and_wait(1, std::chrono::seconds(5)), 0);
    seen += ring->drain([&](const io_uring_cqe& cqe) {
      Tag t = Tag::unpack(cqe.user_data);
      results[t.op] = cqe.res;
      EXPECT_EQ(t.slot, t.op == 1 ? 5u : 6u);
    });
  }
  EXPECT_EQ(results[1], 11);
  EXPECT_EQ(results[2], 11);
  EXPECT_EQ(std::string(in.data(), 11), "hello uring");
}

TEST(UringRing, GetSqeSubmitsWhenTheQueueIsFull) {
  auto ring = Ring::create(Ring::Options{.entries = 4});
  if (!ring && ring.error().category() == ErrorCategory::unsupported) GTEST_SKIP() << ring.error().message();
  ASSERT_TRUE(ring);
  for (int i = 0; i < 10; ++i) {
    io_uring_sqe* sqe = ring->get_sqe();
    ASSERT_NE(sqe, nullptr);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, static_cast<std::uint64_t>(i));
  }
  unsigned seen = 0;
  while (seen < 10) {
    ASSERT_GE(ring->submit_and_wait(1, std::chrono::seconds(5)), 0);
    seen += ring->drain([](const io_uring_cqe& cqe) { EXPECT_EQ(cqe.res, 0); });
  }
  EXPECT_EQ(seen, 10u);
}

TEST(UringRing, WaitTimesOutWithEtime) {
  auto ring = Ring::create();
  if (!ring && ring.error().category() == ErrorCategory::unsupported) GTEST_SKIP() << ring.error().message();
  ASSERT_TRUE(ring);
  EXPECT_EQ(ring->submit_and_wait(1, std::chrono::milliseconds(20)), -ETIME);
}

}  // namespace
}  // namespace pgstream::uring
