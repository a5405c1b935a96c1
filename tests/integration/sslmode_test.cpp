// Every sslmode against the scratch server with ssl = on and the second one with ssl = off, as
// libpq documents them (https://www.postgresql.org/docs/current/libpq-ssl.html, table "SSL Mode
// Descriptions"): disable never encrypts; allow tries plain first; prefer tries TLS first and
// falls back to plain; require, verify-ca and verify-full insist on TLS, the last two also
// verifying the chain and the host name. The encryption is checked from both ends: the client's
// view and the server's pg_stat_ssl.
//
// Against the ssl = off server, psql 15.18 (checked by hand) gives "server does not support SSL,
// but SSL was required" for require, verify-ca and verify-full, and connects without TLS for
// disable, allow and prefer; pgstream matches, message included.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "pgstream/client/pg_connection.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

using client::PgConnection;

enum class Server { ssl_on, ssl_off };
enum class Root { none, scratch_ca, other_ca };
enum class Expect { plain, tls, error };

struct SslCase {
  const char* name;
  Server server;
  const char* sslmode;
  Root root;
  Expect expect;
  ErrorCategory category = ErrorCategory::tls;  // when expect == error
  const char* message_part = "";                // when expect == error
  const char* host = "localhost";               // connects to 127.0.0.1 whatever the name
};

void PrintTo(const SslCase& c, std::ostream* os) { *os << c.name; }

const TestServer* server_for(Server s) {
  const auto& server = s == Server::ssl_on ? TestServer::instance() : TestServer::nossl_instance();
  return server ? &*server : nullptr;
}

// A CA the scratch server's certificate does not come from, made once with the same tool and
// removed when the test process ends.
std::string other_ca() {
  struct TempCa {
    std::filesystem::path dir;
    std::string root;
    ~TempCa() {
      std::error_code ec;
      if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
  };
  static const TempCa ca = [] {
    TempCa t;
    t.dir = std::filesystem::temp_directory_path() / ("pgstream-other-ca-" + std::to_string(::getpid()));
    std::filesystem::create_directories(t.dir);
    const std::string cmd =
        TestServer::instance()->get("PGSTREAM_TEST_MAKE_CERT") + " " + t.dir.string() + " > /dev/null";
    if (std::system(cmd.c_str()) == 0) t.root = (t.dir / "root.crt").string();
    return t;
  }();
  return ca.root;
}

class SslMode : public ::testing::TestWithParam<SslCase> {};

TEST_P(SslMode, BehavesAsLibpqDocuments) {
  PGSTREAM_REQUIRE_SERVER();
  PGSTREAM_REQUIRE_NOSSL_SERVER();
  const SslCase& c = GetParam();
  // libpq (and pgstream) read ~/.postgresql/root.crt when no sslrootcert is given, which would
  // turn require into verify-ca here.
  if (const char* home = std::getenv("HOME"); home && std::filesystem::exists(std::string(home) + "/.postgresql/root.crt"))
    GTEST_SKIP() << "~/.postgresql/root.crt exists and changes what require means";
  const TestServer& server = *server_for(c.server);
  std::string dsn = "host=" + std::string(c.host) + " hostaddr=127.0.0.1 port=" + std::to_string(server.port()) +
                    " dbname=postgres user=" + server.get("PGSTREAM_TEST_TRUST_USER") + " sslmode=" + c.sslmode +
                    " connect_timeout=10";
  if (c.root == Root::scratch_ca) dsn += " sslrootcert=" + TestServer::instance()->ssl_root_cert();
  if (c.root == Root::other_ca) {
    const std::string other = other_ca();
    ASSERT_FALSE(other.empty()) << "could not make a second CA";
    dsn += " sslrootcert=" + other;
  }

  auto conn = PgConnection::connect(dsn);
  if (c.expect == Expect::error) {
    ASSERT_FALSE(conn) << "connected, encrypted=" << conn->encrypted();
    EXPECT_EQ(conn.error().category(), c.category) << conn.error().to_string();
    EXPECT_NE(conn.error().message().find(c.message_part), std::string::npos) << conn.error().message();
    EXPECT_EQ(conn.error().message().find('\n'), std::string::npos) << conn.error().message();
    return;
  }
  ASSERT_TRUE(conn) << conn.error().to_string();
  const bool want_tls = c.expect == Expect::tls;
  EXPECT_EQ(conn->encrypted(), want_tls);
  EXPECT_EQ(conn->tls_version().empty(), !want_tls) << conn->tls_version();
  auto ssl = conn->simple_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  ASSERT_TRUE(ssl) << ssl.error().to_string();
  ASSERT_EQ(ssl->rows.size(), 1u);
  EXPECT_EQ(ssl->rows[0][0], want_tls ? "t" : "f");  // the server agrees
}

constexpr auto kOn = Server::ssl_on;
constexpr auto kOff = Server::ssl_off;
constexpr const char* kNoSsl = "server does not support SSL, but SSL was required";

INSTANTIATE_TEST_SUITE_P(
    Matrix, SslMode,
    ::testing::Values(
        // ssl = on
        SslCase{"on_disable", kOn, "disable", Root::none, Expect::plain},
        SslCase{"on_allow", kOn, "allow", Root::none, Expect::plain},  // plain succeeds first
        SslCase{"on_prefer", kOn, "prefer", Root::none, Expect::tls},
        SslCase{"on_require", kOn, "require", Root::none, Expect::tls},  // no CA: not verified
        SslCase{"on_require_checks_a_given_ca", kOn, "require", Root::other_ca, Expect::error, ErrorCategory::tls},
        SslCase{"on_verify_ca", kOn, "verify-ca", Root::scratch_ca, Expect::tls},
        // The certificate names localhost and 127.0.0.1; verify-ca does not look at names.
        SslCase{"on_verify_ca_any_name", kOn, "verify-ca", Root::scratch_ca, Expect::tls, ErrorCategory::tls, "",
                "db.example.com"},
        SslCase{"on_verify_ca_unknown_ca", kOn, "verify-ca", Root::other_ca, Expect::error, ErrorCategory::tls},
        SslCase{"on_verify_ca_no_root", kOn, "verify-ca", Root::none, Expect::error, ErrorCategory::config,
                "root certificate"},
        SslCase{"on_verify_full", kOn, "verify-full", Root::scratch_ca, Expect::tls},
        SslCase{"on_verify_full_wrong_name", kOn, "verify-full", Root::scratch_ca, Expect::error, ErrorCategory::tls,
                "", "db.example.com"},
        SslCase{"on_verify_full_unknown_ca", kOn, "verify-full", Root::other_ca, Expect::error, ErrorCategory::tls},
        // ssl = off
        SslCase{"off_disable", kOff, "disable", Root::none, Expect::plain},
        SslCase{"off_allow", kOff, "allow", Root::none, Expect::plain},
        SslCase{"off_prefer", kOff, "prefer", Root::none, Expect::plain},  // 'N', then plain
        SslCase{"off_require", kOff, "require", Root::none, Expect::error, ErrorCategory::tls, kNoSsl},
        SslCase{"off_verify_ca", kOff, "verify-ca", Root::scratch_ca, Expect::error, ErrorCategory::tls, kNoSsl},
        SslCase{"off_verify_full", kOff, "verify-full", Root::scratch_ca, Expect::error, ErrorCategory::tls, kNoSsl},
        // libpq only looks for the root certificate once the server agreed to TLS, so against
        // this server psql says kNoSsl; pgstream checks its configuration before connecting and
        // names the missing file. Both refuse; the message differs on purpose.
        SslCase{"off_verify_ca_no_root", kOff, "verify-ca", Root::none, Expect::error, ErrorCategory::config,
                "root certificate"}),
    [](const auto& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace pgstream::testing
