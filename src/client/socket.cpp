#include "pgstream/client/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pgstream::client {

void Socket::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string SocketAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&storage);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(a->sin_port));
  }
  if (family() == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&storage);
    ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  if (family() == AF_UNIX) return reinterpret_cast<const sockaddr_un*>(&storage)->sun_path;
  return "?";
}

Result<std::vector<SocketAddress>> resolve(const std::string& host, const std::string& hostaddr, int port) {
  std::vector<SocketAddress> out;
  if (hostaddr.empty() && (host.starts_with('/') || host.starts_with('@'))) {
    SocketAddress a;
    auto* un = reinterpret_cast<sockaddr_un*>(&a.storage);
    un->sun_family = AF_UNIX;
    std::string path = host + "/.s.PGSQL." + std::to_string(port);
    if (path.size() >= sizeof(un->sun_path))
      return make_error(ErrorCategory::config, "Unix-socket path \"" + path + "\" is too long");
    std::memcpy(un->sun_path, path.data(), path.size());
    if (host.starts_with('@')) un->sun_path[0] = '\0';  // Linux abstract namespace, as libpq
    a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (host.starts_with('@') ? 0 : 1));
    out.push_back(a);
    return out;
  }
  const std::string& name = hostaddr.empty() ? host : hostaddr;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = hostaddr.empty() ? AI_ADDRCONFIG : AI_NUMERICHOST;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  int rc = ::getaddrinfo(name.c_str(), service.c_str(), &hints, &res);
  if (rc == EAI_BADFLAGS || (rc != 0 && hints.ai_flags == AI_ADDRCONFIG)) {
    hints.ai_flags = hostaddr.empty() ? 0 : AI_NUMERICHOST;  // loopback-only machines
    rc = ::getaddrinfo(name.c_str(), service.c_str(), &hints, &res);
  }
  if (rc != 0)
    return make_error(ErrorCategory::io, std::string("could not translate host name \"") + name +
                                             "\" to an address: " + ::gai_strerror(rc));
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    SocketAddress a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    out.push_back(a);
  }
  ::freeaddrinfo(res);
  return out;
}

Result<void> apply_tcp_options(int fd, const KeepaliveOptions& keepalive,
                               std::optional<std::chrono::milliseconds> user_timeout) {
  auto set = [fd](int level, int opt, int value, const char* name) -> Result<void> {
    if (::setsockopt(fd, level, opt, &value, sizeof value) != 0)
      return make_error(ErrorCategory::io, std::string("setsockopt(") + name + "): " + std::strerror(errno));
    return {};
  };
  if (auto r = set(IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY"); !r) return r;
  if (auto r = set(SOL_SOCKET, SO_KEEPALIVE, keepalive.enabled ? 1 : 0, "SO_KEEPALIVE"); !r) return r;
  if (keepalive.enabled) {
    if (keepalive.idle_seconds)
      if (auto r = set(IPPROTO_TCP, TCP_KEEPIDLE, *keepalive.idle_seconds, "TCP_KEEPIDLE"); !r) return r;
    if (keepalive.interval_seconds)
      if (auto r = set(IPPROTO_TCP, TCP_KEEPINTVL, *keepalive.interval_seconds, "TCP_KEEPINTVL"); !r) return r;
    if (keepalive.count)
      if (auto r = set(IPPROTO_TCP, TCP_KEEPCNT, *keepalive.count, "TCP_KEEPCNT"); !r) return r;
  }
  if (user_timeout)
    if (auto r = set(IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(user_timeout->count()), "TCP_USER_TIMEOUT"); !r)
      return r;
  return {};
}

namespace {

Result<Socket> connect_one(const SocketAddress& addr, std::optional<std::chrono::milliseconds> timeout,
                           const KeepaliveOptions& keepalive) {
  Socket s(::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.valid()) return make_error(ErrorCategory::io, std::string("socket: ") + std::strerror(errno));
  auto fail = [&](int err) {
    return make_error(ErrorCategory::io, "connection to " + addr.to_string() + " failed: " + std::strerror(err));
  };
  if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&addr.storage), addr.length) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) return fail(errno);
    pollfd p{s.fd(), POLLOUT, 0};
    const int ms = timeout ? static_cast<int>(timeout->count()) : -1;
    int rc;
    do rc = ::poll(&p, 1, ms);
    while (rc < 0 && errno == EINTR);
    if (rc == 0)
      return make_error(ErrorCategory::timeout, "connection to " + addr.to_string() + " timed out after " +
                                                    std::to_string(timeout->count()) + " ms (connect_timeout)");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(err);
  }
  if (addr.family() != AF_UNIX)
    if (auto r = apply_tcp_options(s.fd(), keepalive, std::nullopt); !r) return std::unexpected(r.error());
  const int flags = ::fcntl(s.fd(), F_GETFL);
  ::fcntl(s.fd(), F_SETFL, flags & ~O_NONBLOCK);
  return s;
}

}  // namespace

Result<Socket> connect_blocking(const std::vector<SocketAddress>& addresses,
                                std::optional<std::chrono::milliseconds> timeout, const KeepaliveOptions& keepalive) {
  if (addresses.empty()) return make_error(ErrorCategory::config, "no address to connect to");
  std::optional<Error> last;
  for (const auto& a : addresses) {
    auto s = connect_one(a, timeout, keepalive);
    if (s) return s;
    last = s.error();
  }
  return std::unexpected(*last);
}

}  // namespace pgstream::client
