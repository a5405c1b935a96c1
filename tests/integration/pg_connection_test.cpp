// The blocking connection against the real scratch server: every auth method with the right and
// the wrong password, TCP and Unix socket, the sslmodes, channel binding, cancel.
#include "pgstream/client/pg_connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "pgstream/protocol/frontend.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

using client::AuthOutcome;
using client::PgConnection;

std::string tcp_dsn(const std::string& role, const std::string& password, const std::string& extra = "") {
  const auto& s = *TestServer::instance();
  std::string dsn = "host=127.0.0.1 port=" + std::to_string(s.port()) + " dbname=postgres user=" +
                    s.get("PGSTREAM_TEST_" + role + "_USER");
  if (!password.empty()) dsn += " password='" + password + "'";
  return dsn + " " + extra;
}

std::string password_of(const std::string& role) { return TestServer::instance()->get("PGSTREAM_TEST_" + role + "_PASSWORD"); }

std::string select_one(PgConnection& conn) {
  auto r = conn.simple_query("SELECT 40 + 2");
  EXPECT_TRUE(r) << r.error().to_string();
  return r && !r->rows.empty() ? r->rows[0][0].value_or("NULL") : "";
}

struct MethodCase {
  const char* role;
  AuthOutcome expected;
};

void PrintTo(const MethodCase& c, std::ostream* os) { *os << c.role; }

class AuthMethod : public ::testing::TestWithParam<MethodCase> {};

TEST_P(AuthMethod, ConnectsWithTheRightPasswordOverTcp) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& c = GetParam();
  auto conn = PgConnection::connect(tcp_dsn(c.role, password_of(c.role), "sslmode=disable"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->session().auth, c.expected);
  EXPECT_EQ(select_one(*conn), "42");
  EXPECT_FALSE(conn->parameter("server_version").empty());
  EXPECT_NE(conn->session().backend_pid, 0);
  EXPECT_EQ(conn->session().cancel_key.size(), 4u);
}

TEST_P(AuthMethod, RefusesTheWrongPasswordWith28P01) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& c = GetParam();
  auto conn = PgConnection::connect(tcp_dsn(c.role, "not-the-password", "sslmode=disable"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::server);
  EXPECT_EQ(conn.error().sqlstate(), "28P01") << conn.error().to_string();
  EXPECT_EQ(conn.error().message().find("not-the-password"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Scratch, AuthMethod,
                         ::testing::Values(MethodCase{"PASSWORD", AuthOutcome::cleartext},
                                           MethodCase{"MD5", AuthOutcome::md5},
                                           MethodCase{"SCRAM", AuthOutcome::scram_sha_256}),
                         [](const auto& param_info) { return std::string(param_info.param.role); });

TEST(PgConnection, TrustNeedsNoPassword) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = PgConnection::connect(tcp_dsn("TRUST", "", "sslmode=disable"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->session().auth, AuthOutcome::trust);
  EXPECT_EQ(select_one(*conn), "42");
}

TEST(PgConnection, ConnectsOverTheUnixSocket) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& s = *TestServer::instance();
  auto conn = PgConnection::connect("host=" + s.socket_dir() + " port=" + std::to_string(s.port()) +
                                    " dbname=postgres user=" + s.get("PGSTREAM_TEST_SCRAM_USER") + " password=" +
                                    password_of("SCRAM"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_FALSE(conn->encrypted());
  EXPECT_EQ(select_one(*conn), "42");
}

TEST(PgConnection, ScramOverTlsUsesChannelBinding) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = PgConnection::connect(tcp_dsn("SCRAM", password_of("SCRAM"),
                                            "sslmode=verify-full channel_binding=require sslrootcert=" +
                                                TestServer::instance()->ssl_root_cert()));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_TRUE(conn->encrypted());
  EXPECT_EQ(conn->session().auth, AuthOutcome::scram_sha_256_plus);
  EXPECT_EQ(select_one(*conn), "42");
}

TEST(PgConnection, ChannelBindingRequireFailsWithoutTls) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = PgConnection::connect(tcp_dsn("SCRAM", password_of("SCRAM"), "sslmode=disable channel_binding=require"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::auth);
  EXPECT_NE(conn.error().message().find("channel binding required"), std::string::npos) << conn.error().message();
}

TEST(PgConnection, HostsslRoleNeedsTls) {
  PGSTREAM_REQUIRE_SERVER();
  auto plain = PgConnection::connect(tcp_dsn("SSL", password_of("SSL"), "sslmode=disable"));
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().sqlstate(), "28000");
  auto preferred = PgConnection::connect(tcp_dsn("SSL", password_of("SSL"), "sslmode=prefer"));
  ASSERT_TRUE(preferred) << preferred.error().to_string();
  EXPECT_TRUE(preferred->encrypted());
  // allow: plain first, refused by pg_hba, then TLS.
  auto allowed = PgConnection::connect(tcp_dsn("SSL", password_of("SSL"), "sslmode=allow"));
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  EXPECT_TRUE(allowed->encrypted());
}

TEST(PgConnection, VerifyFullRefusesAWrongHostName) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& s = *TestServer::instance();
  auto conn = PgConnection::connect("host=localhost hostaddr=127.0.0.1 port=" + std::to_string(s.port()) +
                                    " dbname=postgres user=" + s.get("PGSTREAM_TEST_TRUST_USER") +
                                    " sslmode=verify-full sslrootcert=" + s.ssl_root_cert());
  ASSERT_TRUE(conn) << conn.error().to_string();  // the certificate names localhost
  auto wrong = PgConnection::connect("host=db.example.com hostaddr=127.0.0.1 port=" + std::to_string(s.port()) +
                                     " dbname=postgres user=" + s.get("PGSTREAM_TEST_TRUST_USER") +
                                     " sslmode=verify-full sslrootcert=" + s.ssl_root_cert());
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().category(), ErrorCategory::tls);
}

TEST(PgConnection, StartupErrorCarriesSqlstate) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = PgConnection::connect(tcp_dsn("TRUST", "", "sslmode=disable dbname=no_such_database"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().sqlstate(), "3D000") << conn.error().to_string();
}

TEST(PgConnection, QueryErrorLeavesTheConnectionUsable) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = PgConnection::connect(tcp_dsn("TRUST", "", "sslmode=disable"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  auto bad = conn->simple_query("SELECT 1/0");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().sqlstate(), "22012");
  EXPECT_EQ(select_one(*conn), "42");
}

TEST(PgConnection, CancelStopsARunningQuery) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = PgConnection::connect(tcp_dsn("TRUST", "", "sslmode=disable"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  const auto start = std::chrono::steady_clock::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto r = conn->cancel();
    EXPECT_TRUE(r) << r.error().to_string();
  });
  auto r = conn->simple_query("SELECT pg_sleep(10)");
  canceller.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sqlstate(), "57014");
  // 57014 already proves the cancel; the bound only shows the sleep did not run out (10 s),
  // with slack for a loaded 2-core CI machine.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
}

TEST(PgConnection, CopyInLoadsRows) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = PgConnection::connect(tcp_dsn("TRUST", "", "sslmode=disable"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  ASSERT_TRUE(conn->simple_query("CREATE TEMP TABLE copy_target(a int, b text)"));
  const std::string data = "1\tone\n2\t\\N\n3\tthree\n";
  auto n = conn->copy_in("COPY copy_target FROM STDIN", std::as_bytes(std::span(data)));
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, 3u);
  auto rows = conn->simple_query("SELECT count(*), count(b) FROM copy_target");
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->rows[0][0], "3");
  EXPECT_EQ(rows->rows[0][1], "2");
}

}  // namespace
}  // namespace pgstream::testing
