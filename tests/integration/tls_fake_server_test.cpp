// TLS settings a real Postgres 15 cannot exercise, against a fake TLS server
// (support/fake_tls_server.hpp), and the ones it can, against the scratch server:
//  - sslnegotiation=direct (libpq 17): TLS from the first byte, no SSLRequest, ALPN "postgresql"
//    offered and required from the server;
//  - sslcertmode (libpq 16): disable never sends the configured certificate, allow sends it when
//    asked, require fails when the server never asked (or nothing was sent);
//  - sslsni: the host name goes in the ClientHello by default, not with sslsni=0 nor for an IP
//    literal host (as libpq);
//  - sslcrl / sslcrldir: a CRL revoking the server's certificate refuses it, one that does not
//    lets it through; bad locations are errors, never ignored. The CRLs are made by the test
//    (support/test_crl.hpp) and signed with the fake server's key.
// The certificates come from pgstream-make-cert (named by the scratch server's file), so these
// tests skip without the scratch server.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "pgstream/client/pg_connection.hpp"
#include "support/fake_tls_server.hpp"
#include "support/test_crl.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

using client::PgConnection;

bool has_home_client_cert() {
  const char* home = std::getenv("HOME");
  return home && std::filesystem::exists(std::string(home) + "/.postgresql/postgresql.crt");
}

class FakeTls : public ::testing::Test {
 protected:
  void SetUp() override {
    PGSTREAM_REQUIRE_SERVER();
    server_cert_ = TempCert::make("fake-tls-server");
    ASSERT_TRUE(server_cert_.ok()) << "pgstream-make-cert failed";
  }

  FakeTlsServer::Options options() const {
    FakeTlsServer::Options o;
    o.cert_file = server_cert_.cert;
    o.key_file = server_cert_.key;
    return o;
  }

  TempCert server_cert_;
};

// ---- sslnegotiation=direct ----

using DirectTls = FakeTls;

TEST_F(DirectTls, StartsWithTlsOffersAlpnAndCompletesStartupAndQuery) {
  FakeTlsServer server(options());
  auto conn = PgConnection::connect(
      server.dsn("sslmode=verify-full sslnegotiation=direct sslrootcert=" + server_cert_.cert));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_TRUE(conn->encrypted());
  EXPECT_EQ(conn->parameter("server_version"), "17.0 (fake tls)");
  EXPECT_EQ(conn->session().backend_pid, 4242);
  auto r = conn->simple_query("SELECT 42");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->columns, std::vector<std::string>{"answer"});
  EXPECT_EQ(r->rows[0][0], "42");
  conn->close();

  const auto seen = server.finish();
  EXPECT_TRUE(seen.tls_first);
  EXPECT_FALSE(seen.ssl_request_first);
  EXPECT_NE(std::find(seen.alpn_offered.begin(), seen.alpn_offered.end(), "postgresql"), seen.alpn_offered.end());
  EXPECT_EQ(seen.alpn_selected, "postgresql");
  EXPECT_EQ(seen.startup.at("user"), "fake_user");
  EXPECT_EQ(seen.startup.at("database"), "fake_db");
  EXPECT_EQ(seen.queries, std::vector<std::string>{"SELECT 42"});
  EXPECT_TRUE(seen.terminated);
}

TEST_F(DirectTls, RequireWithoutRootCertificateAlsoWorks) {
  if (const char* home = std::getenv("HOME"); home && std::filesystem::exists(std::string(home) + "/.postgresql/root.crt"))
    GTEST_SKIP() << "~/.postgresql/root.crt exists and turns require into verify-ca";
  FakeTlsServer server(options());
  auto conn = PgConnection::connect(server.dsn("sslmode=require sslnegotiation=direct"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_TRUE(conn->encrypted());
  conn->close();
  EXPECT_TRUE(server.finish().tls_first);
}

TEST_F(DirectTls, RefusesServerThatDoesNotSelectAlpn) {
  auto o = options();
  o.select_alpn = false;
  FakeTlsServer server(o);
  auto conn = PgConnection::connect(
      server.dsn("sslmode=verify-full sslnegotiation=direct sslrootcert=" + server_cert_.cert));
  ASSERT_FALSE(conn) << "connected to a server that did not select ALPN postgresql";
  EXPECT_EQ(conn.error().category(), ErrorCategory::tls) << conn.error().to_string();
  EXPECT_EQ(conn.error().message(),
            "direct SSL connection was established without ALPN protocol negotiation extension");
  const auto seen = server.finish();
  EXPECT_TRUE(seen.tls_first);
  EXPECT_TRUE(seen.alpn_selected.empty());
  EXPECT_TRUE(seen.startup.empty()) << "the client sent its StartupMessage anyway";
}

TEST_F(DirectTls, WeakSslmodeIsRefusedBeforeConnecting) {
  for (const char* mode : {"disable", "allow", "prefer"}) {
    FakeTlsServer server(options());
    auto conn = PgConnection::connect(server.dsn(std::string("sslnegotiation=direct sslmode=") + mode));
    ASSERT_FALSE(conn) << mode;
    EXPECT_EQ(conn.error().category(), ErrorCategory::config) << conn.error().to_string();
    EXPECT_NE(conn.error().message().find("sslnegotiation=direct needs sslmode require"), std::string::npos)
        << conn.error().message();
    EXPECT_FALSE(server.stop().accepted) << mode << ": connected before refusing";
  }
}

TEST_F(DirectTls, PostgresNegotiationSendsSslRequestFirst) {
  FakeTlsServer server(options());
  auto conn = PgConnection::connect(server.dsn("sslmode=verify-full sslrootcert=" + server_cert_.cert));
  ASSERT_TRUE(conn) << conn.error().to_string();
  conn->close();
  const auto seen = server.finish();
  EXPECT_TRUE(seen.ssl_request_first);
  EXPECT_FALSE(seen.tls_first);
}

// ---- sslsni: the ClientHello's server_name, as the fake server read it from the bytes ----

using SslSni = FakeTls;

TEST_F(SslSni, HostNameIsSentByDefaultWithEitherNegotiation) {
  for (const char* negotiation : {"postgres", "direct"}) {
    FakeTlsServer server(options());
    auto conn = PgConnection::connect(server.dsn(std::string("sslmode=verify-full sslnegotiation=") + negotiation +
                                                 " sslrootcert=" + server_cert_.cert));
    ASSERT_TRUE(conn) << negotiation << ": " << conn.error().to_string();
    conn->close();
    const auto seen = server.finish();
    ASSERT_TRUE(seen.client_hello_read) << negotiation;
    EXPECT_EQ(seen.sni, std::optional<std::string>("localhost")) << negotiation;  // host=, not hostaddr=
  }
}

TEST_F(SslSni, IsNotSentWithSslsniOff) {
  FakeTlsServer server(options());
  auto conn = PgConnection::connect(server.dsn("sslmode=verify-full sslsni=0 sslrootcert=" + server_cert_.cert));
  ASSERT_TRUE(conn) << conn.error().to_string();
  conn->close();
  const auto seen = server.finish();
  ASSERT_TRUE(seen.client_hello_read);  // so the missing name is the client's doing, not the parser's
  EXPECT_TRUE(seen.handshake_ok) << seen.handshake_error;
  EXPECT_EQ(seen.sni, std::nullopt);
}

TEST_F(SslSni, IsNotSentForAnIpLiteralHost) {
  // As libpq: SNI carries host names only (RFC 6066), so an address in host= sends none.
  for (const char* host : {"127.0.0.1", "::1"}) {
    FakeTlsServer server(options());
    auto conn = PgConnection::connect(std::string("host=") + host + " hostaddr=127.0.0.1 port=" +
                                      std::to_string(server.port()) +
                                      " user=fake_user dbname=fake_db connect_timeout=5 sslmode=require");
    ASSERT_TRUE(conn) << host << ": " << conn.error().to_string();
    conn->close();
    const auto seen = server.finish();
    ASSERT_TRUE(seen.client_hello_read) << host;
    EXPECT_EQ(seen.sni, std::nullopt) << host;
  }
}

// ---- sslcertmode ----

class SslCertMode : public FakeTls {
 protected:
  void SetUp() override {
    FakeTls::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    client_cert_ = TempCert::make("fake-tls-client");
    ASSERT_TRUE(client_cert_.ok()) << "pgstream-make-cert failed";
  }
  std::string with_cert(const std::string& mode) const {
    return "sslmode=require sslcertmode=" + mode + " sslcert=" + client_cert_.cert + " sslkey=" + client_cert_.key;
  }
  FakeTlsServer::Options asking() const {
    auto o = options();
    o.request_client_cert = true;
    return o;
  }
  TempCert client_cert_;
};

TEST_F(SslCertMode, DisableNeverSendsTheConfiguredCertificate) {
  FakeTlsServer server(asking());
  auto conn = PgConnection::connect(server.dsn(with_cert("disable")));
  ASSERT_TRUE(conn) << conn.error().to_string();
  conn->close();
  const auto seen = server.finish();
  EXPECT_TRUE(seen.handshake_ok) << seen.handshake_error;
  EXPECT_FALSE(seen.client_cert_received);
}

TEST_F(SslCertMode, AllowSendsTheConfiguredCertificateWhenAsked) {
  FakeTlsServer server(asking());
  auto conn = PgConnection::connect(server.dsn(with_cert("allow")));
  ASSERT_TRUE(conn) << conn.error().to_string();
  conn->close();
  const auto seen = server.finish();
  EXPECT_TRUE(seen.handshake_ok) << seen.handshake_error;
  EXPECT_TRUE(seen.client_cert_received);
}

TEST_F(SslCertMode, RequireConnectsWhenAskedAndSent) {
  FakeTlsServer server(asking());
  auto conn = PgConnection::connect(server.dsn(with_cert("require")));
  ASSERT_TRUE(conn) << conn.error().to_string();
  conn->close();
  EXPECT_TRUE(server.finish().client_cert_received);
}

TEST_F(SslCertMode, RequireFailsWhenTheFakeServerDoesNotAsk) {
  FakeTlsServer server(options());
  auto conn = PgConnection::connect(server.dsn(with_cert("require")));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::auth) << conn.error().to_string();
  EXPECT_EQ(conn.error().message(), "server did not request an SSL certificate (sslcertmode=require)");
  EXPECT_FALSE(server.finish().client_cert_received);
}

// libpq connects and then fails ("server accepted connection without a valid SSL certificate" or
// "server did not request an SSL certificate"); with nothing to send failure is certain, so
// pgstream says why before the handshake.
TEST_F(SslCertMode, RequireWithoutACertificateFailsBeforeTheHandshake) {
  if (has_home_client_cert()) GTEST_SKIP() << "~/.postgresql/postgresql.crt exists and would be sent";
  FakeTlsServer server(asking());
  auto conn = PgConnection::connect(server.dsn("sslmode=require sslcertmode=require"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::config) << conn.error().to_string();
  EXPECT_EQ(conn.error().message(), "sslcertmode=require needs a client certificate: set sslcert and sslkey");
  const auto seen = server.finish();
  EXPECT_FALSE(seen.handshake_ok);
  EXPECT_FALSE(seen.client_cert_received);
}

// The scratch server has no ssl_ca_file, so it never sends a CertificateRequest.
TEST_F(SslCertMode, RequireFailsAgainstTheScratchServer) {
  const auto& s = *TestServer::instance();
  const std::string base = "host=127.0.0.1 port=" + std::to_string(s.port()) +
                           " dbname=postgres user=" + s.get("PGSTREAM_TEST_TRUST_USER") + " connect_timeout=10 ";
  auto conn = PgConnection::connect(base + with_cert("require"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().message(), "server did not request an SSL certificate (sslcertmode=require)");
  // Without TLS nobody can ask for a certificate either (libpq says the same).
  auto plain = PgConnection::connect(base + "sslmode=disable sslcertmode=require");
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().message(), "server did not request an SSL certificate (sslcertmode=require)");
  // allow (the default) and disable connect.
  for (const char* mode : {"allow", "disable"}) {
    auto ok = PgConnection::connect(base + with_cert(mode));
    EXPECT_TRUE(ok) << mode << ": " << ok.error().to_string();
  }
}

// ---- sslcrl / sslcrldir: this wolfSSL has CRL support (HAVE_CRL); bad locations are errors ----

class SslCrl : public ::testing::Test {
 protected:
  void SetUp() override { PGSTREAM_REQUIRE_SERVER(); }
  std::string base() const {
    const auto& s = *TestServer::instance();
    return "host=localhost hostaddr=127.0.0.1 port=" + std::to_string(s.port()) + " dbname=postgres user=" +
           s.get("PGSTREAM_TEST_TRUST_USER") + " connect_timeout=10 sslmode=verify-full sslrootcert=" +
           s.ssl_root_cert() + " ";
  }
};

TEST_F(SslCrl, MissingCrlFileIsAnError) {
  auto conn = PgConnection::connect(base() + "sslcrl=/nonexistent/root.crl");
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::config) << conn.error().to_string();
  EXPECT_NE(conn.error().message().find("\"/nonexistent/root.crl\" (sslcrl)"), std::string::npos)
      << conn.error().message();
  EXPECT_EQ(conn.error().message().find('\n'), std::string::npos);
}

TEST_F(SslCrl, MissingCrlDirectoryIsAnError) {
  auto conn = PgConnection::connect(base() + "sslcrldir=/nonexistent/crls");
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::config) << conn.error().to_string();
  EXPECT_NE(conn.error().message().find("\"/nonexistent/crls\" (sslcrldir)"), std::string::npos)
      << conn.error().message();
}

TEST_F(SslCrl, FileThatIsNotACrlIsAnError) {
  // The root certificate is PEM, but not a CRL.
  auto conn = PgConnection::connect(base() + "sslcrl=" + TestServer::instance()->ssl_root_cert());
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::config) << conn.error().to_string();
  EXPECT_NE(conn.error().message().find("(sslcrl)"), std::string::npos) << conn.error().message();
}

class SslCrlRevocation : public FakeTls {
 protected:
  std::string crl(bool revoke_server, const std::string& name) {
    const std::string path = server_cert_.dir + "/" + name;
    const std::string err = write_test_crl(server_cert_.cert, server_cert_.key, revoke_server, path);
    EXPECT_EQ(err, "");
    return path;
  }
  std::string verify_full() const { return "sslmode=verify-full sslrootcert=" + server_cert_.cert + " "; }
};

TEST_F(SslCrlRevocation, CrlThatDoesNotListTheServerLetsItThrough) {
  const std::string file = crl(false, "empty.crl");
  FakeTlsServer server(options());
  auto conn = PgConnection::connect(server.dsn(verify_full() + "sslcrl=" + file));
  ASSERT_TRUE(conn) << conn.error().to_string();
  conn->close();
  EXPECT_TRUE(server.finish().handshake_ok);
}

TEST_F(SslCrlRevocation, RevokedServerCertificateIsRefused) {
  const std::string file = crl(true, "revoked.crl");
  FakeTlsServer server(options());
  auto conn = PgConnection::connect(server.dsn(verify_full() + "sslcrl=" + file));
  ASSERT_FALSE(conn) << "connected to a server whose certificate is revoked";
  EXPECT_EQ(conn.error().category(), ErrorCategory::tls) << conn.error().to_string();
  EXPECT_TRUE(conn.error().message().starts_with("server certificate verification failed")) << conn.error().message();
  EXPECT_EQ(conn.error().message().find('\n'), std::string::npos);
  EXPECT_TRUE(server.finish().startup.empty());
}

// libpq's directories hold OpenSSL-hashed names (HASH.r0); other files are skipped.
TEST_F(SslCrlRevocation, CrlDirectoryIsRead) {
  const std::string dir = server_cert_.dir + "/crls";
  std::filesystem::create_directories(dir);
  { std::ofstream(dir + "/README") << "not a CRL\n"; }
  (void)crl(true, "crls/5f3a9c01.r0");
  FakeTlsServer server(options());
  auto conn = PgConnection::connect(server.dsn(verify_full() + "sslcrldir=" + dir));
  ASSERT_FALSE(conn) << "connected to a server whose certificate is revoked";
  EXPECT_EQ(conn.error().category(), ErrorCategory::tls) << conn.error().to_string();
  EXPECT_TRUE(server.finish().startup.empty());
}

}  // namespace
}  // namespace pgstream::testing
