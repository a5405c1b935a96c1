// The blocking PgConnection against a hostile fake server (support/fake_server.hpp), for the
// cases startup_fake_server_test.cpp does not cover: frames split at every byte, and everything
// that can go wrong once a query is in flight (lying lengths, a DataRow or ErrorResponse that
// lies, endless notices, silence, a hang-up mid-frame), plus more garbage answers to SSLRequest.
// The same cases face the reactor in reactor_hostile_test.cpp; what the server sends in each is in
// support/hostile_scenarios.hpp. No scratch server needed.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pgstream/client/pg_connection.hpp"
#include "support/fake_server.hpp"
#include "support/hostile_scenarios.hpp"

namespace pgstream::testing {
namespace {

using namespace std::chrono_literals;
using client::ConnectionBuilder;
using client::PgConnection;
using hostile::answer_query;
using hostile::CancelSeen;
using hostile::cancel_reader;
using hostile::expect_cancel_for_the_session;
using hostile::LyingRow;
using hostile::Row;
using hostile::rss_kib;

std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

void expect_one_line(const Error& e) {
  EXPECT_FALSE(e.message().empty());
  EXPECT_EQ(e.message().find('\n'), std::string::npos) << e.message();
}

ConnectionBuilder builder(const FakeServer& server, const std::string& extra = "") {
  auto b = ConnectionBuilder::from_conninfo(server.dsn(extra));
  EXPECT_TRUE(b) << b.error().to_string();
  if (!b) return ConnectionBuilder{};
  b->connect_timeout(1000ms);  // also bounds the CancelRequest after a request timeout
  return *b;
}

PgConnection connect_or_fail(const ConnectionBuilder& b) {
  auto conn = PgConnection::connect(b);
  if (!conn) throw std::runtime_error(conn.error().to_string());
  return std::move(*conn);
}

// The query failed with `category` and the connection is given up.
void expect_failed_and_closed(const Result<client::TextResult>& r, const PgConnection& conn, ErrorCategory category) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), category) << r.error().to_string();
  expect_one_line(r.error());
  EXPECT_FALSE(conn.is_open());
}

// The query failed with `category`, but the stream stayed in step: the next query works.
void expect_failed_and_usable(const Result<client::TextResult>& r, PgConnection& conn, ErrorCategory category) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), category) << r.error().to_string();
  expect_one_line(r.error());
  ASSERT_TRUE(conn.is_open());
  auto next = conn.simple_query("SELECT 2");
  ASSERT_TRUE(next) << next.error().to_string();
  EXPECT_EQ(next->rows, std::vector<Row>{{"2"}});
}

// ---- frames split at every byte boundary ----

TEST(ConnectionHostileSplit, EveryByteBoundaryDuringStartupAndQuery) {
  FakeServer server(hostile::split_every_byte());
  auto conn = PgConnection::connect(builder(server));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->session().backend_pid, 4242);
  auto r = conn->simple_query("SELECT a, b FROM t");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->rows, (std::vector<Row>{{"1", std::nullopt}, {"", "two"}, {"3", "33"}}));
  EXPECT_EQ(r->command_tag, "SELECT 3");
}

TEST(ConnectionHostileSplit, EveryTwoPieceSplitOfStartupAndResponse) {
  // Deterministic counterpart of the test above: for every k, the start-up answer and the query
  // answer are each sent as two pieces cut at byte k, with a pause between them.
  for (std::size_t k = 1; k < hostile::two_piece_splits(); ++k) {
    SCOPED_TRACE("split at byte " + std::to_string(k));
    FakeServer server(hostile::split_in_two_at(k));
    auto conn = PgConnection::connect(builder(server));
    ASSERT_TRUE(conn) << conn.error().to_string();
    auto r = conn->simple_query("SELECT a");
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->rows, (std::vector<Row>{{"1"}, {std::nullopt}}));
    ASSERT_EQ(r->command_tag, "SELECT 2");
  }
}

TEST(ConnectionHostileSplit, FramesLargerThanTheBufferArriveInOddPieces) {
  const std::vector<Row> rows = hostile::big_rows(100'000, 4);  // larger than the 64 KiB receive buffer
  FakeServer server(hostile::rows_in_pieces(rows, 7777, 100us));
  auto conn = connect_or_fail(builder(server));
  auto r = conn.simple_query("SELECT v");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->rows, rows);
}

// ---- length fields that lie, with a query in flight ----

class ConnectionHostileLength : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(ConnectionHostileLength, FailsTheQueryFromTheHeaderAndCloses) {
  FakeServer server(answer_query(hostile::lying_data_row_length(GetParam())));
  auto conn = connect_or_fail(builder(server));
  const long rss_before = rss_kib();
  const auto start = std::chrono::steady_clock::now();
  auto r = conn.simple_query("SELECT a");
  expect_failed_and_closed(r, conn, ErrorCategory::protocol);
  EXPECT_NE(r.error().message().find("length"), std::string::npos) << r.error().message();
  EXPECT_LT(elapsed_since(start), 1s);
  EXPECT_LT(rss_kib() - rss_before, 16 * 1024);
}

INSTANTIATE_TEST_SUITE_P(Lengths, ConnectionHostileLength,
                         ::testing::ValuesIn(hostile::lying_lengths()),
                         [](const auto& i) { return "len_" + std::to_string(i.param); });

TEST(ConnectionHostileMemory, AFrameAboveTheConfiguredLimitIsRefusedFromItsHeader) {
  FakeServer server(answer_query(hostile::data_row_header_only(1u << 20)));  // and nothing more: no waiting for it
  protocol::FrameLimits limits;
  limits.max_data_length = 64 * 1024;
  auto conn = connect_or_fail(builder(server).frame_limits(limits));
  const auto start = std::chrono::steady_clock::now();
  auto r = conn.simple_query("SELECT a");
  expect_failed_and_closed(r, conn, ErrorCategory::protocol);
  EXPECT_NE(r.error().message().find("above the limit of 65536"), std::string::npos) << r.error().message();
  EXPECT_LT(elapsed_since(start), 1s);
}

TEST(ConnectionHostileMemory, AnAnnouncedGigabyteDuringAQueryCostsOnlyWhatArrives) {
  FakeServer server(hostile::announced_gigabyte());
  auto conn = connect_or_fail(builder(server));
  const long rss_before = rss_kib();
  auto r = conn.simple_query("SELECT a");
  const long growth = rss_kib() - rss_before;  // the connection still holds its buffer here
  expect_failed_and_closed(r, conn, ErrorCategory::io);
  EXPECT_LT(growth, 32 * 1024) << "the client allocated the announced 1 GiB";
}

// ---- a DataRow that lies ----

class ConnectionHostileDataRow : public ::testing::TestWithParam<LyingRow> {};

TEST_P(ConnectionHostileDataRow, IsAProtocolErrorAndTheConnectionStaysInStep) {
  // The frame length is honest, so the stream is still in sync: the query fails with the DataRow's
  // error once its ReadyForQuery has been read, and the connection can run the next query.
  FakeServer server(answer_query(hostile::answer_with_lying_row(GetParam().body)));
  auto conn = connect_or_fail(builder(server));
  auto r = conn.simple_query("SELECT a");
  expect_failed_and_usable(r, conn, ErrorCategory::protocol);
  EXPECT_NE(r.error().message().find("DataRow"), std::string::npos) << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Lies, ConnectionHostileDataRow, ::testing::ValuesIn(hostile::lying_rows()),
    [](const auto& i) { return std::string(i.param.name); });

TEST(ConnectionHostileDataRowFrame, AFrameLengthShorterThanItsFieldsDesynchronisesAndCloses) {
  FakeServer server(answer_query(hostile::data_row_frame_too_short()));
  auto conn = connect_or_fail(builder(server));
  auto r = conn.simple_query("SELECT a");
  expect_failed_and_closed(r, conn, ErrorCategory::protocol);
  EXPECT_NE(r.error().message().find("out of sync"), std::string::npos) << r.error().message();
}

// ---- an ErrorResponse with no terminator ----

TEST(ConnectionHostileErrorResponse, WithoutTerminatorDuringStartupIsAProtocolError) {
  FakeServer server(hostile::unterminated_error_during_startup());
  auto conn = PgConnection::connect(builder(server));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::protocol) << conn.error().to_string();
  EXPECT_NE(conn.error().message().find("ErrorResponse"), std::string::npos) << conn.error().message();
  expect_one_line(conn.error());
}

TEST(ConnectionHostileErrorResponse, WithoutTerminatorInAQueryIsAProtocolErrorAndTheConnectionStaysInStep) {
  FakeServer server(answer_query(fake::frame('E', hostile::unterminated_error()) + fake::ready_for_query()));
  auto conn = connect_or_fail(builder(server));
  auto r = conn.simple_query("SELECT a");
  expect_failed_and_usable(r, conn, ErrorCategory::protocol);
  EXPECT_NE(r.error().message().find("ErrorResponse"), std::string::npos) << r.error().message();
}

// ---- endless notices and silence with a query in flight: request_timeout ----

TEST(ConnectionHostileNotices, EndlessDuringAQueryHitTheRequestTimeoutInBoundedMemory) {
  std::size_t sent = 0;
  CancelSeen cancel;
  FakeServer server(std::vector<FakeServer::Script>{hostile::notice_flood_after_query(sent), cancel_reader(cancel)});
  auto conn = connect_or_fail(builder(server).request_timeout(300ms));
  const long rss_before = rss_kib();
  const auto start = std::chrono::steady_clock::now();
  auto r = conn.simple_query("SELECT pg_sleep(1000)");
  const auto took = elapsed_since(start);
  expect_failed_and_closed(r, conn, ErrorCategory::timeout);
  EXPECT_NE(r.error().message().find("request_timeout"), std::string::npos) << r.error().message();
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
  EXPECT_LT(rss_kib() - rss_before, 16 * 1024);
  ASSERT_TRUE(server.wait_done());
  EXPECT_GT(sent, 1000u);  // the client kept reading: it was the deadline, not a stall
  expect_cancel_for_the_session(cancel);
}

TEST(ConnectionHostileNotices, EndlessNewParametersDuringStartupStayBounded) {
  FakeServer server(hostile::parameter_flood_during_startup());
  const long rss_before = rss_kib();
  auto conn = PgConnection::connect(builder(server).connect_timeout(400ms));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::timeout) << conn.error().to_string();
  EXPECT_LT(rss_kib() - rss_before, 16 * 1024);
}

TEST(ConnectionHostileSilence, AQueryHitsTheRequestTimeoutAndTheConnectionCloses) {
  CancelSeen cancel;
  FakeServer server(std::vector<FakeServer::Script>{hostile::silent_after_query(), cancel_reader(cancel)});
  auto conn = connect_or_fail(builder(server).request_timeout(300ms));
  const auto start = std::chrono::steady_clock::now();
  auto r = conn.simple_query("SELECT 1");
  const auto took = elapsed_since(start);
  expect_failed_and_closed(r, conn, ErrorCategory::timeout);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
  ASSERT_TRUE(server.wait_done());
  expect_cancel_for_the_session(cancel);
  auto again = conn.simple_query("SELECT 1");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message(), "connection is closed");
}

TEST(ConnectionHostileSilence, ASilentCancelTargetDoesNotStretchTheRequestTimeout) {
  // The server answers neither the query nor the cancel (it keeps that socket open): the call
  // still ends about request_timeout after the deadline, not connect_timeout (1 s here) later.
  FakeServer server(std::vector<FakeServer::Script>{hostile::silent_after_query(), hostile::silent_after_startup()});
  auto conn = connect_or_fail(builder(server).request_timeout(300ms));
  const auto start = std::chrono::steady_clock::now();
  auto r = conn.simple_query("SELECT 1");
  const auto took = elapsed_since(start);
  expect_failed_and_closed(r, conn, ErrorCategory::timeout);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 900ms);
}

TEST(ConnectionHostileSilence, TheRequestTimeoutCoversOnlyOneRequest) {
  // Two quick queries, each answered after 200 ms: with request_timeout 300 ms both succeed (the
  // deadline restarts with each request; it does not run from the connection's start).
  FakeServer server([](FakeConnection& c) {
    if (!c.accept_session()) return;
    for (int i = 0; i < 2; ++i) {
      if (!c.read_query()) return;
      std::this_thread::sleep_for(200ms);
      c.send(fake::query_result({"n"}, {{std::to_string(i)}}, "SELECT 1"));
    }
    (void)c.wait_for_close(3s);
  });
  auto conn = connect_or_fail(builder(server).request_timeout(300ms));
  for (int i = 0; i < 2; ++i) {
    auto r = conn.simple_query("SELECT n");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->rows, std::vector<Row>{{std::to_string(i)}});
  }
}

// ---- the server hangs up mid-frame ----

TEST(ConnectionHostileClose, MidFrameDuringAQueryIsAnIoError) {
  FakeServer server(hostile::close_mid_row());
  auto conn = connect_or_fail(builder(server));
  const auto start = std::chrono::steady_clock::now();
  auto r = conn.simple_query("SELECT a");
  expect_failed_and_closed(r, conn, ErrorCategory::io);
  EXPECT_EQ(r.error().message(), "server closed the connection unexpectedly");
  EXPECT_LT(elapsed_since(start), 1s);
}

// ---- more garbage answers to SSLRequest (the letter 'X' is in startup_fake_server_test.cpp) ----

struct SslAnswer {
  const char* name;
  std::string bytes;
  ErrorCategory category;
  const char* says;
};
void PrintTo(const SslAnswer& a, std::ostream* os) { *os << a.name; }

class ConnectionHostileSsl : public ::testing::TestWithParam<SslAnswer> {};

TEST_P(ConnectionHostileSsl, GarbageAnswerIsACleanErrorWithoutRetry) {
  const SslAnswer& a = GetParam();
  for (const char* mode : {"sslmode=require", "sslmode=prefer"}) {
    SCOPED_TRACE(mode);
    FakeServer server(std::vector<FakeServer::Script>{hostile::ssl_answer(a.bytes), [](FakeConnection&) {}});
    const auto start = std::chrono::steady_clock::now();
    auto conn = PgConnection::connect(builder(server, mode));
    ASSERT_FALSE(conn);
    EXPECT_EQ(conn.error().category(), a.category) << conn.error().to_string();
    EXPECT_NE(conn.error().message().find(a.says), std::string::npos) << conn.error().message();
    expect_one_line(conn.error());
    EXPECT_LT(elapsed_since(start), 1s);
    EXPECT_EQ(server.accepted(), 1u);
  }
}

TEST(ConnectionHostileSslBytes, BytesAfterTheAcceptanceFailTheHandshake) {
  // The client reads the answer byte by byte, so the garbage after 'S' goes to the TLS handshake,
  // which refuses it (the reactor, reading them together, refuses them before: CVE-2021-23222).
  FakeServer server([](FakeConnection& c) {
    if (!c.read_startup()) return;
    c.send("Sgarbage that is no TLS record");
    (void)c.wait_for_close(3s);
  });
  const auto start = std::chrono::steady_clock::now();
  auto conn = PgConnection::connect(builder(server, "sslmode=require"));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().category(), ErrorCategory::tls) << conn.error().to_string();
  expect_one_line(conn.error());
  EXPECT_LT(elapsed_since(start), 1s);
}

INSTANTIATE_TEST_SUITE_P(
    Answers, ConnectionHostileSsl,
    ::testing::Values(SslAnswer{"binary_garbage", std::string("\x00\xff\x13\x37", 4), ErrorCategory::protocol, "0x00"},
                      SslAnswer{"error_with_lying_length", fake::header('E', 0x7fffffffu), ErrorCategory::protocol,
                                "length"}),
    [](const auto& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace pgstream::testing
