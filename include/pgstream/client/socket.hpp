#pragma once
// Sockets to a Postgres server: address resolution (TCP and Unix-socket hosts, as libpq names
// them), and a blocking connect with a deadline. The io_uring reactor resolves with the same
// function and connects through the ring.

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pgstream/result.hpp"

namespace pgstream::client {

// An owned file descriptor.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) noexcept : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(o.release()) {}
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { reset(); }

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  [[nodiscard]] int family() const noexcept { return storage.ss_family; }
  [[nodiscard]] std::string to_string() const;  // "127.0.0.1:5432", "[::1]:5432", "/run/pg/.s.PGSQL.5432"
};

// TCP keepalive settings (libpq's keepalives, keepalives_idle/_interval/_count).
struct KeepaliveOptions {
  bool enabled = true;
  std::optional<int> idle_seconds;
  std::optional<int> interval_seconds;
  std::optional<int> count;
};

// The addresses to try for one host: a Unix-socket directory (host starting with '/'), or a name
// or literal resolved for TCP; `hostaddr`, when given, is used instead of resolving `host`.
[[nodiscard]] Result<std::vector<SocketAddress>> resolve(const std::string& host, const std::string& hostaddr,
                                                         int port);

// Socket options every TCP connection to Postgres gets: TCP_NODELAY (we batch ourselves), keepalive.
[[nodiscard]] Result<void> apply_tcp_options(int fd, const KeepaliveOptions& keepalive,
                                             std::optional<std::chrono::milliseconds> user_timeout);

// Connects to the first address that accepts, within the deadline per address (libpq applies
// connect_timeout per host). The socket is blocking afterwards.
[[nodiscard]] Result<Socket> connect_blocking(const std::vector<SocketAddress>& addresses,
                                              std::optional<std::chrono::milliseconds> timeout,
                                              const KeepaliveOptions& keepalive);

}  // namespace pgstream::client
