#include "support/fake_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace pgstream::testing {

namespace fake {

std::string be32(std::int32_t v) {
  const auto u = static_cast<std::uint32_t>(v);
  return {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8), static_cast<char>(u)};
}

std::string frame(char type, std::string_view body) {
  return std::string(1, type) + be32(static_cast<std::int32_t>(body.size() + 4)) + std::string(body);
}

std::string header(char type, std::uint32_t length) {
  return std::string(1, type) + be32(static_cast<std::int32_t>(length));
}

std::string auth(std::int32_t code, std::string_view data) { return frame('R', be32(code) + std::string(data)); }
std::string auth_ok() { return auth(0); }
std::string auth_cleartext() { return auth(3); }

std::string auth_sasl(const std::vector<std::string>& mechanisms) {
  std::string list;
  for (const auto& m : mechanisms) list += m + '\0';
  list += '\0';
  return auth(10, list);
}

std::string auth_sasl_continue(std::string_view data) { return auth(11, data); }
std::string auth_sasl_final(std::string_view data) { return auth(12, data); }

std::string error_response(std::string_view sqlstate, std::string_view message, std::string_view severity) {
  std::string body;
  body += 'S' + std::string(severity) + '\0';
  body += 'V' + std::string(severity) + '\0';
  body += 'C' + std::string(sqlstate) + '\0';
  body += 'M' + std::string(message) + '\0';
  body += '\0';
  return frame('E', body);
}

std::string notice_response(std::string_view message) {
  std::string body = std::string("SNOTICE") + '\0' + "VNOTICE" + '\0' + "C00000" + '\0' + 'M' + std::string(message) + '\0' + '\0';
  return frame('N', body);
}

std::string parameter_status(std::string_view name, std::string_view value) {
  return frame('S', std::string(name) + '\0' + std::string(value) + '\0');
}

std::string backend_key_data(std::int32_t pid, std::string_view key) { return frame('K', be32(pid) + std::string(key)); }
std::string ready_for_query(char status) { return frame('Z', std::string(1, status)); }

std::string negotiate_protocol_version(std::int32_t version, const std::vector<std::string>& options) {
  std::string body = be32(version) + be32(static_cast<std::int32_t>(options.size()));
  for (const auto& o : options) body += o + '\0';
  return frame('v', body);
}

std::string session_ready() {
  return parameter_status("server_version", "15.99 (fake)") + backend_key_data(4242, "\x01\x02\x03\x04") +
         ready_for_query('I');
}

std::string row_description(const std::vector<std::string>& names) {
  std::string body;
  body += static_cast<char>(names.size() >> 8);
  body += static_cast<char>(names.size());
  for (const auto& n : names) {
    body += n + '\0';
    body += be32(0) + std::string(2, '\0');                      // table oid, column number
    body += be32(25) + std::string("\xff\xff", 2) + be32(-1);  // text, size -1, typmod -1
    body += std::string(2, '\0');                                // text format
  }
  return frame('T', body);
}

std::string data_row(const std::vector<std::optional<std::string>>& values) {
  std::string body;
  body += static_cast<char>(values.size() >> 8);
  body += static_cast<char>(values.size());
  for (const auto& v : values) {
    if (!v) {
      body += be32(-1);
      continue;
    }
    body += be32(static_cast<std::int32_t>(v->size())) + *v;
  }
  return frame('D', body);
}

std::string command_complete(std::string_view tag) { return frame('C', std::string(tag) + '\0'); }

std::string query_result(const std::vector<std::string>& names,
                         const std::vector<std::vector<std::optional<std::string>>>& rows, std::string_view tag) {
  std::string out = row_description(names);
  for (const auto& r : rows) out += data_row(r);
  return out + command_complete(tag) + ready_for_query('I');
}

}  // namespace fake

namespace {

std::int32_t load32(std::string_view b) {
  return static_cast<std::int32_t>((std::uint32_t(static_cast<unsigned char>(b[0])) << 24) |
                                   (std::uint32_t(static_cast<unsigned char>(b[1])) << 16) |
                                   (std::uint32_t(static_cast<unsigned char>(b[2])) << 8) |
                                   std::uint32_t(static_cast<unsigned char>(b[3])));
}

constexpr auto kSlice = std::chrono::milliseconds(20);  // how often a wait checks for stop

}  // namespace

std::optional<SaslInitial> parse_sasl_initial(std::string_view body) {
  const auto nul = body.find('\0');
  if (nul == std::string_view::npos || body.size() < nul + 5) return std::nullopt;
  SaslInitial s;
  s.mechanism = std::string(body.substr(0, nul));
  const std::int32_t len = load32(body.substr(nul + 1, 4));
  const std::string_view rest = body.substr(nul + 5);
  if (len == -1 && rest.empty()) return s;
  if (len < 0 || static_cast<std::size_t>(len) != rest.size()) return std::nullopt;
  s.data = std::string(rest);
  return s;
}

FakeConnection::~FakeConnection() { close(); }

void FakeConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool FakeConnection::wait(short events, std::chrono::steady_clock::time_point until) {
  while (fd_ >= 0 && !stopping()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return false;
    pollfd p{fd_, events, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now) + std::chrono::milliseconds(1);
    const int rc = ::poll(&p, 1, static_cast<int>(std::min(left, std::chrono::milliseconds(kSlice)).count()));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
  return false;
}

std::optional<std::string> FakeConnection::read_exact(std::size_t n) {
  std::string out(n, '\0');
  std::size_t have = 0;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (have < n) {
    if (!wait(POLLIN, until)) return std::nullopt;
    const ssize_t got = ::recv(fd_, out.data() + have, n - have, 0);
    if (got == 0) return std::nullopt;
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return std::nullopt;
    }
    have += static_cast<std::size_t>(got);
  }
  return out;
}

std::optional<StartupPacket> FakeConnection::read_startup() {
  auto len = read_exact(4);
  if (!len) return std::nullopt;
  const std::int32_t n = load32(*len);
  if (n < 8 || n > 10000) {
    ADD_FAILURE() << "fake server: client sent a start-up packet of length " << n;
    return std::nullopt;
  }
  auto body = read_exact(static_cast<std::size_t>(n) - 4);
  if (!body) return std::nullopt;
  StartupPacket p;
  p.code = load32(*body);
  p.rest = body->substr(4);
  p.raw = *len + *body;
  if ((p.code >> 16) == 3) {  // a StartupMessage: name\0value\0 ... \0
    std::size_t pos = 0;
    while (pos < p.rest.size() && p.rest[pos] != '\0') {
      const auto name_end = p.rest.find('\0', pos);
      const auto value_end = name_end == std::string::npos ? std::string::npos : p.rest.find('\0', name_end + 1);
      if (value_end == std::string::npos) break;
      p.params[p.rest.substr(pos, name_end - pos)] = p.rest.substr(name_end + 1, value_end - name_end - 1);
      pos = value_end + 1;
    }
  }
  return p;
}

std::optional<ClientMessage> FakeConnection::read_message() {
  auto head = read_exact(5);
  if (!head) return std::nullopt;
  const std::int32_t n = load32(std::string_view(*head).substr(1));
  if (n < 4 || n > (1 << 20)) {
    ADD_FAILURE() << "fake server: client sent a '" << (*head)[0] << "' message of length " << n;
    return std::nullopt;
  }
  auto body = read_exact(static_cast<std::size_t>(n) - 4);
  if (!body) return std::nullopt;
  return ClientMessage{(*head)[0], std::move(*body)};
}

bool FakeConnection::send(std::string_view bytes) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!bytes.empty()) {
    if (!wait(POLLOUT, until)) return false;
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool FakeConnection::send_in_pieces(std::string_view bytes, std::size_t piece, std::chrono::microseconds pause) {
  while (!bytes.empty()) {
    const std::size_t n = std::min(piece, bytes.size());
    if (!send(bytes.substr(0, n))) return false;
    bytes.remove_prefix(n);
    std::this_thread::sleep_for(pause);
  }
  return true;
}

bool FakeConnection::accept_session() {
  if (!read_startup()) return false;
  return send(fake::auth_ok() + fake::session_ready());
}

std::optional<std::string> FakeConnection::read_query() {
  auto m = read_message();
  if (!m || m->type != 'Q' || m->body.empty() || m->body.back() != '\0') return std::nullopt;
  return m->body.substr(0, m->body.size() - 1);
}

bool FakeConnection::wait_for_close(std::chrono::milliseconds t) {
  const auto until = std::chrono::steady_clock::now() + t;
  char buf[4096];
  while (wait(POLLIN, until)) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return true;
  }
  return false;
}

FakeServer::FakeServer(std::vector<Script> scripts) : scripts_(std::move(scripts)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("fake server: socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 8) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error(std::string("fake server: bind/listen: ") + std::strerror(errno));
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

FakeServer::~FakeServer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  connections_.clear();
  ::close(listen_fd_);
}

void FakeServer::run() {
  for (auto& script : scripts_) {
    int fd = -1;
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(kSlice.count())) > 0) {
        fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          const int one = 1;  // send_in_pieces: each piece leaves at once, not coalesced by Nagle
          (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          break;
        }
      }
    }
    if (fd < 0) break;
    ++accepted_;
    connections_.push_back(std::make_unique<FakeConnection>(fd, stopping_));
    script(*connections_.back());
  }
  done_ = true;
}

bool FakeServer::wait_done(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done_) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string FakeServer::dsn(std::string_view extra) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) +
         " user=fake_user dbname=fake_db sslmode=disable connect_timeout=5 " + std::string(extra);
}

}  // namespace pgstream::testing
