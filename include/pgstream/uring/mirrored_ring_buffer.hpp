#pragma once
// A receive ring whose memory is mapped twice, back to back, so that bytes wrapping the end of
// the ring are also contiguous in virtual memory: a backend frame that straddles the boundary is
// decoded in place like any other, with no copy. Only a frame larger than the whole ring needs
// the caller's slow path.
//
// The kernel writes into writable() (one contiguous span up to the free space), the decoder reads
// readable() (all unread bytes, contiguous). Positions grow monotonically; the capacity is a
// power of two multiple of the page size.

#include <cstddef>
#include <cstdint>
#include <span>

#include "pgstream/result.hpp"

namespace pgstream::uring {

class MirroredRingBuffer {
 public:
  // capacity is rounded up to a power of two, at least one page.
  [[nodiscard]] static Result<MirroredRingBuffer> create(std::size_t capacity);

  MirroredRingBuffer() = default;
  MirroredRingBuffer(MirroredRingBuffer&& other) noexcept { swap(other); }
  MirroredRingBuffer& operator=(MirroredRingBuffer&& other) noexcept {
    MirroredRingBuffer tmp(std::move(other));
    swap(tmp);
    return *this;
  }
  MirroredRingBuffer(const MirroredRingBuffer&) = delete;
  MirroredRingBuffer& operator=(const MirroredRingBuffer&) = delete;
  ~MirroredRingBuffer();

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(tail_ - head_); }
  [[nodiscard]] std::size_t free_space() const noexcept { return capacity_ - size(); }
  [[nodiscard]] bool empty() const noexcept { return head_ == tail_; }

  // Where the next received bytes go: all free space, contiguous thanks to the mirror.
  [[nodiscard]] std::span<std::byte> writable() noexcept {
    return {base_ + (tail_ & mask_), free_space()};
  }
  void commit(std::size_t n) noexcept { tail_ += n; }

  // Every unread byte, contiguous; valid until the next commit()/consume() that moves past it.
  [[nodiscard]] std::span<const std::byte> readable() const noexcept {
    return {base_ + (head_ & mask_), size()};
  }
  void consume(std::size_t n) noexcept {
    head_ += n;
    if (head_ == tail_) head_ = tail_ = 0;  // an empty ring restarts at its beginning
  }

 private:
  void swap(MirroredRingBuffer& o) noexcept;

  std::byte* base_ = nullptr;
  std::size_t capacity_ = 0;
  std::uint64_t mask_ = 0;
  std::uint64_t head_ = 0;
  std::uint64_t tail_ = 0;
};

}  // namespace pgstream::uring
