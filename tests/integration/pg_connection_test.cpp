// The blocking connection against the real scratch server: every auth method with the right and
// the wrong password, TCP and Unix socket (trust too), the sslmodes, channel binding, cancel.
#include "pgstream/client/pg_connection.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <tuple>

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

// The same role over the scratch server's Unix socket (pg_hba has a `local` line for each role).
// No sslmode: as libpq, a socket connection never tries TLS, so the default (prefer) is plain.
std::string unix_dsn(const std::string& role, const std::string& password) {
  const auto& s = *TestServer::instance();
  std::string dsn = "host=" + s.socket_dir() + " port=" + std::to_string(s.port()) +
                    " dbname=postgres user=" + s.get("PGSTREAM_TEST_" + role + "_USER");
  if (!password.empty()) dsn += " password='" + password + "'";
  return dsn;
}

enum class Transport { tcp, unix_socket };

void PrintTo(Transport t, std::ostream* os) { *os << (t == Transport::tcp ? "tcp" : "unix socket"); }

std::string dsn_over(Transport t, const std::string& role, const std::string& password) {
  return t == Transport::tcp ? tcp_dsn(role, password, "sslmode=disable") : unix_dsn(role, password);
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

class AuthMethod : public ::testing::TestWithParam<std::tuple<MethodCase, Transport>> {};

TEST_P(AuthMethod, ConnectsWithTheRightPassword) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& [c, transport] = GetParam();
  auto conn = PgConnection::connect(dsn_over(transport, c.role, password_of(c.role)));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->session().auth, c.expected);
  EXPECT_FALSE(conn->encrypted());
  EXPECT_EQ(select_one(*conn), "42");
  EXPECT_FALSE(conn->parameter("server_version").empty());
  EXPECT_NE(conn->session().backend_pid, 0);
  EXPECT_EQ(conn->session().cancel_key.size(), 4u);
}

TEST_P(AuthMethod, RefusesTheWrongPasswordWith28P01) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& [c, transport] = GetParam();
  auto conn = PgConnection::connect(dsn_over(transport, c.role, "not-the-password"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::server);
  EXPECT_EQ(conn.error().sqlstate(), "28P01") << conn.error().to_string();
  EXPECT_EQ(conn.error().message().find("not-the-password"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Scratch, AuthMethod,
                         ::testing::Combine(::testing::Values(MethodCase{"PASSWORD", AuthOutcome::cleartext},
                                                              MethodCase{"MD5", AuthOutcome::md5},
                                                              MethodCase{"SCRAM", AuthOutcome::scram_sha_256}),
                                            ::testing::Values(Transport::tcp, Transport::unix_socket)),
                         [](const auto& param_info) {
                           return std::string(std::get<0>(param_info.param).role) +
                                  (std::get<1>(param_info.param) == Transport::tcp ? "_Tcp" : "_UnixSocket");
                         });

class TrustMethod : public ::testing::TestWithParam<Transport> {};

TEST_P(TrustMethod, NeedsNoPassword) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = PgConnection::connect(dsn_over(GetParam(), "TRUST", ""));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->session().auth, AuthOutcome::trust);
  EXPECT_EQ(select_one(*conn), "42");
}

INSTANTIATE_TEST_SUITE_P(Scratch, TrustMethod, ::testing::Values(Transport::tcp, Transport::unix_socket),
                         [](const auto& param_info) {
                           return std::string(param_info.param == Transport::tcp ? "Tcp" : "UnixSocket");
                         });

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
  using Clock = std::chrono::steady_clock;
  auto conn = PgConnection::connect(tcp_dsn("TRUST", "", "sslmode=disable"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  std::atomic<Clock::rep> cancel_called{0};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel_called = Clock::now().time_since_epoch().count();
    auto r = conn->cancel();
    EXPECT_TRUE(r) << r.error().to_string();
  });
  auto r = conn->simple_query("SELECT pg_sleep(10)");
  const auto errored = Clock::now();
  canceller.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sqlstate(), "57014");
  const auto took = errored - Clock::time_point(Clock::duration(cancel_called.load()));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  std::cout << "cancel(): " << ms << " ms from the call to the 57014 error (issue 5 asks within 1000 ms)\n";
  RecordProperty("cancel_to_error_ms", std::to_string(ms));
  // 57014 already proves the cancel stopped the sleep. The "within a second" is shown by the
  // line printed above, not asserted: the project has no timed assertions, since a 2 s bound once
  // failed on a loaded 2-core CI machine. The bound below is only a sanity check, far under the
  // sleep's 10 s, that the error did not come from the query running out.
  EXPECT_LT(took, std::chrono::seconds(5));
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
