// The io_uring reactor against a hostile fake server (support/fake_server.hpp): frames split at
// every byte, lying lengths, DataRows and ErrorResponses that lie, endless notices, silence, a
// server that hangs up mid-frame, garbage instead of an SSL answer; during start-up and with a
// request in flight. Each must end in a clean error (the request completes, the connection
// closes), quickly, without a crash, and without memory growing past the configured limits.
// What the server sends in each case is in support/hostile_scenarios.hpp (connection_hostile_test.cpp
// drives the same scenarios with PgConnection). No scratch server needed.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/uring/connection.hpp"
#include "pgstream/uring/reactor.hpp"
#include "support/fake_server.hpp"
#include "support/hostile_scenarios.hpp"

namespace pgstream::testing {
namespace {

using namespace std::chrono_literals;
using uring::Connection;
using uring::Reactor;
using uring::ReactorOptions;
using uring::RequestHandler;
using hostile::answer_query;
using hostile::CancelSeen;
using hostile::cancel_reader;
using hostile::expect_cancel_for_the_session;
using hostile::LyingRow;
using hostile::Row;
using hostile::rss_kib;

constexpr auto kGuard = 4s;  // a run that takes longer is a hang: the test fails, it does not wait

ReactorOptions small_options() {
  ReactorOptions o;
  o.ring_entries = 64;
  o.send_buffer_bytes = 64 * 1024;
  o.recv_ring_bytes = 64 * 1024;
  o.max_connections = 4;
  return o;
}

// Records everything one request sees.
struct Recorder final : RequestHandler {
  std::string types;  // the type byte of every frame, in order
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::vector<std::string> row_errors;  // DataRow::parse refusals
  std::optional<Result<void>> outcome;
  int completions = 0;

  void on_frame(Connection&, const protocol::Frame& f) override {
    types += f.type;
    if (f.type != 'D') return;
    auto row = protocol::DataRow::parse(f);
    if (!row) {
      row_errors.push_back(row.error().message());
      return;
    }
    auto& out = rows.emplace_back();
    for (const auto& v : *row)
      out.emplace_back(v.is_null() ? std::nullopt : std::optional<std::string>(std::string(v.text())));
  }
  void on_complete(Connection&, Result<void> r) override {
    ++completions;
    outcome = std::move(r);
  }
};

struct RunSettings {
  ReactorOptions options = small_options();
  std::string conninfo_extra = "sslmode=disable";
  std::chrono::milliseconds connect_timeout = 2000ms;
  std::optional<std::string> sql;  // a simple Query sent once ready; none: only start up
  bool until_closed = false;       // keep turning after ready/completion until the connection closes
  int closed_events = 1;           // with a reconnect policy: how many on_closed to wait for
};

struct ReactorRun {
  bool ready = false;
  int closed_events = 0;
  std::optional<Error> closed;
  Recorder request;
  bool hung = false;
  std::chrono::milliseconds took{0};
  long rss_growth_kib = 0;  // measured while the reactor (and all it holds) is still alive
  Connection::State final_state = Connection::State::connecting;
  std::size_t open_after = 0;
  std::size_t parameters_after = 0;  // ParameterStatus names the session kept
};

// Opens one connection to `server`, sends the query once ready, and turns the loop until the
// request completed or the connection closed (or, without a query, until ready or closed).
ReactorRun run_reactor(const FakeServer& server, RunSettings s = {}) {
  ReactorRun run;
  const long rss_before = rss_kib();
  auto reactor = Reactor::create(s.options);
  if (!reactor) {
    ADD_FAILURE() << reactor.error().to_string();
    return run;
  }
  auto builder = client::ConnectionBuilder::from_conninfo(server.dsn(s.conninfo_extra));
  if (!builder) {
    ADD_FAILURE() << builder.error().to_string();
    return run;
  }
  builder->connect_timeout(s.connect_timeout);
  uring::ConnectionEvents events;
  events.on_ready = [&](Connection& c) {
    run.ready = true;
    if (!s.sql) return;
    ASSERT_TRUE(protocol::frontend::query(c.sink(), *s.sql));
    ASSERT_TRUE(c.push_request(&run.request));
  };
  events.on_closed = [&](Connection&, const Error& e) {
    ++run.closed_events;
    run.closed = e;
  };
  const auto start = std::chrono::steady_clock::now();
  auto conn = (*reactor)->open(*builder, std::move(events));
  if (!conn) {
    ADD_FAILURE() << conn.error().to_string();
    return run;
  }
  auto finished = [&] {
    if (run.closed_events >= s.closed_events) return true;
    if (run.closed || s.until_closed) return false;
    return s.sql ? run.request.outcome.has_value() : run.ready;
  };
  while (!finished()) {
    if (std::chrono::steady_clock::now() - start > kGuard) {
      run.hung = true;
      break;
    }
    auto r = (*reactor)->run_once(20ms);
    if (!r) {
      ADD_FAILURE() << r.error().to_string();
      break;
    }
  }
  run.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  run.rss_growth_kib = rss_kib() - rss_before;
  run.final_state = (*conn)->state();
  run.open_after = (*reactor)->open_connections();
  run.parameters_after = (*conn)->session().parameters.size();
  return run;
}

void expect_one_line(const Error& e) {
  EXPECT_FALSE(e.message().empty());
  EXPECT_EQ(e.message().find('\n'), std::string::npos) << e.message();
}

// The connection was given up with an error of `category`, quickly, and is closed for good.
void expect_closed_with(const ReactorRun& run, ErrorCategory category, int closed_events = 1) {
  ASSERT_FALSE(run.hung) << "the reactor neither failed nor finished within " << kGuard.count() << " s";
  ASSERT_TRUE(run.closed) << "the connection did not close";
  EXPECT_EQ(run.closed->category(), category) << run.closed->to_string();
  expect_one_line(*run.closed);
  EXPECT_EQ(run.closed_events, closed_events);  // one on_closed per attempt, no more
  EXPECT_EQ(run.final_state, Connection::State::closed);
  EXPECT_EQ(run.open_after, 0u);
}

// The request in flight failed with `category` and the connection closed.
void expect_request_failed_with(const ReactorRun& run, ErrorCategory category) {
  ASSERT_TRUE(run.ready) << (run.closed ? run.closed->to_string() : std::string("no error"));
  expect_closed_with(run, category);
  ASSERT_TRUE(run.request.outcome) << "the request never completed";
  EXPECT_EQ(run.request.completions, 1);
  ASSERT_FALSE(*run.request.outcome);
  EXPECT_EQ(run.request.outcome->error().category(), category) << run.request.outcome->error().to_string();
}

// ---- frames split at every byte boundary ----

TEST(ReactorHostileSplit, EveryByteBoundaryDuringStartupAndResponse) {
  FakeServer server(hostile::split_every_byte());
  RunSettings s;
  s.sql = "SELECT a, b FROM t";
  auto run = run_reactor(server, s);
  ASSERT_FALSE(run.hung);
  ASSERT_TRUE(run.ready) << (run.closed ? run.closed->to_string() : "");
  ASSERT_TRUE(run.request.outcome);
  ASSERT_TRUE(*run.request.outcome) << run.request.outcome->error().to_string();
  EXPECT_EQ(run.request.types, "TDDDC");  // the notice and ParameterStatus are not the request's
  EXPECT_EQ(run.request.rows, (std::vector<Row>{{"1", std::nullopt}, {"", "two"}, {"3", "33"}}));
  EXPECT_FALSE(run.closed);
}

TEST(ReactorHostileSplit, EveryTwoPieceSplitOfStartupAndResponse) {
  // Deterministic counterpart of the test above: for every k, the start-up answer and the query
  // answer are each sent as two pieces cut at byte k, with a pause between them.
  for (std::size_t k = 1; k < hostile::two_piece_splits(); ++k) {
    SCOPED_TRACE("split at byte " + std::to_string(k));
    FakeServer server(hostile::split_in_two_at(k));
    RunSettings s;
    s.sql = "SELECT a";
    auto run = run_reactor(server, s);
    ASSERT_FALSE(run.hung);
    ASSERT_TRUE(run.request.outcome) << (run.closed ? run.closed->to_string() : "");
    ASSERT_TRUE(*run.request.outcome) << run.request.outcome->error().to_string();
    ASSERT_EQ(run.request.rows, (std::vector<Row>{{"1"}, {std::nullopt}}));
    ASSERT_EQ(run.request.types, "TDDC");
  }
}

TEST(ReactorHostileSplit, FramesLargerThanTheRingArriveInOddPieces) {
  // A 4 KiB receive ring: the 10 000-byte rows take the slow path and the small frames wrap the
  // ring, with pieces of 777 bytes that cut headers and bodies anywhere.
  const std::vector<Row> rows = hostile::big_rows(10'000, 6);
  FakeServer server(hostile::rows_in_pieces(rows, 777, 100us));
  RunSettings s;
  s.options.recv_ring_bytes = 4096;
  s.sql = "SELECT v";
  auto run = run_reactor(server, s);
  ASSERT_FALSE(run.hung);
  ASSERT_TRUE(run.request.outcome) << (run.closed ? run.closed->to_string() : "");
  ASSERT_TRUE(*run.request.outcome) << run.request.outcome->error().to_string();
  ASSERT_EQ(run.request.rows.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(run.request.rows[i], rows[i]) << "row " << i;
}

// ---- length fields that lie ----

class ReactorHostileLength : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(ReactorHostileLength, DuringStartupIsAProtocolErrorFromTheHeader) {
  const std::uint32_t length = GetParam();
  FakeServer server([length](FakeConnection& c) {
    if (!c.read_startup()) return;
    c.send(fake::header('R', length) + std::string(64, 'x'));
    (void)c.wait_for_close(3s);
  });
  auto run = run_reactor(server);
  expect_closed_with(run, ErrorCategory::protocol);
  EXPECT_FALSE(run.ready);
  EXPECT_NE(run.closed->message().find("length"), std::string::npos) << run.closed->message();
  EXPECT_LT(run.rss_growth_kib, 16 * 1024);
}

TEST_P(ReactorHostileLength, WithARequestInFlightFailsTheRequestAndCloses) {
  const std::uint32_t length = GetParam();
  FakeServer server(answer_query(hostile::lying_data_row_length(length)));
  RunSettings s;
  s.sql = "SELECT a";
  auto run = run_reactor(server, s);
  expect_request_failed_with(run, ErrorCategory::protocol);
  EXPECT_NE(run.closed->message().find("length"), std::string::npos) << run.closed->message();
  EXPECT_EQ(run.request.types, "T");
  EXPECT_LT(run.rss_growth_kib, 16 * 1024);
}

INSTANTIATE_TEST_SUITE_P(Lengths, ReactorHostileLength, ::testing::ValuesIn(hostile::lying_lengths()),
                         [](const auto& i) { return "len_" + std::to_string(i.param); });

TEST(ReactorHostileMemory, AFrameAboveTheConfiguredLimitIsRefusedFromItsHeader) {
  // The server sends only the header and keeps the socket open: the refusal cannot wait for it.
  FakeServer server(answer_query(hostile::data_row_header_only(1u << 20)));
  RunSettings s;
  s.options.limits.max_data_length = 64 * 1024;
  s.sql = "SELECT a";
  auto run = run_reactor(server, s);
  expect_request_failed_with(run, ErrorCategory::protocol);
  EXPECT_NE(run.closed->message().find("above the limit of 65536"), std::string::npos) << run.closed->message();
  EXPECT_LT(run.took, 1s);
}

TEST(ReactorHostileMemory, AnAnnouncedGigabyteCostsOnlyWhatArrives) {
  // 1 GiB is within the default DataRow limit, so the header is accepted; then 1 MiB arrives and
  // the server hangs up. The slow-path buffer must grow with the bytes, not to the announced size.
  FakeServer server(hostile::announced_gigabyte());
  RunSettings s;
  s.sql = "SELECT a";
  auto run = run_reactor(server, s);
  expect_request_failed_with(run, ErrorCategory::io);
  EXPECT_EQ(run.closed->message(), "server closed the connection unexpectedly");
  EXPECT_LT(run.rss_growth_kib, 32 * 1024) << "the reactor allocated the announced 1 GiB";
}

// ---- a DataRow that lies ----

class ReactorHostileDataRow : public ::testing::TestWithParam<LyingRow> {};

TEST_P(ReactorHostileDataRow, IsRefusedByTheParserAndTheRequestStillEnds) {
  // The frame is well delimited, so the stream stays in sync: the handler's DataRow::parse refuses
  // the row with a clean error, and the request ends at its ReadyForQuery.
  FakeServer server(answer_query(hostile::answer_with_lying_row(GetParam().body)));
  RunSettings s;
  s.sql = "SELECT a";
  auto run = run_reactor(server, s);
  ASSERT_FALSE(run.hung);
  ASSERT_TRUE(run.request.outcome);
  EXPECT_TRUE(*run.request.outcome);
  ASSERT_EQ(run.request.row_errors.size(), 1u);
  EXPECT_EQ(run.request.row_errors[0].find('\n'), std::string::npos);
  EXPECT_NE(run.request.row_errors[0].find("DataRow"), std::string::npos) << run.request.row_errors[0];
  ASSERT_EQ(run.request.rows.size(), 1u);
  EXPECT_EQ(run.request.rows[0][0], "ok");
}

INSTANTIATE_TEST_SUITE_P(
    Lies, ReactorHostileDataRow, ::testing::ValuesIn(hostile::lying_rows()),
    [](const auto& i) { return std::string(i.param.name); });

TEST(ReactorHostileDataRowFrame, AFrameLengthShorterThanItsFieldsDesynchronisesAndCloses) {
  // The DataRow's length ends it after its count; its field then reads as the next frame, whose
  // type byte (0x00) is no message: a protocol error, and the connection is given up.
  FakeServer server(answer_query(hostile::data_row_frame_too_short()));
  RunSettings s;
  s.sql = "SELECT a";
  auto run = run_reactor(server, s);
  expect_request_failed_with(run, ErrorCategory::protocol);
  EXPECT_NE(run.closed->message().find("out of sync"), std::string::npos) << run.closed->message();
  EXPECT_EQ(run.request.row_errors.size(), 1u);  // the short DataRow itself was refused too
}

TEST(ReactorHostileDataRowFrame, ARowWithNoRequestInFlightClosesTheConnection) {
  FakeServer server([](FakeConnection& c) {
    if (!c.accept_session()) return;
    c.send(fake::data_row({"unasked"}));
    (void)c.wait_for_close(3s);
  });
  RunSettings s;
  s.until_closed = true;
  auto run = run_reactor(server, s);
  EXPECT_TRUE(run.ready);
  expect_closed_with(run, ErrorCategory::protocol);
  EXPECT_NE(run.closed->message().find("no request in flight"), std::string::npos) << run.closed->message();
}

// ---- an ErrorResponse with no terminator ----

TEST(ReactorHostileErrorResponse, WithoutTerminatorDuringStartupIsAProtocolError) {
  FakeServer server(hostile::unterminated_error_during_startup());
  auto run = run_reactor(server);
  expect_closed_with(run, ErrorCategory::protocol);
  EXPECT_NE(run.closed->message().find("ErrorResponse"), std::string::npos) << run.closed->message();
}

TEST(ReactorHostileErrorResponse, WithoutTerminatorFailsTheRequestWithAProtocolError) {
  FakeServer server(answer_query(fake::frame('E', hostile::unterminated_error()) + fake::ready_for_query()));
  RunSettings s;
  s.sql = "SELECT a";
  auto run = run_reactor(server, s);
  ASSERT_FALSE(run.hung);
  ASSERT_TRUE(run.request.outcome);
  ASSERT_FALSE(*run.request.outcome);
  const Error& e = run.request.outcome->error();
  EXPECT_EQ(e.category(), ErrorCategory::protocol) << e.to_string();
  EXPECT_NE(e.message().find("ErrorResponse"), std::string::npos) << e.message();
  expect_one_line(e);
}

TEST(ReactorHostileErrorResponse, WithoutTerminatorAndNoRequestClosesTheConnection) {
  FakeServer server([](FakeConnection& c) {
    if (!c.accept_session()) return;
    c.send(fake::frame('E', hostile::unterminated_error()));
    (void)c.wait_for_close(3s);
  });
  RunSettings s;
  s.until_closed = true;
  auto run = run_reactor(server, s);
  EXPECT_TRUE(run.ready);
  expect_closed_with(run, ErrorCategory::protocol);
  EXPECT_NE(run.closed->message().find("ErrorResponse"), std::string::npos) << run.closed->message();
}

// ---- endless notices ----

TEST(ReactorHostileNotices, EndlessDuringStartupHitTheConnectTimeoutInBoundedMemory) {
  std::size_t sent = 0;
  FakeServer server(hostile::notice_flood_during_startup(sent));
  RunSettings s;
  s.connect_timeout = 400ms;
  auto run = run_reactor(server, s);
  expect_closed_with(run, ErrorCategory::timeout);
  EXPECT_NE(run.closed->message().find("connect_timeout"), std::string::npos) << run.closed->message();
  EXPECT_FALSE(run.ready);
  EXPECT_GE(run.took, 350ms);
  EXPECT_LT(run.took, 2s);
  EXPECT_LT(run.rss_growth_kib, 16 * 1024);
  ASSERT_TRUE(server.wait_done());
  EXPECT_GT(sent, 1000u);  // the reactor kept reading: it was the deadline, not a stall
}

TEST(ReactorHostileNotices, EndlessWhileARequestWaitsEndInARequestTimeout) {
  // The server floods notices and never answers, not even the cancel: request_timeout fires,
  // the cancel goes out, and when that changes nothing either the connection is given up.
  std::size_t sent = 0;
  CancelSeen cancel;
  FakeServer server(std::vector<FakeServer::Script>{hostile::notice_flood_after_query(sent), cancel_reader(cancel)});
  RunSettings s;
  s.options.request_timeout = 200ms;
  s.sql = "SELECT pg_sleep(1000)";
  auto run = run_reactor(server, s);
  expect_request_failed_with(run, ErrorCategory::timeout);
  EXPECT_NE(run.request.outcome->error().message().find("timed out"), std::string::npos)
      << run.request.outcome->error().message();
  EXPECT_EQ(run.request.types, "");  // notices are not the request's answer
  EXPECT_LT(run.took, 2s);
  EXPECT_LT(run.rss_growth_kib, 16 * 1024);
  ASSERT_TRUE(server.wait_done());
  EXPECT_GT(sent, 1000u);
  expect_cancel_for_the_session(cancel);
}

// Endless ParameterStatus, each with a new name: the session keeps a bounded number of them.
TEST(ReactorHostileNotices, EndlessNewParametersDuringStartupStayBounded) {
  FakeServer server(hostile::parameter_flood_during_startup());
  RunSettings s;
  s.connect_timeout = 400ms;
  auto run = run_reactor(server, s);
  expect_closed_with(run, ErrorCategory::timeout);
  EXPECT_LT(run.rss_growth_kib, 16 * 1024);
}

TEST(ReactorHostileNotices, EndlessNewParametersWhileARequestWaitsStayBounded) {
  std::size_t sent = 0;
  FakeServer server(
      std::vector<FakeServer::Script>{hostile::parameter_flood_after_query(sent), hostile::silent_after_startup()});
  RunSettings s;
  s.options.request_timeout = 200ms;
  s.sql = "SELECT 1";
  auto run = run_reactor(server, s);
  expect_request_failed_with(run, ErrorCategory::timeout);
  EXPECT_LT(run.rss_growth_kib, 16 * 1024);
  EXPECT_EQ(run.parameters_after, client::SessionInfo::kMaxParameters);
  EXPECT_TRUE(run.request.types.empty());  // ParameterStatus is not the request's answer
  ASSERT_TRUE(server.wait_done());
  EXPECT_GT(sent, 10 * client::SessionInfo::kMaxParameters);
}

// ---- silence: the connect and request timeouts fire ----

class ReactorHostileSilence : public ::testing::TestWithParam<const char*> {};

TEST_P(ReactorHostileSilence, DuringStartupHitsTheConnectTimeout) {
  // The script reads what the client sends first (StartupMessage or SSLRequest), then nothing.
  FakeServer server(hostile::silent_after_startup());
  RunSettings s;
  s.conninfo_extra = GetParam();
  s.connect_timeout = 300ms;
  auto run = run_reactor(server, s);
  expect_closed_with(run, ErrorCategory::timeout);
  EXPECT_NE(run.closed->message().find("connect_timeout"), std::string::npos) << run.closed->message();
  EXPECT_GE(run.took, 250ms);
  EXPECT_LT(run.took, 2s);
  EXPECT_EQ(server.accepted(), 1u);
}

TEST(ReactorHostileSilenceReconnect, EveryAttemptGetsItsOwnConnectTimeout) {
  // With a reconnect policy each new attempt must arm the start-up deadline again, or the
  // second silent server would hold the connection for ever.
  const FakeServer::Script silent = hostile::silent_after_startup();
  FakeServer server(std::vector<FakeServer::Script>{silent, silent, silent});
  RunSettings s;
  s.connect_timeout = 200ms;
  s.options.reconnect.max_attempts = 2;
  s.options.reconnect.initial_backoff = 10ms;
  s.closed_events = 3;
  auto run = run_reactor(server, s);
  expect_closed_with(run, ErrorCategory::timeout, 3);
  EXPECT_EQ(server.accepted(), 3u);
  EXPECT_GE(run.took, 600ms);
  EXPECT_LT(run.took, 3s);
}

INSTANTIATE_TEST_SUITE_P(Modes, ReactorHostileSilence,
                         ::testing::Values("sslmode=disable", "sslmode=require", "sslmode=prefer"),
                         [](const auto& i) { return std::string(i.param).substr(8); });

TEST(ReactorHostileSilenceRequest, ARequestTimesOutAndTheConnectionCloses) {
  CancelSeen cancel;
  FakeServer server(std::vector<FakeServer::Script>{hostile::silent_after_query(), cancel_reader(cancel)});
  RunSettings s;
  s.options.request_timeout = 200ms;
  s.sql = "SELECT 1";
  auto run = run_reactor(server, s);
  expect_request_failed_with(run, ErrorCategory::timeout);
  EXPECT_GE(run.took, 200ms);
  EXPECT_LT(run.took, 2s);
  ASSERT_TRUE(server.wait_done());
  expect_cancel_for_the_session(cancel);
}

TEST(ReactorHostileSilenceRequest, AnHonouredCancelIsATimeoutAndTheConnectionLives) {
  // The well-behaved counterpart: the server answers the cancel with 57014 on the session, so
  // the request is a timeout and the connection stays open for the next one.
  FakeConnection* session = nullptr;
  CancelSeen cancel;
  FakeServer server(std::vector<FakeServer::Script>{[&](FakeConnection& c) {
                                                      if (!c.accept_session()) return;
                                                      if (c.read_query()) session = &c;
                                                    },
                                                    [&](FakeConnection& c) {
                                                      cancel.packet = c.read_startup();
                                                      if (!session) return;
                                                      session->send(fake::error_response(
                                                                        "57014", "canceling statement due to user request",
                                                                        "ERROR") +
                                                                    fake::ready_for_query());
                                                    }});
  RunSettings s;
  s.options.request_timeout = 500ms;  // the grace for the cancel's answer too: roomy on a busy machine
  s.sql = "SELECT pg_sleep(1000)";
  auto run = run_reactor(server, s);
  ASSERT_FALSE(run.hung);
  ASSERT_TRUE(run.request.outcome);
  ASSERT_FALSE(*run.request.outcome);
  EXPECT_EQ(run.request.outcome->error().category(), ErrorCategory::timeout) << run.request.outcome->error().to_string();
  EXPECT_FALSE(run.closed) << run.closed->to_string();
  EXPECT_EQ(run.final_state, Connection::State::ready);
  ASSERT_TRUE(server.wait_done());
  expect_cancel_for_the_session(cancel);
}

// ---- the server hangs up mid-frame ----

TEST(ReactorHostileClose, MidFrameDuringStartupIsAnIoError) {
  FakeServer server([](FakeConnection& c) {
    if (!c.read_startup()) return;
    c.send(fake::auth_ok().substr(0, 6));
    c.close();
  });
  auto run = run_reactor(server);
  expect_closed_with(run, ErrorCategory::io);
  EXPECT_EQ(run.closed->message(), "server closed the connection unexpectedly");
  EXPECT_LT(run.took, 1s);
}

TEST(ReactorHostileClose, MidFrameWithARequestInFlightFailsItWithAnIoError) {
  FakeServer server(hostile::close_mid_row());
  RunSettings s;
  s.sql = "SELECT a";
  auto run = run_reactor(server, s);
  expect_request_failed_with(run, ErrorCategory::io);
  EXPECT_EQ(run.request.types, "T");
  EXPECT_LT(run.took, 1s);
}

// ---- the answer to SSLRequest ----

struct SslAnswer {
  const char* name;
  std::string bytes;
  ErrorCategory category;
  const char* says;
};
void PrintTo(const SslAnswer& a, std::ostream* os) { *os << a.name; }

class ReactorHostileSsl : public ::testing::TestWithParam<SslAnswer> {};

TEST_P(ReactorHostileSsl, GarbageAnswerIsACleanErrorWithoutRetry) {
  const SslAnswer& a = GetParam();
  for (const char* mode : {"sslmode=require", "sslmode=prefer"}) {
    SCOPED_TRACE(mode);
    FakeServer server(std::vector<FakeServer::Script>{hostile::ssl_answer(a.bytes), [](FakeConnection&) {}});
    RunSettings s;
    s.conninfo_extra = mode;
    auto run = run_reactor(server, s);
    expect_closed_with(run, a.category);
    EXPECT_NE(run.closed->message().find(a.says), std::string::npos) << run.closed->message();
    EXPECT_EQ(server.accepted(), 1u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Answers, ReactorHostileSsl,
    ::testing::Values(SslAnswer{"letter_X", "X", ErrorCategory::protocol, "'X'"},
                      SslAnswer{"binary_garbage", std::string("\x00\xff\x13\x37", 4), ErrorCategory::protocol, "0x00"},
                      SslAnswer{"bytes_after_S", "Sgarbage", ErrorCategory::tls, "CVE-2021-23222"},
                      SslAnswer{"error_with_lying_length", fake::header('E', 0x7fffffffu), ErrorCategory::protocol,
                                "length"}),
    [](const auto& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace pgstream::testing
