// The reactor opens connections as libpq does (and as the blocking connection): sslmode=prefer
// retries without TLS after a failed handshake, sslmode=allow retries with TLS after the server
// refused the plain session, several hosts are tried in order (each address, each with its own
// connect_timeout) until one fits target_session_attrs, and the final error names every attempt.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/uring/connection.hpp"
#include "pgstream/uring/reactor.hpp"
#include "support/fake_server.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::int32_t kSslRequest = 80877103;
constexpr std::int32_t kV30 = 196608;
constexpr std::int32_t kFakePid = 4242;  // fake::session_ready()'s BackendKeyData

struct Opened {
  std::optional<Error> error;
  bool encrypted = false;
  client::SessionInfo session;
};

// Opens one reactor connection and runs until it is ready or closed.
Opened open_through_reactor(const std::string& dsn) {
  Opened out;
  auto builder = client::ConnectionBuilder::from_conninfo(dsn);
  if (!builder) {
    out.error = builder.error();
    return out;
  }
  uring::ReactorOptions ro;
  ro.max_connections = 1;
  auto reactor = uring::Reactor::create(ro);
  if (!reactor) {
    out.error = reactor.error();
    return out;
  }
  bool ready = false;
  uring::ConnectionEvents ev;
  ev.on_ready = [&](uring::Connection& c) {
    ready = true;
    out.encrypted = c.encrypted();
    out.session = c.session();
  };
  ev.on_closed = [&](uring::Connection&, const Error& e) { out.error = e; };
  auto c = (*reactor)->open(*builder, ev);
  if (!c) {
    out.error = c.error();
    return out;
  }
  for (int i = 0; i < 400 && !ready && !out.error; ++i)
    if (auto r = (*reactor)->run_once(50ms); !r) out.error = r.error();
  if (!ready && !out.error) out.error = Error(ErrorCategory::timeout, "neither ready nor closed");
  return out;
}

// A TCP port on 127.0.0.1 with nothing listening: connecting is refused at once.
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
  ::close(fd);  // bound, never listened: the port is free and refuses connections
  return ntohs(a.sin_port);
}

std::string real_user() { return TestServer::instance()->get("PGSTREAM_TEST_TRUST_USER"); }
int real_port() { return TestServer::instance()->port(); }

// A session as a read-only standby (Postgres 14+ reports both at start-up).
FakeServer::Script standby_script() {
  return [](FakeConnection& c) {
    if (!c.read_startup()) return;
    c.send(fake::auth_ok() + fake::parameter_status("default_transaction_read_only", "on") +
           fake::parameter_status("in_hot_standby", "on") + fake::session_ready());
    (void)c.wait_for_close(3s);
  };
}

// ---- sslmode ----

// Answers SSLRequest with 'S', then sends `after` where the TLS handshake should be and closes.
FakeServer::Script broken_tls_script(std::int32_t& first_code, std::string after) {
  return [&first_code, after](FakeConnection& c) {
    auto p = c.read_startup();
    if (!p) return;
    first_code = p->code;
    c.send("S");
    (void)c.read_exact(5);  // the ClientHello's record header
    if (!after.empty()) c.send(after);
    c.close();
  };
}

struct BrokenHandshake {
  const char* name;
  const char* after;
};
void PrintTo(const BrokenHandshake& b, std::ostream* os) { *os << b.name; }

class ReactorPreferFallback : public ::testing::TestWithParam<BrokenHandshake> {};

TEST_P(ReactorPreferFallback, RetriesThePlainSessionAfterAFailedHandshake) {
  std::int32_t first_code = 0;
  std::int32_t second_code = 0;
  FakeServer server(std::vector<FakeServer::Script>{broken_tls_script(first_code, GetParam().after),
                                                    [&](FakeConnection& c) {
                                                      auto p = c.read_startup();
                                                      if (!p) return;
                                                      second_code = p->code;
                                                      c.send(fake::auth_ok() + fake::session_ready());
                                                      (void)c.wait_for_close(3s);
                                                    }});
  auto opened = open_through_reactor(server.dsn("sslmode=prefer"));
  ASSERT_FALSE(opened.error) << opened.error->to_string();
  EXPECT_FALSE(opened.encrypted);
  EXPECT_EQ(first_code, kSslRequest);
  EXPECT_EQ(second_code, kV30);
  EXPECT_EQ(server.accepted(), 2u);
}

TEST_P(ReactorPreferFallback, RequireDoesNotRetry) {
  std::int32_t first_code = 0;
  FakeServer server(std::vector<FakeServer::Script>{broken_tls_script(first_code, GetParam().after),
                                                    [](FakeConnection&) {}});
  auto opened = open_through_reactor(server.dsn("sslmode=require"));
  ASSERT_TRUE(opened.error);
  EXPECT_NE(opened.error->category(), ErrorCategory::timeout) << opened.error->to_string();
  EXPECT_EQ(server.accepted(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Handshakes, ReactorPreferFallback,
                         ::testing::Values(BrokenHandshake{"garbage_records", "HTTP/1.1 400 Bad Request\r\n\r\n"},
                                           BrokenHandshake{"closed_mid_handshake", ""}),
                         [](const auto& i) { return std::string(i.param.name); });

TEST(ReactorSslMode, AllowRetriesWithTlsWhenTheServerRefusesPlain) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& s = *TestServer::instance();
  // The scratch server's pg_hba takes this role only over TLS (hostssl): plain gets FATAL 28000.
  const std::string dsn = "host=127.0.0.1 port=" + std::to_string(s.port()) + " dbname=postgres user=" +
                          s.get("PGSTREAM_TEST_SSL_USER") + " password='" + s.get("PGSTREAM_TEST_SSL_PASSWORD") +
                          "' connect_timeout=10 ";
  auto plain = open_through_reactor(dsn + "sslmode=disable");
  ASSERT_TRUE(plain.error);
  EXPECT_EQ(plain.error->sqlstate(), "28000") << plain.error->to_string();

  auto allowed = open_through_reactor(dsn + "sslmode=allow");
  ASSERT_FALSE(allowed.error) << allowed.error->to_string();
  EXPECT_TRUE(allowed.encrypted);
}

TEST(ReactorSslMode, AllowGivesUpWhenTheTlsRetryIsRefusedToo) {
  // Plain refused with 28000, then the retry's SSLRequest answered 'N': two attempts, one error.
  FakeServer server(std::vector<FakeServer::Script>{
      [](FakeConnection& c) {
        auto p = c.read_startup();
        EXPECT_TRUE(p && p->code == kV30);
        c.send(fake::error_response("28000", "no pg_hba.conf entry for host \"127.0.0.1\", no encryption"));
        c.close();
      },
      [](FakeConnection& c) {
        auto p = c.read_startup();
        EXPECT_TRUE(p && p->code == kSslRequest);
        c.send("N");
        (void)c.wait_for_close(3s);
      }});
  auto opened = open_through_reactor(server.dsn("sslmode=allow"));
  ASSERT_TRUE(opened.error);
  EXPECT_EQ(opened.error->category(), ErrorCategory::tls) << opened.error->to_string();
  EXPECT_NE(opened.error->message().find("no pg_hba.conf entry"), std::string::npos) << opened.error->message();
  EXPECT_NE(opened.error->message().find("server does not support SSL"), std::string::npos) << opened.error->message();
  EXPECT_EQ(opened.error->message().find('\n'), std::string::npos);
  EXPECT_EQ(server.accepted(), 2u);
}

// ---- several hosts ----

TEST(ReactorHosts, SkipsADeadHostAndConnectsToTheNext) {
  PGSTREAM_REQUIRE_SERVER();
  const int dead = closed_port();
  auto opened = open_through_reactor("host=127.0.0.1,127.0.0.1 port=" + std::to_string(dead) + "," +
                                     std::to_string(real_port()) + " dbname=postgres user=" + real_user() +
                                     " sslmode=disable connect_timeout=5");
  ASSERT_FALSE(opened.error) << opened.error->to_string();
  EXPECT_NE(opened.session.backend_pid, 0);
  EXPECT_FALSE(opened.session.parameters.at("server_version").empty());
}

TEST(ReactorHosts, TheFinalErrorNamesEveryHostTriedOnOneLine) {
  const int a = closed_port();
  const int b = closed_port();
  auto opened = open_through_reactor("host=127.0.0.1,localhost port=" + std::to_string(a) + "," + std::to_string(b) +
                                     " dbname=postgres user=nobody sslmode=disable connect_timeout=5");
  ASSERT_TRUE(opened.error);
  const std::string& m = opened.error->message();
  EXPECT_NE(m.find("127.0.0.1:" + std::to_string(a)), std::string::npos) << m;
  EXPECT_NE(m.find(":" + std::to_string(b)), std::string::npos) << m;
  EXPECT_NE(m.find("localhost"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

TEST(ReactorHosts, ConnectTimeoutBoundsEachAttemptNotTheWhole) {
  PGSTREAM_REQUIRE_SERVER();
  // The first host accepts and then says nothing: its attempt times out, the second host is tried.
  FakeServer silent([](FakeConnection& c) { (void)c.read_startup(); (void)c.wait_for_close(5s); });
  auto builder = client::ConnectionBuilder::from_conninfo(
      "host=127.0.0.1,127.0.0.1 port=" + std::to_string(silent.port()) + "," + std::to_string(real_port()) +
      " dbname=postgres user=" + real_user() + " sslmode=disable");
  ASSERT_TRUE(builder);
  // Long enough for a real start-up while another test opens 200 connections to the same server
  // on a 2-core CI machine (300 ms and 1 s were not).
  builder->connect_timeout(3s);
  uring::ReactorOptions ro;
  auto reactor = uring::Reactor::create(ro);
  ASSERT_TRUE(reactor);
  bool ready = false;
  std::optional<Error> closed;
  uring::ConnectionEvents ev;
  ev.on_ready = [&](uring::Connection&) { ready = true; };
  ev.on_closed = [&](uring::Connection&, const Error& e) { closed = e; };
  ASSERT_TRUE((*reactor)->open(*builder, ev));
  for (int i = 0; i < 200 && !ready && !closed; ++i) ASSERT_TRUE((*reactor)->run_once(50ms));
  EXPECT_TRUE(ready) << (closed ? closed->to_string() : "neither ready nor closed");
  EXPECT_EQ(silent.accepted(), 1u);
}

TEST(ReactorHosts, AServerThatRefusesTheSessionEndsTheWalk) {
  // As libpq: once a server has answered and refused (here a failed authentication), the other
  // hosts are not tried.
  FakeServer refusing([](FakeConnection& c) {
    if (!c.read_startup()) return;
    c.send(fake::error_response("28P01", "password authentication failed for user \"fake_user\""));
    c.close();
  });
  FakeServer next([](FakeConnection& c) { (void)c.accept_session(); });
  auto opened = open_through_reactor("host=127.0.0.1,127.0.0.1 port=" + std::to_string(refusing.port()) + "," +
                                     std::to_string(next.port()) +
                                     " user=fake_user dbname=fake_db sslmode=disable connect_timeout=5");
  ASSERT_TRUE(opened.error);
  EXPECT_EQ(opened.error->sqlstate(), "28P01") << opened.error->to_string();
  EXPECT_EQ(next.accepted(), 0u);
}

TEST(ReactorHosts, ReadWriteSkipsAStandbyThatSaysSoAtStartup) {
  PGSTREAM_REQUIRE_SERVER();
  FakeServer standby(standby_script());
  auto opened = open_through_reactor("host=127.0.0.1,127.0.0.1 port=" + std::to_string(standby.port()) + "," +
                                     std::to_string(real_port()) + " dbname=postgres user=" + real_user() +
                                     " sslmode=disable connect_timeout=5 target_session_attrs=read-write");
  ASSERT_FALSE(opened.error) << opened.error->to_string();
  EXPECT_NE(opened.session.backend_pid, kFakePid);  // the real server
  EXPECT_EQ(opened.session.parameters.at("default_transaction_read_only"), "off");
  EXPECT_EQ(standby.accepted(), 1u);
}

TEST(ReactorHosts, ReadOnlySkipsAPrimaryAndTakesTheStandby) {
  PGSTREAM_REQUIRE_SERVER();
  FakeServer standby(standby_script());
  auto opened = open_through_reactor("host=127.0.0.1,127.0.0.1 port=" + std::to_string(real_port()) + "," +
                                     std::to_string(standby.port()) + " dbname=postgres user=" + real_user() +
                                     " sslmode=disable connect_timeout=5 target_session_attrs=read-only");
  ASSERT_FALSE(opened.error) << opened.error->to_string();
  EXPECT_EQ(opened.session.backend_pid, kFakePid);
}

TEST(ReactorHosts, ReadWriteAsksAServerThatDoesNotReportItsState) {
  PGSTREAM_REQUIRE_SERVER();
  // A server older than 14 reports neither setting: the client asks, as libpq does.
  std::string asked;
  FakeServer old_standby([&](FakeConnection& c) {
    if (!c.accept_session()) return;
    auto q = c.read_query();
    if (!q) return;
    asked = *q;
    c.send(fake::query_result({"transaction_read_only"}, {{"on"}}, "SHOW"));
    (void)c.wait_for_close(3s);
  });
  auto opened = open_through_reactor("host=127.0.0.1,127.0.0.1 port=" + std::to_string(old_standby.port()) + "," +
                                     std::to_string(real_port()) + " dbname=postgres user=" + real_user() +
                                     " sslmode=disable connect_timeout=5 target_session_attrs=read-write");
  ASSERT_FALSE(opened.error) << opened.error->to_string();
  EXPECT_NE(opened.session.backend_pid, kFakePid);
  EXPECT_EQ(asked, "SHOW transaction_read_only");
}

TEST(ReactorHosts, StandbyAsksPgIsInRecoveryAndTakesTheAnswer) {
  std::string asked;
  FakeServer old_standby([&](FakeConnection& c) {
    if (!c.accept_session()) return;
    auto q = c.read_query();
    if (!q) return;
    asked = *q;
    c.send(fake::query_result({"pg_is_in_recovery"}, {{"t"}}, "SELECT 1"));
    (void)c.wait_for_close(3s);
  });
  auto opened = open_through_reactor(old_standby.dsn("target_session_attrs=standby"));
  ASSERT_FALSE(opened.error) << opened.error->to_string();
  EXPECT_EQ(opened.session.backend_pid, kFakePid);
  EXPECT_EQ(asked, "SELECT pg_catalog.pg_is_in_recovery()");
}

TEST(ReactorHosts, PreferStandbyTakesAPrimaryWhenThereIsNoStandby) {
  PGSTREAM_REQUIRE_SERVER();
  const int dead = closed_port();
  auto opened = open_through_reactor("host=127.0.0.1,127.0.0.1 port=" + std::to_string(dead) + "," +
                                     std::to_string(real_port()) + " dbname=postgres user=" + real_user() +
                                     " sslmode=disable connect_timeout=5 target_session_attrs=prefer-standby");
  ASSERT_FALSE(opened.error) << opened.error->to_string();
  EXPECT_EQ(opened.session.parameters.at("in_hot_standby"), "off");
}

TEST(ReactorHosts, NoHostFitsTheTarget) {
  PGSTREAM_REQUIRE_SERVER();
  auto opened = open_through_reactor("host=127.0.0.1 port=" + std::to_string(real_port()) + " dbname=postgres user=" +
                                     real_user() + " sslmode=disable connect_timeout=5 target_session_attrs=standby");
  ASSERT_TRUE(opened.error);
  EXPECT_NE(opened.error->message().find("target_session_attrs=standby"), std::string::npos)
      << opened.error->message();
}

TEST(ReactorHosts, LoadBalanceRandomReachesEveryHost) {
  // Two fakes, many connects: with load_balance_hosts=random both are chosen first sometimes
  // (the chance that 40 draws all pick the same one is 2^-39).
  constexpr int kRounds = 40;
  std::vector<FakeServer::Script> scripts(kRounds, [](FakeConnection& c) { (void)c.accept_session(); });
  FakeServer a(scripts);
  FakeServer b(scripts);
  for (int i = 0; i < kRounds; ++i) {
    auto opened = open_through_reactor("host=127.0.0.1,127.0.0.1 port=" + std::to_string(a.port()) + "," +
                                       std::to_string(b.port()) +
                                       " user=fake_user dbname=fake_db sslmode=disable load_balance_hosts=random");
    ASSERT_FALSE(opened.error) << opened.error->to_string();
  }
  EXPECT_GT(a.accepted(), 0u);
  EXPECT_GT(b.accepted(), 0u);
  EXPECT_EQ(a.accepted() + b.accepted(), static_cast<std::size_t>(kRounds));
}

}  // namespace
}  // namespace pgstream::testing
