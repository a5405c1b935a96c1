#include "pgstream/uring/ring.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace pgstream::uring {

struct Ring::Impl {
  io_uring ring{};
  bool live = false;
  ~Impl() {
    if (live) io_uring_queue_exit(&ring);
  }
};

namespace {

std::string setup_failure_message(int err) {
  std::string msg = "io_uring is not available (io_uring_queue_init: " + std::string(std::strerror(err)) + ")";
  if (err == EPERM || err == EACCES || err == ENOSYS)
    msg += ": the kernel (sysctl kernel.io_uring_disabled) or a container seccomp profile forbids it; "
           "run where io_uring is allowed (e.g. sysctl -w kernel.io_uring_disabled=0, or docker "
           "--security-opt seccomp=unconfined)";
  else if (err == ENOMEM)
    msg += ": raise the locked-memory limit (ulimit -l) or use fewer queue entries";
  return msg;
}

}  // namespace

Result<Ring> Ring::create(const Options& options) {
  auto impl = std::make_unique<Impl>();
  io_uring_params params{};
  params.flags = IORING_SETUP_CLAMP;
  // One thread submits and reaps, so completion work can wait until we ask for events
  // (DEFER_TASKRUN, 6.1+) instead of interrupting the thread; older kernels get plain rings.
  if (options.single_issuer) params.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int rc = io_uring_queue_init_params(options.entries, &impl->ring, &params);
  if (rc == -EINVAL && options.single_issuer) {
    params = io_uring_params{};
    params.flags = IORING_SETUP_CLAMP | IORING_SETUP_COOP_TASKRUN;
    rc = io_uring_queue_init_params(options.entries, &impl->ring, &params);
  }
  if (rc == -EINVAL && options.single_issuer) {  // a kernel older than 5.19 lacks those flags
    params = io_uring_params{};
    params.flags = IORING_SETUP_CLAMP;
    rc = io_uring_queue_init_params(options.entries, &impl->ring, &params);
  }
  if (rc < 0) return make_error(ErrorCategory::unsupported, setup_failure_message(-rc));
  impl->live = true;
  return Ring(std::move(impl));
}

Ring::Ring(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ring::Ring(Ring&&) noexcept = default;
Ring& Ring::operator=(Ring&&) noexcept = default;
Ring::~Ring() = default;

io_uring* Ring::ring() noexcept { return &impl_->ring; }

io_uring_sqe* Ring::get_sqe() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(ring());
  if (sqe) return sqe;
  io_uring_submit(ring());
  return io_uring_get_sqe(ring());
}

int Ring::submit() noexcept { return io_uring_submit(ring()); }

int Ring::submit_and_wait(unsigned wait_nr, std::optional<std::chrono::nanoseconds> timeout) noexcept {
  if (!timeout) return io_uring_submit_and_wait(ring(), wait_nr);
  __kernel_timespec ts{};
  ts.tv_sec = static_cast<long long>(timeout->count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long long>(timeout->count() % 1'000'000'000);
  io_uring_cqe* cqe = nullptr;
  return io_uring_submit_and_wait_timeout(ring(), &cqe, wait_nr, &ts, nullptr);
}

Result<void> Ring::register_buffers(std::span<const iovec> buffers) {
  const int rc = io_uring_register_buffers(ring(), buffers.data(), static_cast<unsigned>(buffers.size()));
  if (rc < 0) {
    std::string msg = "cannot register send buffers with io_uring: " + std::string(std::strerror(-rc));
    if (rc == -ENOMEM) msg += " (raise the locked-memory limit: ulimit -l)";
    return make_error(ErrorCategory::io, msg);
  }
  return {};
}

Result<void> Ring::register_sparse_buffers(unsigned count) {
  const int rc = io_uring_register_buffers_sparse(ring(), count);
  if (rc < 0)
    return make_error(ErrorCategory::io, "cannot register a buffer table with io_uring: " + std::string(std::strerror(-rc)) +
                                             (rc == -EINVAL ? " (kernel older than 5.13?)" : ""));
  return {};
}

Result<void> Ring::update_buffers(unsigned first_slot, std::span<const iovec> buffers) {
  std::vector<__u64> tags(buffers.size(), 0);
  const int rc = io_uring_register_buffers_update_tag(ring(), first_slot, buffers.data(), tags.data(),
                                                      static_cast<unsigned>(buffers.size()));
  if (rc < 0) {
    std::string msg = "cannot register send buffers with io_uring: " + std::string(std::strerror(-rc));
    if (rc == -ENOMEM) msg += " (raise the locked-memory limit: ulimit -l)";
    return make_error(ErrorCategory::io, msg);
  }
  return {};
}

unsigned Ring::sq_space_left() noexcept { return io_uring_sq_space_left(ring()); }

}  // namespace pgstream::uring
