#include "support/fake_tls_server.hpp"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

#include "pgstream/tls/tls_session.hpp"
#include "support/fake_server.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

constexpr std::array<unsigned char, 8> kSslRequest{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
constexpr int kTimeoutSeconds = 5;

std::int32_t read_be32(const unsigned char* p) {
  return static_cast<std::int32_t>((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                   (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]});
}

struct CtxDeleter {
  void operator()(WOLFSSL_CTX* c) const noexcept { wolfSSL_CTX_free(c); }
};
struct SslDeleter {
  void operator()(WOLFSSL* s) const noexcept { wolfSSL_free(s); }
};

// Records the client's ALPN list; selects "postgresql" when asked to and offered.
struct AlpnState {
  bool select = true;
  std::vector<std::string>* offered = nullptr;
};

int alpn_select(WOLFSSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  auto* st = static_cast<AlpnState*>(arg);
  bool found = false;
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int n = in[i];
    if (i + 1 + n > inlen) break;
    std::string proto(reinterpret_cast<const char*>(in + i + 1), n);
    if (proto == "postgresql") {
      found = true;
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(n);
    }
    st->offered->push_back(std::move(proto));
    i += 1 + n;
  }
  return found && st->select ? 0 /* SSL_TLSEXT_ERR_OK */ : noack_return;
}

int accept_any_client_cert(int, WOLFSSL_X509_STORE_CTX*) { return 1; }

// Reads exactly n plaintext bytes; false on error, close or timeout.
bool tls_read_exact(WOLFSSL* ssl, std::string& out, std::size_t n) {
  out.resize(n);
  std::size_t have = 0;
  while (have < n) {
    const int rc = wolfSSL_read(ssl, out.data() + have, static_cast<int>(n - have));
    if (rc <= 0) return false;
    have += static_cast<std::size_t>(rc);
  }
  return true;
}

bool tls_write(WOLFSSL* ssl, const std::string& bytes) {
  return wolfSSL_write(ssl, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
}

std::map<std::string, std::string> startup_params(const std::string& body) {
  std::map<std::string, std::string> out;
  std::size_t pos = 4;  // after the protocol version
  while (pos < body.size() && body[pos] != '\0') {
    const std::size_t k_end = body.find('\0', pos);
    if (k_end == std::string::npos) break;
    const std::size_t v_end = body.find('\0', k_end + 1);
    if (v_end == std::string::npos) break;
    out[body.substr(pos, k_end - pos)] = body.substr(k_end + 1, v_end - k_end - 1);
    pos = v_end + 1;
  }
  return out;
}

// Peeks at the first n bytes waiting on the socket, leaving them there for wolfSSL_accept.
bool peek_exact(int fd, std::vector<unsigned char>& out, std::size_t n) {
  out.resize(n);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutSeconds);
  for (;;) {
    const ssize_t got = ::recv(fd, out.data(), n, MSG_PEEK | MSG_WAITALL);
    if (got == static_cast<ssize_t>(n)) return true;
    if (got <= 0 || std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the rest is still in flight
  }
}

// Bounds-checked reads over the ClientHello; any overrun makes the whole parse fail.
struct HelloCursor {
  const unsigned char* p;
  std::size_t left;
  bool ok = true;
  std::size_t take(std::size_t n) {  // big-endian integer of n bytes
    if (!ok || n > left) {
      ok = false;
      return 0;
    }
    std::size_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
    p += n;
    left -= n;
    return v;
  }
  HelloCursor sub(std::size_t n) {  // the next n bytes as their own cursor
    HelloCursor c{p, ok && n <= left ? n : 0, ok && n <= left};
    skip(n);
    return c;
  }
  void skip(std::size_t n) {
    if (!ok || n > left) {
      ok = false;
      return;
    }
    p += n;
    left -= n;
  }
};

// The host_name of the server_name extension (RFC 6066 section 3) of the ClientHello in `record`
// (one TLS record, header included). False when the record is not a whole ClientHello.
bool parse_client_hello_sni(const std::vector<unsigned char>& record, std::optional<std::string>& sni) {
  sni.reset();
  HelloCursor rec{record.data(), record.size(), true};
  if (rec.take(1) != 0x16) return false;  // handshake record
  rec.skip(2);                             // legacy record version
  HelloCursor body = rec.sub(rec.take(2));
  if (body.take(1) != 1) return false;  // client_hello
  HelloCursor hello = body.sub(body.take(3));
  hello.skip(2 + 32);              // legacy_version, random
  hello.skip(hello.take(1));       // legacy_session_id
  hello.skip(hello.take(2));       // cipher_suites
  hello.skip(hello.take(1));       // legacy_compression_methods
  if (!hello.ok) return false;
  if (hello.left == 0) return true;  // no extensions at all
  HelloCursor exts = hello.sub(hello.take(2));
  while (exts.ok && exts.left > 0) {
    const std::size_t type = exts.take(2);
    HelloCursor ext = exts.sub(exts.take(2));
    if (type != 0) continue;  // not server_name
    HelloCursor names = ext.sub(ext.take(2));
    while (names.ok && names.left > 0) {
      const std::size_t name_type = names.take(1);
      HelloCursor name = names.sub(names.take(2));
      if (name.ok && name_type == 0) {
        sni.emplace(reinterpret_cast<const char*>(name.p), name.left);
        return true;
      }
    }
    return names.ok;
  }
  return exts.ok && hello.ok;
}

}  // namespace

TempCert TempCert::make(std::string_view tag) {
  TempCert t;
  const auto& server = TestServer::instance();
  if (!server) return t;
  auto it = server->vars.find("PGSTREAM_TEST_MAKE_CERT");
  if (it == server->vars.end()) return t;
  static std::atomic<int> counter{0};
  const auto dir = std::filesystem::temp_directory_path() /
                   ("pgstream-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  t.dir = dir.string();
  const std::string cmd = it->second + " " + t.dir + " > /dev/null";
  if (std::system(cmd.c_str()) != 0) return t;
  t.cert = (dir / "server.crt").string();
  t.key = (dir / "server.key").string();
  return t;
}

TempCert::TempCert(TempCert&& o) noexcept : dir(std::move(o.dir)), cert(std::move(o.cert)), key(std::move(o.key)) {
  o.dir.clear();
}

TempCert& TempCert::operator=(TempCert&& o) noexcept {
  if (this != &o) {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    dir = std::move(o.dir);
    cert = std::move(o.cert);
    key = std::move(o.key);
    o.dir.clear();
  }
  return *this;
}

TempCert::~TempCert() {
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

FakeTlsServer::FakeTlsServer(Options options) : options_(std::move(options)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 4) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error(std::string("cannot listen: ") + std::strerror(errno));
  port_ = ntohs(addr.sin_port);
  // Here, not in the server thread: a first wolfSSL_Init racing the client's own first one (in
  // the test's thread) initialises wolfSSL twice at once and breaks it.
  wolfSSL_Init();
  thread_ = std::thread([this] { run(); });
}

FakeTlsServer::~FakeTlsServer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string FakeTlsServer::dsn(std::string_view extra) const {
  return "host=localhost hostaddr=127.0.0.1 port=" + std::to_string(port_) +
         " user=fake_user dbname=fake_db connect_timeout=5 " + std::string(extra);
}

FakeTlsServer::Observed FakeTlsServer::stop() {
  stopping_ = true;
  return finish();
}

FakeTlsServer::Observed FakeTlsServer::finish() {
  if (thread_.joinable()) thread_.join();
  return observed_;
}

void FakeTlsServer::run() {
  // wolfCrypt's per-thread ECC cache must be released before the thread ends (LeakSanitizer).
  struct ReleaseCaches {
    ~ReleaseCaches() { tls::release_thread_caches(); }
  } release_caches;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutSeconds);
  while (std::chrono::steady_clock::now() < until) {
    // stopping_ is read before the poll: a connection made before stop() is still accepted.
    const bool last_look = stopping_;
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      if (last_look) return;
      continue;
    }
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    observed_.accepted = true;
    serve(fd);
    ::close(fd);
    return;
  }
}

void FakeTlsServer::serve(int fd) {
  timeval tv{kTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  // What comes first: a TLS record (0x16 = handshake) or an 8-byte SSLRequest.
  std::array<unsigned char, 8> first{};
  ssize_t n = ::recv(fd, first.data(), 1, MSG_PEEK);
  if (n != 1) return;
  if (first[0] == 0x16) {
    observed_.tls_first = true;
  } else {
    n = ::recv(fd, first.data(), first.size(), MSG_WAITALL);
    if (n != static_cast<ssize_t>(first.size()) || first != kSslRequest) return;
    observed_.ssl_request_first = true;
    if (::send(fd, "S", 1, MSG_NOSIGNAL) != 1) return;
  }

  // The ClientHello's first record, peeked at: its SNI, read from the bytes because wolfSSL's
  // server keeps a client's SNI only when built to (WOLFSSL_ALWAYS_KEEP_SNI) or told to expect one.
  std::vector<unsigned char> record;
  if (peek_exact(fd, record, 5) && peek_exact(fd, record, 5 + (std::size_t{record[3]} << 8 | record[4])))
    observed_.client_hello_read = parse_client_hello_sni(record, observed_.sni);

  std::unique_ptr<WOLFSSL_CTX, CtxDeleter> ctx(wolfSSL_CTX_new(wolfSSLv23_server_method()));
  if (!ctx) return;
  if (wolfSSL_CTX_use_certificate_file(ctx.get(), options_.cert_file.c_str(), WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS ||
      wolfSSL_CTX_use_PrivateKey_file(ctx.get(), options_.key_file.c_str(), WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
    observed_.handshake_error = "server cannot load its certificate";
    return;
  }
  wolfSSL_CTX_set_verify(ctx.get(), options_.request_client_cert ? WOLFSSL_VERIFY_PEER : WOLFSSL_VERIFY_NONE,
                         options_.request_client_cert ? &accept_any_client_cert : nullptr);
  AlpnState alpn{options_.select_alpn, &observed_.alpn_offered};
  wolfSSL_CTX_set_alpn_select_cb(ctx.get(), &alpn_select, &alpn);
  std::unique_ptr<WOLFSSL, SslDeleter> ssl(wolfSSL_new(ctx.get()));
  if (!ssl || wolfSSL_set_fd(ssl.get(), fd) != WOLFSSL_SUCCESS) return;

  if (wolfSSL_accept(ssl.get()) != WOLFSSL_SUCCESS) {
    char buf[WOLFSSL_MAX_ERROR_SZ] = {};
    wolfSSL_ERR_error_string_n(static_cast<unsigned long>(wolfSSL_get_error(ssl.get(), 0)), buf, sizeof buf);
    observed_.handshake_error = buf;
    return;
  }
  observed_.handshake_ok = true;
  char* proto = nullptr;
  unsigned short proto_len = 0;
  if (wolfSSL_ALPN_GetProtocol(ssl.get(), &proto, &proto_len) == WOLFSSL_SUCCESS && proto)
    observed_.alpn_selected.assign(proto, proto_len);
  if (WOLFSSL_X509* peer = wolfSSL_get_peer_certificate(ssl.get())) {
    observed_.client_cert_received = true;
    wolfSSL_X509_free(peer);
  }

  // StartupMessage: Int32 length, then the body.
  std::string len_bytes, body;
  if (!tls_read_exact(ssl.get(), len_bytes, 4)) return;
  const std::int32_t len = read_be32(reinterpret_cast<const unsigned char*>(len_bytes.data()));
  if (len < 8 || len > 10000 || !tls_read_exact(ssl.get(), body, static_cast<std::size_t>(len) - 4)) return;
  observed_.startup = startup_params(body);
  if (!tls_write(ssl.get(), fake::auth_ok() + fake::parameter_status("server_version", "17.0 (fake tls)") +
                                fake::backend_key_data(4242, "\x01\x02\x03\x04") + fake::ready_for_query('I')))
    return;

  for (;;) {
    std::string header;
    if (!tls_read_exact(ssl.get(), header, 5)) return;
    const std::int32_t mlen = read_be32(reinterpret_cast<const unsigned char*>(header.data() + 1));
    std::string mbody;
    if (mlen < 4 || mlen > 100000 || !tls_read_exact(ssl.get(), mbody, static_cast<std::size_t>(mlen) - 4)) return;
    if (header[0] == 'X') {
      observed_.terminated = true;
      return;
    }
    if (header[0] != 'Q') return;
    observed_.queries.emplace_back(mbody.c_str());
    // RowDescription: one text column "answer"; DataRow "42"; CommandComplete; ReadyForQuery.
    std::string field = std::string("answer") + '\0' + fake::be32(0) + std::string("\0\0", 2) + fake::be32(25) +
                        std::string("\xff\xff", 2) + fake::be32(-1) + std::string("\0\0", 2);
    const std::string reply = fake::frame('T', std::string("\0\1", 2) + field) +
                              fake::frame('D', std::string("\0\1", 2) + fake::be32(2) + "42") +
                              fake::frame('C', std::string("SELECT 1") + '\0') + fake::ready_for_query('I');
    if (!tls_write(ssl.get(), reply)) return;
  }
}

}  // namespace pgstream::testing
