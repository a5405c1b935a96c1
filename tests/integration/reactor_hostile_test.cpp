// The io_uring reactor against a hostile fake server (support/fake_server.hpp): frames split at
// every byte, lying lengths, DataRows and ErrorResponses that lie, endless notices, silence, a
// server that hangs up mid-frame, garbage instead of an SSL answer; during start-up and with a
// request in flight. Each must end in a clean error (the request completes, the connection
// closes), quickly, without a crash, and without memory growing past the configured limits.
// No scratch server needed.
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/uring/connection.hpp"
#include "pgstream/uring/reactor.hpp"
#include "support/fake_server.hpp"

namespace pgstream::testing {
namespace {

using namespace std::chrono_literals;
using uring::Connection;
using uring::Reactor;
using uring::ReactorOptions;
using uring::RequestHandler;

constexpr std::int32_t kCancelRequest = 80877102;
constexpr auto kGuard = 4s;  // a run that takes longer is a hang: the test fails, it does not wait

// Resident memory of this process now (not the peak: a test must see what is still held).
long rss_kib() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

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

// A script that opens the session, reads the one query and answers with `answer`, then waits
// for the client to hang up.
FakeServer::Script answer_query(std::string answer) {
  return [answer](FakeConnection& c) {
    if (!c.accept_session()) return ADD_FAILURE() << "no StartupMessage";
    auto q = c.read_query();
    if (!q) return ADD_FAILURE() << "no Query";
    c.send(answer);
    (void)c.wait_for_close(3s);
  };
}

std::string notices(int n) {
  std::string b;
  for (int i = 0; i < n; ++i) b += fake::notice_response("hostile notice");
  return b;
}

// ---- frames split at every byte boundary ----

TEST(ReactorHostileSplit, EveryByteBoundaryDuringStartupAndResponse) {
  const std::string answer = fake::notice_response("before") + fake::parameter_status("application_name", "x") +
                             fake::query_result({"a", "b"}, {{"1", std::nullopt}, {"", "two"}, {"3", "33"}}, "SELECT 3");
  FakeServer server([&](FakeConnection& c) {
    if (!c.read_startup()) return;
    c.send_in_pieces(fake::auth_ok() + fake::session_ready(), 1, 150us);
    if (!c.read_query()) return ADD_FAILURE() << "no Query";
    c.send_in_pieces(answer, 1, 150us);
    (void)c.wait_for_close(3s);
  });
  RunSettings s;
  s.sql = "SELECT a, b FROM t";
  auto run = run_reactor(server, s);
  ASSERT_FALSE(run.hung);
  ASSERT_TRUE(run.ready) << (run.closed ? run.closed->to_string() : "");
  ASSERT_TRUE(run.request.outcome);
  ASSERT_TRUE(*run.request.outcome) << run.request.outcome->error().to_string();
  EXPECT_EQ(run.request.types, "TDDDC");  // the notice and ParameterStatus are not the request's
  using Row = std::vector<std::optional<std::string>>;
  EXPECT_EQ(run.request.rows, (std::vector<Row>{{"1", std::nullopt}, {"", "two"}, {"3", "33"}}));
  EXPECT_FALSE(run.closed);
}

TEST(ReactorHostileSplit, EveryTwoPieceSplitOfStartupAndResponse) {
  // Deterministic counterpart of the test above: for every k, the start-up answer and the query
  // answer are each sent as two pieces cut at byte k, with a pause between them.
  const std::string startup = fake::auth_ok() + fake::session_ready();
  const std::string answer = fake::notice_response("n") + fake::query_result({"a"}, {{"1"}, {std::nullopt}}, "SELECT 2");
  const std::size_t longest = std::max(startup.size(), answer.size());
  auto split_send = [](FakeConnection& c, const std::string& bytes, std::size_t k) {
    k = 1 + (k - 1) % (bytes.size() - 1);  // 1 .. size-1
    c.send(bytes.substr(0, k));
    std::this_thread::sleep_for(1ms);
    c.send(bytes.substr(k));
  };
  for (std::size_t k = 1; k < longest; ++k) {
    SCOPED_TRACE("split at byte " + std::to_string(k));
    FakeServer server([&](FakeConnection& c) {
      if (!c.read_startup()) return;
      split_send(c, startup, k);
      if (!c.read_query()) return;
      split_send(c, answer, k);
      (void)c.wait_for_close(3s);
    });
    RunSettings s;
    s.sql = "SELECT a";
    auto run = run_reactor(server, s);
    ASSERT_FALSE(run.hung);
    ASSERT_TRUE(run.request.outcome) << (run.closed ? run.closed->to_string() : "");
    ASSERT_TRUE(*run.request.outcome) << run.request.outcome->error().to_string();
    using Row = std::vector<std::optional<std::string>>;
    ASSERT_EQ(run.request.rows, (std::vector<Row>{{"1"}, {std::nullopt}}));
    ASSERT_EQ(run.request.types, "TDDC");
  }
}

TEST(ReactorHostileSplit, FramesLargerThanTheRingArriveInOddPieces) {
  // A 4 KiB receive ring: the 10 000-byte rows take the slow path and the small frames wrap the
  // ring, with pieces of 777 bytes that cut headers and bodies anywhere.
  const std::string big(10'000, 'x');
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (int i = 0; i < 6; ++i) {
    rows.push_back({std::to_string(i)});
    rows.push_back({big + std::to_string(i)});
  }
  FakeServer server([&](FakeConnection& c) {
    if (!c.accept_session()) return;
    if (!c.read_query()) return ADD_FAILURE() << "no Query";
    c.send_in_pieces(fake::query_result({"v"}, rows, "SELECT 12"), 777, 100us);
    (void)c.wait_for_close(3s);
  });
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
  FakeServer server(answer_query(fake::row_description({"a"}) + fake::header('D', length) + std::string(64, 'x')));
  RunSettings s;
  s.sql = "SELECT a";
  auto run = run_reactor(server, s);
  expect_request_failed_with(run, ErrorCategory::protocol);
  EXPECT_NE(run.closed->message().find("length"), std::string::npos) << run.closed->message();
  EXPECT_EQ(run.request.types, "T");
  EXPECT_LT(run.rss_growth_kib, 16 * 1024);
}

// 0 and 3: below the 4 the field counts itself; 2^31 - 1: above every default limit;
// 0x80000000 and 0xffffffff: negative as an Int32.
INSTANTIATE_TEST_SUITE_P(Lengths, ReactorHostileLength,
                         ::testing::Values(0u, 3u, 0x7fffffffu, 0x80000000u, 0xffffffffu),
                         [](const auto& i) { return "len_" + std::to_string(i.param); });

TEST(ReactorHostileMemory, AFrameAboveTheConfiguredLimitIsRefusedFromItsHeader) {
  // The server sends only the header and keeps the socket open: the refusal cannot wait for it.
  FakeServer server(answer_query(fake::header('D', 1u << 20)));
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
  FakeServer server([](FakeConnection& c) {
    if (!c.accept_session()) return;
    if (!c.read_query()) return ADD_FAILURE() << "no Query";
    c.send(fake::header('D', 1u << 30) + std::string(1 << 20, 'x'));
    c.close();
  });
  RunSettings s;
  s.sql = "SELECT a";
  auto run = run_reactor(server, s);
  expect_request_failed_with(run, ErrorCategory::io);
  EXPECT_EQ(run.closed->message(), "server closed the connection unexpectedly");
  EXPECT_LT(run.rss_growth_kib, 32 * 1024) << "the reactor allocated the announced 1 GiB";
}

// ---- a DataRow that lies ----

struct LyingRow {
  const char* name;
  std::string body;  // the DataRow body; the frame length itself is honest
};
void PrintTo(const LyingRow& r, std::ostream* os) { *os << r.name; }

class ReactorHostileDataRow : public ::testing::TestWithParam<LyingRow> {};

TEST_P(ReactorHostileDataRow, IsRefusedByTheParserAndTheRequestStillEnds) {
  // The frame is well delimited, so the stream stays in sync: the handler's DataRow::parse refuses
  // the row with a clean error, and the request ends at its ReadyForQuery.
  const std::string answer = fake::row_description({"a"}) + fake::frame('D', GetParam().body) +
                             fake::data_row({"ok"}) + fake::command_complete("SELECT 2") + fake::ready_for_query();
  FakeServer server(answer_query(answer));
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
    Lies, ReactorHostileDataRow,
    ::testing::Values(LyingRow{"count_too_high", std::string("\x00\x05", 2) + fake::be32(2) + "ab"},
                      LyingRow{"count_too_low", std::string("\x00\x01", 2) + fake::be32(1) + "a" + fake::be32(1) + "b"},
                      LyingRow{"field_longer_than_body", std::string("\x00\x01", 2) + fake::be32(100) + "abc"},
                      LyingRow{"field_length_huge", std::string("\x00\x01", 2) + fake::be32(0x7fffffff) + "abc"},
                      LyingRow{"field_length_minus_2", std::string("\x00\x01", 2) + fake::be32(-2)},
                      LyingRow{"length_cut_off", std::string("\x00\x01\x00\x00", 4)},
                      LyingRow{"empty_body", std::string()}),
    [](const auto& i) { return std::string(i.param.name); });

TEST(ReactorHostileDataRowFrame, AFrameLengthShorterThanItsFieldsDesynchronisesAndCloses) {
  // The DataRow's length ends it after its count; its field then reads as the next frame, whose
  // type byte (0x00) is no message: a protocol error, and the connection is given up.
  const std::string field = fake::be32(3) + "abc";
  const std::string answer = fake::row_description({"a"}) + fake::header('D', 6) + std::string("\x00\x01", 2) + field +
                             fake::command_complete("SELECT 1") + fake::ready_for_query();
  FakeServer server(answer_query(answer));
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

const std::string kUnterminatedError = std::string("SERROR\0VERROR\0C42000\0Mno end", 28);

TEST(ReactorHostileErrorResponse, WithoutTerminatorDuringStartupIsAProtocolError) {
  FakeServer server([](FakeConnection& c) {
    if (!c.read_startup()) return;
    c.send(fake::frame('E', kUnterminatedError));
    (void)c.wait_for_close(3s);
  });
  auto run = run_reactor(server);
  expect_closed_with(run, ErrorCategory::protocol);
  EXPECT_NE(run.closed->message().find("ErrorResponse"), std::string::npos) << run.closed->message();
}

TEST(ReactorHostileErrorResponse, WithoutTerminatorFailsTheRequestWithAProtocolError) {
  FakeServer server(answer_query(fake::frame('E', kUnterminatedError) + fake::ready_for_query()));
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
    c.send(fake::frame('E', kUnterminatedError));
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
  FakeServer server([&sent](FakeConnection& c) {
    if (!c.read_startup()) return;
    const std::string batch = notices(50);
    while (!c.stopping() && c.send(batch)) sent += 50;
  });
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

struct CancelSeen {
  std::optional<StartupPacket> packet;
};

FakeServer::Script cancel_reader(CancelSeen& seen) {
  return [&seen](FakeConnection& c) {
    seen.packet = c.read_startup();
    c.close();  // as a server does once it has read a CancelRequest
  };
}

void expect_cancel_for_the_session(const CancelSeen& seen) {
  ASSERT_TRUE(seen.packet) << "no CancelRequest arrived";
  EXPECT_EQ(seen.packet->code, kCancelRequest);
  EXPECT_EQ(seen.packet->rest, fake::be32(4242) + "\x01\x02\x03\x04");
}

TEST(ReactorHostileNotices, EndlessWhileARequestWaitsEndInARequestTimeout) {
  // The server floods notices and never answers, not even the cancel: request_timeout fires,
  // the cancel goes out, and when that changes nothing either the connection is given up.
  std::size_t sent = 0;
  CancelSeen cancel;
  FakeServer server(std::vector<FakeServer::Script>{[&sent](FakeConnection& c) {
                                                      if (!c.accept_session()) return;
                                                      if (!c.read_query()) return;
                                                      const std::string batch = notices(50);
                                                      while (!c.stopping() && c.send(batch)) sent += 50;
                                                    },
                                                    cancel_reader(cancel)});
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
std::string parameter_flood(int from, int n) {
  std::string b;
  for (int i = from; i < from + n; ++i) b += fake::parameter_status("flood_" + std::to_string(i), "v");
  return b;
}

TEST(ReactorHostileNotices, EndlessNewParametersDuringStartupStayBounded) {
  FakeServer server([](FakeConnection& c) {
    if (!c.read_startup()) return;
    for (int i = 0; !c.stopping() && c.send(parameter_flood(i, 1000)); i += 1000) {
    }
  });
  RunSettings s;
  s.connect_timeout = 400ms;
  auto run = run_reactor(server, s);
  expect_closed_with(run, ErrorCategory::timeout);
  EXPECT_LT(run.rss_growth_kib, 16 * 1024);
}

TEST(ReactorHostileNotices, EndlessNewParametersWhileARequestWaitsStayBounded) {
  std::size_t sent = 0;
  FakeServer server(std::vector<FakeServer::Script>{[&sent](FakeConnection& c) {
                                                      if (!c.accept_session()) return;
                                                      if (!c.read_query()) return;
                                                      for (int i = 0; !c.stopping() && c.send(parameter_flood(i, 1000));
                                                           i += 1000)
                                                        sent += 1000;
                                                    },
                                                    [](FakeConnection& c) { (void)c.read_startup(); }});
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
  FakeServer server([](FakeConnection& c) { (void)c.read_startup(); });
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
  auto silent = [](FakeConnection& c) { (void)c.read_startup(); };
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
  FakeServer server(std::vector<FakeServer::Script>{[](FakeConnection& c) {
                                                      if (!c.accept_session()) return;
                                                      (void)c.read_query();  // and then nothing
                                                    },
                                                    cancel_reader(cancel)});
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
  FakeServer server([](FakeConnection& c) {
    if (!c.accept_session()) return;
    if (!c.read_query()) return;
    const std::string row = fake::data_row({"abcdef"});
    c.send(fake::row_description({"a"}) + row.substr(0, row.size() - 3));
    c.close();
  });
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
    std::int32_t first_code = 0;
    FakeServer server(std::vector<FakeServer::Script>{[&](FakeConnection& c) {
                                                        auto p = c.read_startup();
                                                        if (p) first_code = p->code;
                                                        c.send(a.bytes);
                                                        (void)c.wait_for_close(3s);
                                                      },
                                                      [](FakeConnection&) {}});
    RunSettings s;
    s.conninfo_extra = mode;
    auto run = run_reactor(server, s);
    expect_closed_with(run, a.category);
    EXPECT_NE(run.closed->message().find(a.says), std::string::npos) << run.closed->message();
    EXPECT_EQ(first_code, 80877103);
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
