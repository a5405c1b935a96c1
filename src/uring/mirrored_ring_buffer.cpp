#include "pgstream/uring/mirrored_ring_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace pgstream::uring {

Result<MirroredRingBuffer> MirroredRingBuffer::create(std::size_t capacity) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  capacity = std::bit_ceil(capacity < page ? page : capacity);

  auto fail = [](const char* what) {
    return make_error(ErrorCategory::io, std::string("cannot set up a receive ring: ") + what + ": " +
                                             std::strerror(errno));
  };
  const int fd = ::memfd_create("pgstream-recv-ring", MFD_CLOEXEC);
  if (fd < 0) return fail("memfd_create");
  if (::ftruncate(fd, static_cast<off_t>(capacity)) != 0) {
    ::close(fd);
    return fail("ftruncate");
  }
  // Reserve twice the size, then map the same pages into both halves.
  void* area = ::mmap(nullptr, 2 * capacity, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) {
    ::close(fd);
    return fail("mmap");
  }
  auto* base = static_cast<std::byte*>(area);
  void* lo = ::mmap(base, capacity, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
  void* hi = lo == MAP_FAILED ? MAP_FAILED
                              : ::mmap(base + capacity, capacity, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
  const int saved = errno;
  ::close(fd);  // the mappings keep the memory alive
  if (hi == MAP_FAILED) {
    ::munmap(area, 2 * capacity);
    errno = saved;
    return fail("mmap (mirror)");
  }
  MirroredRingBuffer ring;
  ring.base_ = base;
  ring.capacity_ = capacity;
  ring.mask_ = capacity - 1;
  return ring;
}

MirroredRingBuffer::~MirroredRingBuffer() {
  if (base_) ::munmap(base_, 2 * capacity_);
}

void MirroredRingBuffer::swap(MirroredRingBuffer& o) noexcept {
  std::swap(base_, o.base_);
  std::swap(capacity_, o.capacity_);
  std::swap(mask_, o.mask_);
  std::swap(head_, o.head_);
  std::swap(tail_, o.tail_);
}

}  // namespace pgstream::uring
