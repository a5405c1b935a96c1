#include "support/test_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace pgstream::testing {

const std::string& TestServer::get(const std::string& key) const {
  auto it = vars.find(key);
  if (it == vars.end()) throw std::runtime_error("server file has no " + key);
  return it->second;
}

std::optional<TestServer> TestServer::from_environment(const char* var) {
  const char* path = std::getenv(var);
  if (path == nullptr || *path == '\0') return std::nullopt;
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string("cannot read the test server file ") + path);
  TestServer s;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    s.vars.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return s;
}

const std::optional<TestServer>& TestServer::instance() {
  static const std::optional<TestServer> server = from_environment("PGSTREAM_TEST_SERVER_FILE");
  return server;
}

const std::optional<TestServer>& TestServer::nossl_instance() {
  static const std::optional<TestServer> server = from_environment("PGSTREAM_TEST_NOSSL_SERVER_FILE");
  return server;
}

int connect_tcp(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    errno = EINVAL;
    return -1;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int connect_unix(const std::string& dir, int port) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = dir + "/.s.PGSQL." + std::to_string(port);
  if (path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

}  // namespace pgstream::testing
