// TLS over memory (wolfSSL) against the real scratch server: the handshake through a socket we
// drive ourselves, every sslmode's verification outcome, and a Postgres start-up inside TLS.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pgstream/tls/tls_session.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

using tls::TlsContext;
using tls::TlsOptions;
using tls::TlsSession;
using tls::VerifyMode;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool send_all(int fd, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

bool flush(int fd, TlsSession& s) {
  auto out = s.outgoing_ciphertext();
  if (!send_all(fd, out)) return false;
  s.consume_outgoing(out.size());
  return true;
}

bool receive_into(int fd, TlsSession& s) {
  std::array<std::byte, 16384> buf;
  ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
  if (n <= 0) return false;
  s.feed_ciphertext(std::span(buf).first(static_cast<std::size_t>(n)));
  return true;
}

// Opens TCP, asks for TLS, and runs the handshake to its end (or its error).
Result<TlsSession> open_tls(Fd& conn, const TlsOptions& options) {
  const auto& server = *TestServer::instance();
  conn.fd = connect_tcp(server.host(), server.port());
  if (conn.fd < 0) return make_error(ErrorCategory::io, "connect failed");
  const std::array<unsigned char, 8> ssl_request{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
  if (!send_all(conn.fd, std::as_bytes(std::span(ssl_request)))) return make_error(ErrorCategory::io, "send");
  char answer = 0;
  if (::recv(conn.fd, &answer, 1, 0) != 1 || answer != 'S')
    return make_error(ErrorCategory::protocol, "server refused TLS");
  auto ctx = TlsContext::create(options);
  if (!ctx) return std::unexpected(ctx.error());
  auto session = TlsSession::create(*ctx);
  if (!session) return session;
  for (;;) {
    auto done = session->handshake();
    if (!flush(conn.fd, *session)) return make_error(ErrorCategory::io, "send during handshake");
    if (!done) return std::unexpected(done.error());
    if (*done) return session;
    if (!receive_into(conn.fd, *session)) return make_error(ErrorCategory::io, "server closed during handshake");
  }
}

TlsOptions verify_options(VerifyMode mode, std::string name) {
  TlsOptions o;
  o.verify = mode;
  o.root_cert_file = TestServer::instance()->ssl_root_cert();
  o.server_name = std::move(name);
  return o;
}

std::vector<std::byte> der_of_pem_file(const std::string& path) {
  std::ifstream in(path);
  std::string line, b64;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.starts_with("-----BEGIN")) inside = true;
    else if (line.starts_with("-----END")) break;
    else if (inside) b64 += line;
  }
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<std::byte> out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : b64) {
    auto pos = alphabet.find(c);
    if (pos == std::string_view::npos) continue;  // '=' padding
    acc = (acc << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::byte>((acc >> bits) & 0xff));
    }
  }
  return out;
}

TEST(TlsSession, VerifyFullAcceptsTheServerByDnsName) {
  PGSTREAM_REQUIRE_SERVER();
  Fd conn;
  auto s = open_tls(conn, verify_options(VerifyMode::verify_full, "localhost"));
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_TRUE(s->handshake_done());
  EXPECT_EQ(s->protocol_version(), "TLSv1.3");
  EXPECT_FALSE(s->cipher().empty());
}

TEST(TlsSession, VerifyFullAcceptsTheServerByIpAddress) {
  PGSTREAM_REQUIRE_SERVER();
  Fd conn;
  auto s = open_tls(conn, verify_options(VerifyMode::verify_full, "127.0.0.1"));
  ASSERT_TRUE(s) << s.error().to_string();
}

TEST(TlsSession, VerifyFullRejectsAnotherHostName) {
  PGSTREAM_REQUIRE_SERVER();
  Fd conn;
  auto s = open_tls(conn, verify_options(VerifyMode::verify_full, "db.example.com"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().category(), ErrorCategory::tls);
  EXPECT_NE(s.error().message().find("does not match host name \"db.example.com\""), std::string::npos)
      << s.error().message();
}

TEST(TlsSession, VerifyCaRejectsAServerSignedByAnotherCa) {
  PGSTREAM_REQUIRE_SERVER();
  const std::string make_cert = TestServer::instance()->get("PGSTREAM_TEST_MAKE_CERT");
  auto dir = std::filesystem::temp_directory_path() / ("pgstream-other-ca-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_EQ(std::system((make_cert + " " + dir.string() + " >/dev/null").c_str()), 0);
  Fd conn;
  auto options = verify_options(VerifyMode::verify_ca, "localhost");
  options.root_cert_file = (dir / "root.crt").string();
  auto s = open_tls(conn, options);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("verification failed"), std::string::npos) << s.error().message();
}

TEST(TlsSession, VerifyWithoutRootsIsAConfigError) {
  PGSTREAM_REQUIRE_SERVER();
  TlsOptions o;
  o.verify = VerifyMode::verify_ca;
  auto ctx = TlsContext::create(o);
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().category(), ErrorCategory::config);
  EXPECT_NE(ctx.error().message().find("sslrootcert"), std::string::npos);
}

TEST(TlsSession, RequireModeEncryptsWithoutCheckingIdentity) {
  PGSTREAM_REQUIRE_SERVER();
  Fd conn;
  TlsOptions o;  // sslmode=require: no roots, any name
  o.server_name = "db.example.com";
  auto s = open_tls(conn, o);
  ASSERT_TRUE(s) << s.error().to_string();
}

TEST(TlsSession, PeerCertificateIsTheServersLeafForChannelBinding) {
  PGSTREAM_REQUIRE_SERVER();
  Fd conn;
  auto s = open_tls(conn, verify_options(VerifyMode::verify_full, "localhost"));
  ASSERT_TRUE(s) << s.error().to_string();
  auto cert_path = std::filesystem::path(TestServer::instance()->ssl_root_cert()).parent_path() / "server.crt";
  EXPECT_EQ(s->peer_certificate_der(), der_of_pem_file(cert_path.string()));
}

TEST(TlsSession, CarriesAPostgresStartupToAuthenticationOk) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& server = *TestServer::instance();
  Fd conn;
  auto s = open_tls(conn, verify_options(VerifyMode::verify_full, "localhost"));
  ASSERT_TRUE(s) << s.error().to_string();
  // StartupMessage 3.0: user=<ssl user>, database=postgres (the ssl role is trust over hostssl? no:
  // it has a password; we only check that the server answers with an Authentication request).
  std::string body;
  auto put32 = [&](std::uint32_t v) {
    for (int i = 3; i >= 0; --i) body.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put32(0);
  put32(196608);
  for (std::string kv : {std::string("user"), server.get("PGSTREAM_TEST_SSL_USER"), std::string("database"),
                         std::string("postgres")}) {
    body += kv;
    body.push_back('\0');
  }
  body.push_back('\0');
  const auto len = static_cast<std::uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) body[static_cast<std::size_t>(i)] = static_cast<char>((len >> (8 * (3 - i))) & 0xff);
  ASSERT_TRUE(s->write_plaintext(std::as_bytes(std::span(body))));
  ASSERT_TRUE(flush(conn.fd, *s));
  std::array<std::byte, 256> plain{};
  std::size_t got = 0;
  while (got == 0) {
    ASSERT_TRUE(receive_into(conn.fd, *s));
    auto r = s->read_plaintext(plain);
    ASSERT_TRUE(r) << r.error().to_string();
    got = *r;
  }
  // 'R' Authentication, SASL (10) since the role's password is a SCRAM verifier.
  ASSERT_GE(got, 9u);
  EXPECT_EQ(static_cast<char>(plain[0]), 'R');
  EXPECT_EQ(static_cast<int>(plain[8]), 10);
}

}  // namespace
}  // namespace pgstream::testing
