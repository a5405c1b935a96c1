// The blocking connection walks hosts and encryption choices by the same rules as the reactor
// (client/connect_plan.hpp), and keeps the server's reported parameters current after start-up.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "pgstream/client/pg_connection.hpp"
#include "support/fake_server.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

using namespace std::chrono_literals;
using client::PgConnection;

constexpr std::int32_t kFakePid = 4242;

int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return 1;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string real_dsn(const std::string& extra) {
  const auto& s = *TestServer::instance();
  return "host=127.0.0.1 port=" + std::to_string(s.port()) + " dbname=postgres user=" +
         s.get("PGSTREAM_TEST_TRUST_USER") + " sslmode=disable " + extra;
}

TEST(PgConnectionParameters, FollowParameterStatusAfterStartup) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = PgConnection::connect(real_dsn("application_name=before"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->parameter("application_name"), "before");
  ASSERT_TRUE(conn->simple_query("SET application_name = 'after'"));
  EXPECT_EQ(conn->parameter("application_name"), "after");
  ASSERT_TRUE(conn->simple_query("SET TimeZone = 'Pacific/Chatham'"));
  EXPECT_EQ(conn->parameter("TimeZone"), "Pacific/Chatham");
  // A SET rolled back reports the old value again.
  ASSERT_TRUE(conn->simple_query("BEGIN; SET application_name = 'inside'; ROLLBACK"));
  EXPECT_EQ(conn->parameter("application_name"), "after");
}

TEST(PgConnectionHosts, PreferRetriesPlainAfterAFailedHandshake) {
  std::int32_t second_code = 0;
  FakeServer server(std::vector<FakeServer::Script>{[](FakeConnection& c) {
                                                      if (!c.read_startup()) return;
                                                      c.send("S");
                                                      (void)c.read_exact(5);
                                                      c.send("HTTP/1.1 400 Bad Request\r\n\r\n");
                                                      c.close();
                                                    },
                                                    [&](FakeConnection& c) {
                                                      auto p = c.read_startup();
                                                      if (!p) return;
                                                      second_code = p->code;
                                                      c.send(fake::auth_ok() + fake::session_ready());
                                                      (void)c.wait_for_close(3s);
                                                    }});
  auto conn = PgConnection::connect(server.dsn("sslmode=prefer"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_FALSE(conn->encrypted());
  EXPECT_EQ(second_code, 196608);
}

TEST(PgConnectionHosts, SkipsADeadHost) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& s = *TestServer::instance();
  auto conn = PgConnection::connect("host=127.0.0.1,127.0.0.1 port=" + std::to_string(closed_port()) + "," +
                                    std::to_string(s.port()) + " dbname=postgres user=" +
                                    s.get("PGSTREAM_TEST_TRUST_USER") + " sslmode=disable connect_timeout=5");
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_NE(conn->session().backend_pid, kFakePid);
}

TEST(PgConnectionHosts, ReadWriteAsksAServerThatDoesNotReportItsState) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& s = *TestServer::instance();
  std::string asked;
  FakeServer old_standby([&](FakeConnection& c) {
    if (!c.accept_session()) return;
    auto q = c.read_query();
    if (!q) return;
    asked = *q;
    c.send(fake::query_result({"transaction_read_only"}, {{"on"}}, "SHOW"));
    (void)c.wait_for_close(3s);
  });
  auto conn = PgConnection::connect("host=127.0.0.1,127.0.0.1 port=" + std::to_string(old_standby.port()) + "," +
                                    std::to_string(s.port()) + " dbname=postgres user=" +
                                    s.get("PGSTREAM_TEST_TRUST_USER") +
                                    " sslmode=disable connect_timeout=5 target_session_attrs=read-write");
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_NE(conn->session().backend_pid, kFakePid);
  EXPECT_EQ(asked, "SHOW transaction_read_only");
}

TEST(PgConnectionHosts, AFailedAuthenticationEndsTheWalkAndTheErrorNamesEveryAttempt) {
  const int dead = closed_port();
  FakeServer refusing([](FakeConnection& c) {
    if (!c.read_startup()) return;
    c.send(fake::error_response("28P01", "password authentication failed for user \"fake_user\""));
    c.close();
  });
  FakeServer next([](FakeConnection& c) { (void)c.accept_session(); });
  auto conn = PgConnection::connect("host=127.0.0.1,127.0.0.1,127.0.0.1 port=" + std::to_string(dead) + "," +
                                    std::to_string(refusing.port()) + "," + std::to_string(next.port()) +
                                    " user=fake_user dbname=fake_db sslmode=disable connect_timeout=5");
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().sqlstate(), "28P01") << conn.error().to_string();
  const std::string& m = conn.error().message();
  EXPECT_NE(m.find(std::to_string(dead)), std::string::npos) << m;
  EXPECT_NE(m.find(std::to_string(refusing.port())), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_EQ(next.accepted(), 0u);
}

}  // namespace
}  // namespace pgstream::testing
