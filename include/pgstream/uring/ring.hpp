#pragma once
// One io_uring, owned: SQEs come from get_sqe() (which submits to make room when the queue is
// full), work is submitted once per loop turn, completions are reaped in batches.
//
// Completion results stay -errno ints until the caller turns them into an Error.

#include <liburing.h>
#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "pgstream/result.hpp"

namespace pgstream::uring {

// What an SQE is for, packed into its user_data: the operation, the connection slot, and the
// slot's generation, so a completion for a connection that has since been closed and its slot
// reused is recognised as stale.
struct Tag {
  std::uint8_t op = 0;
  std::uint32_t slot = 0;        // 24 bits
  std::uint32_t generation = 0;  // 32 bits

  [[nodiscard]] constexpr std::uint64_t pack() const noexcept {
    return (std::uint64_t{generation} << 32) | (std::uint64_t{slot & 0xffffff} << 8) | op;
  }
  [[nodiscard]] static constexpr Tag unpack(std::uint64_t v) noexcept {
    return Tag{static_cast<std::uint8_t>(v & 0xff), static_cast<std::uint32_t>((v >> 8) & 0xffffff),
               static_cast<std::uint32_t>(v >> 32)};
  }
};
inline constexpr std::uint32_t max_slots = 1u << 24;

class Ring {
 public:
  struct Options {
    unsigned entries = 1024;
    // The kernel may refuse these flags (older kernels): create() then retries without them.
    bool single_issuer = true;
  };
  [[nodiscard]] static Result<Ring> create(const Options& options);
  [[nodiscard]] static Result<Ring> create() { return create(Options{}); }

  Ring(Ring&&) noexcept;
  Ring& operator=(Ring&&) noexcept;
  ~Ring();

  // A free SQE; submits what is queued when the submission queue is full. Never null unless the
  // kernel refuses submissions (then null, and the next submit() reports why).
  [[nodiscard]] io_uring_sqe* get_sqe() noexcept;
  // Submits everything queued: number submitted, or -errno.
  int submit() noexcept;
  // Submits and waits for at least `wait_nr` completions or the timeout: -ETIME on timeout.
  int submit_and_wait(unsigned wait_nr, std::optional<std::chrono::nanoseconds> timeout) noexcept;

  // Calls on_cqe(const io_uring_cqe&) for every completion ready now, in batches, then advances
  // the queue once per batch. Returns how many were handled.
  template <class F>
  unsigned drain(F&& on_cqe) {
    unsigned total = 0;
    io_uring_cqe* batch[64];
    for (;;) {
      const unsigned n = io_uring_peek_batch_cqe(ring(), batch, 64);
      if (n == 0) break;
      for (unsigned i = 0; i < n; ++i) on_cqe(*batch[i]);
      io_uring_cq_advance(ring(), n);
      total += n;
      if (n < 64) break;
    }
    return total;
  }

  // Registers memory for the fixed-buffer operations (buffer index = position in `buffers`).
  [[nodiscard]] Result<void> register_buffers(std::span<const iovec> buffers);
  // A table of `count` empty buffer slots, filled later slot by slot with update_buffers(), so
  // memory is registered per connection as connections open.
  [[nodiscard]] Result<void> register_sparse_buffers(unsigned count);
  [[nodiscard]] Result<void> update_buffers(unsigned first_slot, std::span<const iovec> buffers);
  [[nodiscard]] unsigned sq_space_left() noexcept;
  [[nodiscard]] io_uring* native() noexcept { return ring(); }

 private:
  struct Impl;
  explicit Ring(std::unique_ptr<Impl> impl);
  [[nodiscard]] io_uring* ring() noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgstream::uring
