// PgConnection against a fake server (support/fake_server.hpp) for what a real Postgres 15 will
// not do: hostile or broken servers (wrong SCRAM signature, lying frame lengths, truncated frames,
// endless notices, silence, garbage instead of an SSL answer) must give a clean one-line error
// quickly; and protocol features Postgres 15 lacks (OAUTHBEARER, GSS token exchange, protocol 3.2
// with long cancel keys, NegotiateProtocolVersion) must put the exact bytes on the wire.
// No scratch server needed.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>

#include "pgstream/auth/base64.hpp"
#include "pgstream/client/pg_connection.hpp"
#include "support/fake_server.hpp"
#include "support/scram_server.hpp"

namespace pgstream::testing {
namespace {

using namespace std::chrono_literals;
using client::AuthOutcome;
using client::ConnectionBuilder;
using client::PgConnection;

constexpr std::int32_t kV30 = 196608;
constexpr std::int32_t kV32 = 196610;
constexpr std::int32_t kSslRequest = 80877103;
constexpr std::int32_t kCancelRequest = 80877102;

ConnectionBuilder builder(const FakeServer& server, const std::string& extra = "") {
  auto b = ConnectionBuilder::from_conninfo(server.dsn(extra));
  EXPECT_TRUE(b) << b.error().to_string();
  return b ? *b : ConnectionBuilder{};
}

// Reads the StartupMessage and checks its version and user.
bool read_startup(FakeConnection& c, std::int32_t version = kV30) {
  auto p = c.read_startup();
  if (!p) {
    ADD_FAILURE() << "fake server: no StartupMessage";
    return false;
  }
  EXPECT_EQ(p->code, version);
  EXPECT_EQ(p->params["user"], "fake_user");
  EXPECT_EQ(p->params["database"], "fake_db");
  return true;
}

void expect_one_line(const Error& e) {
  EXPECT_FALSE(e.message().empty());
  EXPECT_EQ(e.message().find('\n'), std::string::npos) << e.message();
}

std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

long max_rss_kib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// ---- SCRAM: the fake server runs the real server side, so only the signature is wrong ----

struct ScramRun {
  bool proof_accepted = false;
  bool client_closed = false;
};

FakeServer::Script scram_script(ScramRun& run, bool corrupt_signature, bool skip_final = false) {
  return [&run, corrupt_signature, skip_final](FakeConnection& c) {
    if (!read_startup(c)) return;
    ScramServer scram("s3cret-pw", "fake-salt-16byte", 4096, "FAKESERVERNONCE");
    c.send(fake::auth_sasl({"SCRAM-SHA-256"}));
    auto first = c.read_message();
    ASSERT_TRUE(first);
    ASSERT_EQ(first->type, 'p');
    auto initial = parse_sasl_initial(first->body);
    ASSERT_TRUE(initial && initial->data);
    EXPECT_EQ(initial->mechanism, "SCRAM-SHA-256");
    auto server_first = scram.server_first(*initial->data);
    ASSERT_TRUE(server_first) << *initial->data;
    c.send(fake::auth_sasl_continue(*server_first));
    auto final_msg = c.read_message();
    ASSERT_TRUE(final_msg);
    ASSERT_EQ(final_msg->type, 'p');
    auto server_final = scram.server_final(final_msg->body);
    run.proof_accepted = server_final.has_value();
    if (!server_final) return;
    if (corrupt_signature) {
      // Same shape and length, one bit off: only the value can give it away.
      auto sig = auth::base64_decode(server_final->substr(2));
      ASSERT_TRUE(sig);
      (*sig)[7] ^= std::byte{0x01};
      *server_final = "v=" + auth::base64_encode(*sig);
    }
    if (!skip_final) c.send(fake::auth_sasl_final(*server_final));
    c.send(fake::auth_ok() + fake::session_ready());
    if (corrupt_signature || skip_final) run.client_closed = c.wait_for_close(2s);
  };
}

TEST(FakeServerScram, ConnectsWhenTheServerSignatureIsRight) {
  ScramRun run;
  FakeServer server(scram_script(run, false));
  auto conn = PgConnection::connect(builder(server).password("s3cret-pw"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_TRUE(run.proof_accepted);
  EXPECT_EQ(conn->session().auth, AuthOutcome::scram_sha_256);
  EXPECT_EQ(conn->parameter("server_version"), "15.99 (fake)");
}

TEST(FakeServerScram, AWrongServerSignatureIsAnAuthError) {
  ScramRun run;
  FakeServer server(scram_script(run, true));
  auto conn = PgConnection::connect(builder(server).password("s3cret-pw"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::auth);
  EXPECT_TRUE(conn.error().message().starts_with("server signature mismatch")) << conn.error().message();
  expect_one_line(conn.error());
  ASSERT_TRUE(server.wait_done());
  EXPECT_TRUE(run.proof_accepted);  // the client knew the password: the signature alone failed
  EXPECT_TRUE(run.client_closed);
}

TEST(FakeServerScram, AuthenticationOkWithoutServerFinalIsRefused) {
  ScramRun run;
  FakeServer server(scram_script(run, false, /*skip_final=*/true));
  auto conn = PgConnection::connect(builder(server).password("s3cret-pw"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::auth);
  EXPECT_NE(conn.error().message().find("before finishing SCRAM"), std::string::npos) << conn.error().message();
}

// ---- auth requests the client cannot serve ----

struct UnsupportedCase {
  std::int32_t code;
  const char* named;  // how the error names the request
};

void PrintTo(const UnsupportedCase& c, std::ostream* os) { *os << c.code; }

class UnsupportedAuthRequest : public ::testing::TestWithParam<UnsupportedCase> {};

TEST_P(UnsupportedAuthRequest, IsAnUnsupportedErrorNamingTheRequest) {
  const std::int32_t code = GetParam().code;
  FakeServer server([code](FakeConnection& c) {
    if (read_startup(c)) c.send(fake::auth(code));
  });
  auto conn = PgConnection::connect(builder(server).password("pw"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::unsupported) << conn.error().to_string();
  EXPECT_NE(conn.error().message().find(std::string("server requested ") + GetParam().named), std::string::npos)
      << conn.error().message();
  expect_one_line(conn.error());
}

INSTANTIATE_TEST_SUITE_P(Codes, UnsupportedAuthRequest,
                         ::testing::Values(UnsupportedCase{2, "AuthenticationKerberosV5 (2)"},
                                           UnsupportedCase{6, "AuthenticationSCMCredential (6)"},
                                           UnsupportedCase{99, "authentication request code 99,"},
                                           UnsupportedCase{-1, "authentication request code -1,"}),
                         [](const auto& i) { return i.param.code < 0 ? std::string("minus1") : std::to_string(i.param.code); });

// ---- broken frames ----

TEST(FakeServerFrames, TruncatedFrameThenCloseIsAnIoError) {
  FakeServer server([](FakeConnection& c) {
    if (!read_startup(c)) return;
    c.send(fake::auth_ok().substr(0, 6));  // 'R', length 8, then 1 of its 4 body bytes
    c.close();
  });
  const auto start = std::chrono::steady_clock::now();
  auto conn = PgConnection::connect(server.dsn());
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::io);
  EXPECT_EQ(conn.error().message(), "server closed the connection unexpectedly");
  EXPECT_LT(elapsed_since(start), 5s);  // no hang (a generous bound: CI machines are loaded)
}

class LyingLength : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(LyingLength, IsAProtocolErrorFromTheHeaderAlone) {
  const std::uint32_t length = GetParam();
  FakeServer server([length](FakeConnection& c) {
    if (!read_startup(c)) return;
    c.send(fake::header('R', length) + std::string(64, 'x'));
    (void)c.wait_for_close(10s);
  });
  const long rss_before = max_rss_kib();
  const auto start = std::chrono::steady_clock::now();
  auto conn = PgConnection::connect(server.dsn());
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::protocol) << conn.error().to_string();
  expect_one_line(conn.error());
  EXPECT_NE(conn.error().message().find("length"), std::string::npos) << conn.error().message();
  // Refused from the header: waiting for the body would last until the server gives up (10 s).
  EXPECT_LT(elapsed_since(start), 5s);
  EXPECT_LT(max_rss_kib() - rss_before, 64 * 1024) << "the client buffered the announced length";
}

INSTANTIATE_TEST_SUITE_P(Lengths, LyingLength,
                         ::testing::Values(0x7fffffffu, 0u, 3u, 0x80000000u, 0xffffffffu, 0x01000001u),
                         [](const auto& i) { return "len_" + std::to_string(i.param); });

TEST(FakeServerFrames, AnnouncedHugeDataFrameCostsOnlyWhatArrives) {
  // 1 GiB - 1 is within the DataRow limit, so the header is accepted; the server then sends 1 MiB
  // and hangs up. The receive buffer must grow with the bytes, not jump to the announced size.
  FakeServer server([](FakeConnection& c) {
    if (!read_startup(c)) return;
    c.send(fake::header('D', 0x3fffffffu) + std::string(1 << 20, 'x'));
    c.close();
  });
  const long rss_before = max_rss_kib();
  auto conn = PgConnection::connect(server.dsn());
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::io) << conn.error().to_string();
  EXPECT_LT(max_rss_kib() - rss_before, 64 * 1024) << "the client allocated the announced 1 GiB";
}

// ---- OAUTHBEARER ----

TEST(FakeServerOAuth, SendsTheBearerTokenAsTheInitialResponse) {
  std::string mechanism, data;
  FakeServer server([&](FakeConnection& c) {
    if (!read_startup(c)) return;
    c.send(fake::auth_sasl({"OAUTHBEARER"}));
    auto m = c.read_message();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, 'p');
    auto initial = parse_sasl_initial(m->body);
    ASSERT_TRUE(initial && initial->data);
    mechanism = initial->mechanism;
    data = *initial->data;
    c.send(fake::auth_ok() + fake::session_ready());
  });
  auto conn = PgConnection::connect(builder(server).oauth_token([]() -> Result<std::string> { return "TOKEN"; }));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->session().auth, AuthOutcome::oauth);
  EXPECT_EQ(mechanism, "OAUTHBEARER");
  EXPECT_EQ(data, std::string("n,,\x01" "auth=Bearer TOKEN\x01\x01"));
}

TEST(FakeServerOAuth, ARefusedTokenEndsWithTheServerError) {
  std::string answer;
  FakeServer server([&](FakeConnection& c) {
    if (!read_startup(c)) return;
    c.send(fake::auth_sasl({"OAUTHBEARER"}));
    ASSERT_TRUE(c.read_message());
    c.send(fake::auth_sasl_continue(R"({"status":"invalid_token","scope":"openid"})"));
    auto m = c.read_message();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, 'p');
    answer = m->body;
    c.send(fake::error_response("28000", "OAuth bearer authentication failed for user \"fake_user\""));
  });
  auto conn = PgConnection::connect(builder(server).oauth_token([]() -> Result<std::string> { return "EXPIRED"; }));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::server);
  EXPECT_EQ(conn.error().sqlstate(), "28000");
  EXPECT_EQ(conn.error().message(), "OAuth bearer authentication failed for user \"fake_user\"");
  EXPECT_EQ(answer, "\x01");  // SASLResponse with a lone kvsep: "I give up", per RFC 7628
}

TEST(FakeServerOAuth, WithoutATokenProviderTheErrorSaysSo) {
  FakeServer server([](FakeConnection& c) {
    if (read_startup(c)) c.send(fake::auth_sasl({"OAUTHBEARER"}));
  });
  auto conn = PgConnection::connect(server.dsn());
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::auth);
  EXPECT_NE(conn.error().message().find("OAUTHBEARER"), std::string::npos) << conn.error().message();
}

// ---- GSS token exchange through a caller's provider ----

class ScriptedGss final : public client::GssTokenProvider {
 public:
  Result<std::vector<std::byte>> initial_token() override { return bytes("token-1"); }
  Result<std::vector<std::byte>> next_token(std::span<const std::byte> server_data) override {
    std::lock_guard lock(mu);
    received.emplace_back(reinterpret_cast<const char*>(server_data.data()), server_data.size());
    return received.size() == 1 ? bytes("token-2") : std::vector<std::byte>{};  // then: done
  }
  static std::vector<std::byte> bytes(std::string_view s) {
    auto b = std::as_bytes(std::span(s));
    return {b.begin(), b.end()};
  }
  std::mutex mu;
  std::vector<std::string> received;
};

TEST(FakeServerGss, TokensAreFramedBothWays) {
  const std::string server_data_1("\x00\x01server-data\xff", 14);
  std::vector<ClientMessage> got;
  FakeServer server([&](FakeConnection& c) {
    if (!read_startup(c)) return;
    c.send(fake::auth(7));
    auto t1 = c.read_message();
    ASSERT_TRUE(t1);
    got.push_back(*t1);
    c.send(fake::auth(8, server_data_1));
    auto t2 = c.read_message();
    ASSERT_TRUE(t2);
    got.push_back(*t2);
    c.send(fake::auth(8, "last"));  // the provider answers with nothing: no message at all
    c.send(fake::auth_ok() + fake::session_ready());
    auto next = c.read_message();  // the client's Terminate, nothing before it
    ASSERT_TRUE(next);
    got.push_back(*next);
  });
  auto gss = std::make_shared<ScriptedGss>();
  {
    auto conn = PgConnection::connect(builder(server).gss_provider(gss));
    ASSERT_TRUE(conn) << conn.error().to_string();
    EXPECT_EQ(conn->session().auth, AuthOutcome::gss);
  }
  ASSERT_TRUE(server.wait_done());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, 'p');
  EXPECT_EQ(got[0].body, "token-1");
  EXPECT_EQ(got[1].type, 'p');
  EXPECT_EQ(got[1].body, "token-2");
  EXPECT_EQ(got[2].type, 'X');
  std::lock_guard lock(gss->mu);
  ASSERT_EQ(gss->received.size(), 2u);
  EXPECT_EQ(gss->received[0], server_data_1);
  EXPECT_EQ(gss->received[1], "last");
}

// ---- protocol 3.2: long cancel keys ----

TEST(FakeServerProtocol32, KeepsA32ByteCancelKeyAndSendsItInCancelRequest) {
  std::string key;
  for (int i = 0; i < 32; ++i) key += static_cast<char>(0xa0 + i);
  std::string cancel_packet;
  FakeServer server(std::vector<FakeServer::Script>{
      [&](FakeConnection& c) {
        if (!read_startup(c, kV32)) return;
        c.send(fake::auth_ok() + fake::parameter_status("server_version", "18.0 (fake)") +
               fake::backend_key_data(777, key) + fake::ready_for_query('I'));
      },
      [&](FakeConnection& c) {
        auto p = c.read_startup();
        ASSERT_TRUE(p);
        EXPECT_EQ(p->code, kCancelRequest);
        cancel_packet = p->raw;
        c.close();
      }});
  auto conn = PgConnection::connect(server.dsn("max_protocol_version=3.2"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->session().protocol, client::kProtocol32);
  EXPECT_EQ(conn->session().backend_pid, 777);
  const auto& k = conn->session().cancel_key;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(k.data()), k.size()), key);

  auto cancelled = conn->cancel();
  ASSERT_TRUE(cancelled) << cancelled.error().to_string();
  ASSERT_TRUE(server.wait_done());
  EXPECT_EQ(cancel_packet, fake::be32(12 + 32) + fake::be32(kCancelRequest) + fake::be32(777) + key);
}

// ---- NegotiateProtocolVersion ----

TEST(FakeServerNegotiation, DowngradeTo30IsAcceptedAndSurfaced) {
  FakeServer server([](FakeConnection& c) {
    auto p = c.read_startup();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->code, kV32);
    EXPECT_EQ(p->params["_pq_.fake_option"], "on");
    c.send(fake::negotiate_protocol_version(kV30, {"_pq_.fake_option"}) + fake::auth_ok() + fake::session_ready());
  });
  auto conn = PgConnection::connect(builder(server, "max_protocol_version=3.2").parameter("_pq_.fake_option", "on"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->session().protocol, client::kProtocol30);
  EXPECT_EQ(conn->session().unsupported_options, std::vector<std::string>{"_pq_.fake_option"});
  EXPECT_EQ(conn->session().cancel_key.size(), 4u);
}

TEST(FakeServerNegotiation, DowngradeBelowMinProtocolVersionIsUnsupported) {
  FakeServer server([](FakeConnection& c) {
    if (read_startup(c, kV32)) c.send(fake::negotiate_protocol_version(kV30, {}));
    (void)c.wait_for_close(2s);
  });
  auto conn = PgConnection::connect(server.dsn("min_protocol_version=3.2 max_protocol_version=3.2"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::unsupported);
  EXPECT_NE(conn.error().message().find("min_protocol_version=3.2"), std::string::npos) << conn.error().message();
}

struct BadNegotiation {
  const char* name;
  std::int32_t version;
  std::vector<std::string> options;
};
void PrintTo(const BadNegotiation& b, std::ostream* os) { *os << b.name; }

class InvalidNegotiation : public ::testing::TestWithParam<BadNegotiation> {};

TEST_P(InvalidNegotiation, IsAProtocolError) {
  const BadNegotiation& bad = GetParam();
  FakeServer server([&bad](FakeConnection& c) {
    if (read_startup(c, kV32)) c.send(fake::negotiate_protocol_version(bad.version, bad.options));
    (void)c.wait_for_close(2s);
  });
  auto conn = PgConnection::connect(server.dsn("max_protocol_version=3.2"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::protocol) << conn.error().to_string();
  EXPECT_TRUE(conn.error().message().starts_with("received invalid protocol negotiation message"))
      << conn.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, InvalidNegotiation,
    ::testing::Values(BadNegotiation{"higher_version", 196611, {}}, BadNegotiation{"version_3_1", 196609, {}},
                      BadNegotiation{"version_2_0", 131072, {}}, BadNegotiation{"no_change", kV32, {}},
                      BadNegotiation{"option_not_sent", kV30, {"_pq_.never_sent"}},
                      BadNegotiation{"option_without_prefix", kV30, {"user"}}),
    [](const auto& i) { return std::string(i.param.name); });

// ---- deadlines: connect_timeout bounds the whole start-up ----

TEST(FakeServerDeadline, EndlessNoticesHitTheStartupDeadline) {
  std::size_t sent = 0;
  FakeServer server([&sent](FakeConnection& c) {
    if (!read_startup(c)) return;
    const std::string batch = [] {
      std::string b;
      for (int i = 0; i < 50; ++i) b += fake::notice_response("still starting up");
      return b;
    }();
    while (!c.stopping() && c.send(batch)) sent += 50;
  });
  const auto start = std::chrono::steady_clock::now();
  auto conn = PgConnection::connect(builder(server).connect_timeout(500ms));
  const auto took = elapsed_since(start);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::timeout) << conn.error().to_string();
  expect_one_line(conn.error());
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 1500ms);
  ASSERT_TRUE(server.wait_done());
  EXPECT_GT(sent, 1000u);  // the client kept reading: it was the deadline, not a stall
}

TEST(FakeServerDeadline, StartupNoticesAreCappedAndCounted) {
  FakeServer server([](FakeConnection& c) {
    if (!read_startup(c)) return;
    std::string all;
    for (int i = 0; i < 250; ++i) all += fake::notice_response("notice " + std::to_string(i));
    c.send(all + fake::auth_ok() + fake::session_ready());
  });
  auto conn = PgConnection::connect(server.dsn());
  ASSERT_TRUE(conn) << conn.error().to_string();
  const auto& s = conn->session();
  ASSERT_EQ(s.notices.size(), client::SessionInfo::kMaxStartupNotices);
  EXPECT_EQ(s.notices.front().message, "notice 0");
  EXPECT_EQ(s.notices.back().message, "notice 99");
  EXPECT_EQ(s.notices_dropped, 150u);
}

class SilentServer : public ::testing::TestWithParam<const char*> {};

TEST_P(SilentServer, TimesOutWithinConnectTimeout) {
  // The script reads what the client sends first and then says nothing.
  FakeServer server([](FakeConnection& c) { (void)c.read_startup(); });
  const auto start = std::chrono::steady_clock::now();
  auto conn = PgConnection::connect(builder(server, GetParam()).connect_timeout(500ms));
  const auto took = elapsed_since(start);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::timeout) << conn.error().to_string();
  EXPECT_NE(conn.error().message().find("connect_timeout"), std::string::npos) << conn.error().message();
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_EQ(server.accepted(), 1u);  // prefer does not retry after a timeout
}

INSTANTIATE_TEST_SUITE_P(Modes, SilentServer,
                         ::testing::Values("sslmode=disable", "sslmode=require", "sslmode=prefer"),
                         [](const auto& i) { return std::string(i.param).substr(8); });

TEST(FakeServerDeadline, ConnectTimeoutFromTheStringHasLibpqsTwoSecondMinimum) {
  auto b = ConnectionBuilder::from_conninfo("host=127.0.0.1 connect_timeout=1");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->effective_connect_timeout(), std::chrono::milliseconds(2000));
  EXPECT_EQ(b->connect_timeout(250ms).effective_connect_timeout(), std::chrono::milliseconds(250));
  EXPECT_EQ(b->connect_timeout(0ms).effective_connect_timeout(), std::nullopt);
  auto none = ConnectionBuilder::from_conninfo("host=127.0.0.1 connect_timeout=0");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->effective_connect_timeout(), std::nullopt);
}

// ---- the answer to SSLRequest ----

struct SslAnswerRun {
  std::int32_t first_code = 0;
};

FakeServer::Script ssl_answer_script(SslAnswerRun& run, std::string answer) {
  return [&run, answer](FakeConnection& c) {
    auto p = c.read_startup();
    ASSERT_TRUE(p);
    run.first_code = p->code;
    c.send(answer);
    (void)c.wait_for_close(2s);
  };
}

TEST(FakeServerSsl, GarbageAnswerIsAProtocolErrorWithoutRetry) {
  for (const char* mode : {"sslmode=require", "sslmode=prefer"}) {
    SCOPED_TRACE(mode);
    SslAnswerRun run;
    FakeServer server(std::vector<FakeServer::Script>{ssl_answer_script(run, "X"), ssl_answer_script(run, "")});
    auto conn = PgConnection::connect(server.dsn(mode));
    ASSERT_FALSE(conn);
    EXPECT_EQ(conn.error().category(), ErrorCategory::protocol) << conn.error().to_string();
    EXPECT_NE(conn.error().message().find("'X'"), std::string::npos) << conn.error().message();
    EXPECT_EQ(run.first_code, kSslRequest);
    EXPECT_EQ(server.accepted(), 1u);  // libpq 15.18 does not retry either (checked with psql)
  }
}

TEST(FakeServerSsl, ErrorResponseAnswerKeepsTheSqlstateButNotTheUntrustedText) {
  for (const char* mode : {"sslmode=require", "sslmode=prefer"}) {
    SCOPED_TRACE(mode);
    SslAnswerRun run;
    FakeServer server(std::vector<FakeServer::Script>{
        ssl_answer_script(run, fake::error_response("53300", "sorry, too many clients already")),
        ssl_answer_script(run, "")});
    auto conn = PgConnection::connect(server.dsn(mode));
    ASSERT_FALSE(conn);
    EXPECT_EQ(conn.error().category(), ErrorCategory::server) << conn.error().to_string();
    EXPECT_EQ(conn.error().sqlstate(), "53300");
    // As psql 15.18 says it: the server is not authenticated yet, so its words are not repeated.
    EXPECT_EQ(conn.error().message(), "server sent an error response during SSL exchange");
    EXPECT_EQ(server.accepted(), 1u);
  }
}

TEST(FakeServerSsl, RefusalFallsBackToPlainOnlyWithPrefer) {
  {
    SslAnswerRun run;
    FakeServer server(ssl_answer_script(run, "N"));
    auto conn = PgConnection::connect(server.dsn("sslmode=require"));
    ASSERT_FALSE(conn);
    EXPECT_EQ(conn.error().category(), ErrorCategory::tls) << conn.error().to_string();
  }
  SslAnswerRun run;
  std::int32_t second_code = 0;
  FakeServer server(std::vector<FakeServer::Script>{ssl_answer_script(run, "N"), [&](FakeConnection& c) {
                                                      auto p = c.read_startup();
                                                      ASSERT_TRUE(p);
                                                      second_code = p->code;
                                                      c.send(fake::auth_ok() + fake::session_ready());
                                                    }});
  auto conn = PgConnection::connect(server.dsn("sslmode=prefer"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_FALSE(conn->encrypted());
  EXPECT_EQ(run.first_code, kSslRequest);
  EXPECT_EQ(second_code, kV30);
}

// ---- require_auth ----

TEST(FakeServerRequireAuth, ScramRequiredRefusesCleartextWithoutSendingThePassword) {
  bool sent_something = true;
  FakeServer server([&](FakeConnection& c) {
    if (!read_startup(c)) return;
    c.send(fake::auth_cleartext());
    sent_something = c.read_message().has_value();
  });
  auto conn = PgConnection::connect(builder(server, "require_auth=scram-sha-256").password("pw"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::auth);
  EXPECT_NE(conn.error().message().find("scram-sha-256"), std::string::npos) << conn.error().message();
  EXPECT_NE(conn.error().message().find("password"), std::string::npos) << conn.error().message();
  expect_one_line(conn.error());
  ASSERT_TRUE(server.wait_done());
  EXPECT_FALSE(sent_something);
}

TEST(FakeServerRequireAuth, NoneAcceptsTrustAndRefusesAPasswordRequest) {
  {
    FakeServer server([](FakeConnection& c) {
      if (read_startup(c)) c.send(fake::auth_ok() + fake::session_ready());
    });
    auto conn = PgConnection::connect(server.dsn("require_auth=none"));
    ASSERT_TRUE(conn) << conn.error().to_string();
    EXPECT_EQ(conn->session().auth, AuthOutcome::trust);
  }
  FakeServer server([](FakeConnection& c) {
    if (read_startup(c)) c.send(fake::auth_cleartext());
  });
  auto conn = PgConnection::connect(builder(server, "require_auth=none").password("pw"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::auth);
}

TEST(FakeServerRequireAuth, ScramRequiredRefusesTrust) {
  FakeServer server([](FakeConnection& c) {
    if (read_startup(c)) c.send(fake::auth_ok() + fake::session_ready());
  });
  auto conn = PgConnection::connect(server.dsn("require_auth=scram-sha-256"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::auth);
  EXPECT_NE(conn.error().message().find("did not complete authentication"), std::string::npos)
      << conn.error().message();
}

}  // namespace
}  // namespace pgstream::testing
