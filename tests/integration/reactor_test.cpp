// The io_uring reactor against the real scratch server: many pipelined connections on one
// thread, errors inside a pipeline, frames larger than the receive ring and across its boundary,
// backends terminated mid-run, TLS.
#include "pgstream/uring/reactor.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/protocol/types/types.hpp"
#include "pgstream/uring/connection.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

namespace fe = protocol::frontend;
using uring::Connection;
using uring::Reactor;
using uring::RequestHandler;

client::ConnectionBuilder trust_builder(const std::string& extra = "sslmode=disable") {
  const auto& s = *TestServer::instance();
  auto b = client::ConnectionBuilder::from_conninfo("host=127.0.0.1 dbname=postgres port=" + std::to_string(s.port()) +
                                                    " user=" + s.get("PGSTREAM_TEST_TRUST_USER") + " " + extra);
  EXPECT_TRUE(b) << b.error().to_string();
  return *b;
}

std::int32_t int4_of(const protocol::Frame& f) {
  auto row = protocol::DataRow::parse(f);
  EXPECT_TRUE(row);
  auto field = (*row)[0];
  EXPECT_EQ(field.size(), 4u);
  std::uint32_t v;
  std::memcpy(&v, field.bytes().data(), 4);
  return static_cast<std::int32_t>(__builtin_bswap32(v));
}

// Runs `per_connection` SELECT $1::int4 per connection, `depth` in flight, and checks that every
// answer is its own parameter, in order. Optionally one parameter fails (division by zero).
struct PipelineDriver {
  struct Slot;
  struct Handler final : RequestHandler {
    Slot* slot = nullptr;
    std::int32_t expected = 0;
    bool got_row = false;
    void on_frame(Connection&, const protocol::Frame& f) override {
      if (f.type == 'D') {
        EXPECT_EQ(int4_of(f), expected);
        got_row = true;
      }
    }
    void on_complete(Connection& c, Result<void> outcome) override;
  };
  struct PrepareHandler final : RequestHandler {
    Slot* slot = nullptr;
    void on_complete(Connection& c, Result<void> outcome) override;
  };
  struct Slot {
    PipelineDriver* driver = nullptr;
    Connection* conn = nullptr;
    PrepareHandler prepare;
    std::vector<Handler> handlers;
    std::size_t next_handler = 0;
    std::int32_t sent = 0;
    std::int32_t completed = 0;
    std::int32_t ok = 0;
    std::int32_t failed = 0;
    std::int32_t expect_next = 0;
    bool prepared = false;
    bool closed = false;
    std::string close_error;
  };

  std::int32_t per_connection = 0;
  std::size_t depth = 1;
  std::int32_t failing_parameter = -1;  // this one divides by zero
  std::vector<std::unique_ptr<Slot>> slots;
  std::size_t finished = 0;

  void fill(Slot& s) {
    while (s.prepared && !s.closed && s.conn->has_request_room() && s.sent < per_connection &&
           s.conn->requests_in_flight() < depth) {
      const std::size_t mark = s.conn->sink().size();
      Handler& h = s.handlers[s.next_handler];
      const std::int32_t v = s.sent;
      auto r = fe::bind(s.conn->sink(), "", "q", {protocol::Format::binary}, v);
      if (r) r = fe::execute(s.conn->sink());
      if (r) fe::sync(s.conn->sink());
      if (!r || s.conn->sink().overflowed()) {
        protocol::rollback(s.conn->sink(), mark);
        s.conn->notify_when_writable();
        return;
      }
      h.slot = &s;
      h.expected = v;
      h.got_row = false;
      if (!s.conn->push_request(&h)) {
        protocol::rollback(s.conn->sink(), mark);
        return;
      }
      s.next_handler = (s.next_handler + 1) % s.handlers.size();
      ++s.sent;
    }
  }

  void start(Reactor& reactor, const client::ConnectionBuilder& b, std::size_t connections) {
    for (std::size_t i = 0; i < connections; ++i) {
      auto s = std::make_unique<Slot>();
      s->driver = this;
      s->handlers.resize(depth);
      Slot* raw = s.get();
      uring::ConnectionEvents ev;
      ev.on_ready = [this, raw](Connection& c) {
        raw->conn = &c;
        raw->prepare.slot = raw;
        auto r = fe::parse(c.sink(), "q", "SELECT $1::int4 / CASE WHEN $1 = " + std::to_string(failing_parameter) +
                                              " THEN 0 ELSE 1 END", {23});
        ASSERT_TRUE(r);
        fe::sync(c.sink());
        ASSERT_TRUE(c.push_request(&raw->prepare));
      };
      ev.on_writable = [this, raw](Connection&) { fill(*raw); };
      ev.on_closed = [this, raw](Connection&, const Error& e) {
        if (!raw->closed) {
          raw->closed = true;
          raw->close_error = e.message();
          ++finished;
        }
      };
      auto c = reactor.open(b, ev);
      ASSERT_TRUE(c) << c.error().to_string();
      raw->conn = *c;
      slots.push_back(std::move(s));
    }
  }
};

void PipelineDriver::PrepareHandler::on_complete(Connection&, Result<void> outcome) {
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  slot->prepared = true;
  slot->driver->fill(*slot);
}

void PipelineDriver::Handler::on_complete(Connection&, Result<void> outcome) {
  Slot& s = *slot;
  EXPECT_EQ(expected, s.expect_next) << "answers out of order";
  s.expect_next = expected + 1;
  ++s.completed;
  if (outcome) {
    EXPECT_TRUE(got_row);
    ++s.ok;
  } else {
    ++s.failed;
    // Either the division by zero of the failing parameter, or the connection's death: the
    // administrator's FATAL (57P01) or the reset that follows it.
    const auto& e = outcome.error();
    EXPECT_TRUE(e.sqlstate() == "22012" || e.sqlstate() == "57P01" || e.category() == ErrorCategory::io)
        << e.to_string();
  }
  if (s.completed == s.driver->per_connection) {
    ++s.driver->finished;
    return;
  }
  s.driver->fill(s);
}

TEST(Reactor, ManyPipelinedConnectionsGetTheirOwnAnswersInOrder) {
  PGSTREAM_REQUIRE_SERVER();
  uring::ReactorOptions o;
  o.send_buffer_bytes = 16 * 1024;
  o.recv_ring_bytes = 64 * 1024;
  auto reactor = Reactor::create(o);
  if (!reactor && reactor.error().category() == ErrorCategory::unsupported) GTEST_SKIP() << reactor.error().message();
  ASSERT_TRUE(reactor) << reactor.error().to_string();
  PipelineDriver d;
  d.per_connection = 10'000;
  d.depth = 32;
  d.start(**reactor, trust_builder(), 200);
  ASSERT_TRUE((*reactor)->run_until([&] { return d.finished == d.slots.size(); }));
  for (auto& s : d.slots) {
    ASSERT_FALSE(s->closed) << s->close_error;
    EXPECT_EQ(s->ok, 10'000);
  }
}

TEST(Reactor, AnErrorFailsOnlyItsOwnRequest) {
  PGSTREAM_REQUIRE_SERVER();
  auto reactor = Reactor::create({});
  if (!reactor && reactor.error().category() == ErrorCategory::unsupported) GTEST_SKIP() << reactor.error().message();
  ASSERT_TRUE(reactor);
  PipelineDriver d;
  d.per_connection = 200;
  d.depth = 32;
  d.failing_parameter = 77;
  d.start(**reactor, trust_builder(), 2);
  ASSERT_TRUE((*reactor)->run_until([&] { return d.finished == d.slots.size(); }));
  for (auto& s : d.slots) {
    ASSERT_FALSE(s->closed) << s->close_error;
    EXPECT_EQ(s->failed, 1);
    EXPECT_EQ(s->ok, 199);
  }
}

// Records what one Sync's worth of Bind/Execute pairs got back: the int4 rows and the outcome.
struct SyncBatchHandler final : RequestHandler {
  std::vector<std::int32_t> rows;
  std::size_t command_completes = 0;
  bool done = false;
  std::string sqlstate;  // empty: succeeded
  void on_frame(Connection&, const protocol::Frame& f) override {
    if (f.type == 'D') rows.push_back(int4_of(f));
    if (f.type == 'C') ++command_completes;
  }
  void on_complete(Connection&, Result<void> outcome) override {
    done = true;
    if (!outcome) sqlstate = outcome.error().sqlstate().empty() ? outcome.error().to_string() : std::string(outcome.error().sqlstate());
  }
};

// Several Bind/Execute under ONE Sync, the middle one dividing by zero: the server answers the
// first, skips the rest up to the Sync, and that request alone fails; the next Sync's request,
// already pipelined behind it on the same connection, succeeds.
TEST(Reactor, AnErrorInsideOneSyncFailsThatRequestAndTheNextSyncSucceeds) {
  PGSTREAM_REQUIRE_SERVER();
  auto reactor = Reactor::create({});
  if (!reactor && reactor.error().category() == ErrorCategory::unsupported) GTEST_SKIP() << reactor.error().message();
  ASSERT_TRUE(reactor);
  SyncBatchHandler batch, after, later;
  Connection* conn = nullptr;
  std::string closed;
  auto bind_execute = [](Connection& c, std::int32_t divisor) {
    auto r = fe::bind(c.sink(), "", "div", {protocol::Format::binary}, divisor);
    if (r) r = fe::execute(c.sink());
    return r;
  };
  uring::ConnectionEvents ev;
  ev.on_ready = [&](Connection& c) {
    conn = &c;
    // Request 1: Parse, then 100/1, 100/0, 100/5, 100/4, then one Sync.
    ASSERT_TRUE(fe::parse(c.sink(), "div", "SELECT 100 / $1::int4", {23}));
    for (std::int32_t d : {1, 0, 5, 4}) ASSERT_TRUE(bind_execute(c, d));
    fe::sync(c.sink());
    ASSERT_TRUE(c.push_request(&batch));
    // Request 2, sent in the same batch: the prepared statement survived the error.
    ASSERT_TRUE(bind_execute(c, 2));
    ASSERT_TRUE(bind_execute(c, 10));
    fe::sync(c.sink());
    ASSERT_TRUE(c.push_request(&after));
  };
  ev.on_closed = [&](Connection&, const Error& e) { closed = e.to_string(); };
  auto c = (*reactor)->open(trust_builder(), ev);
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_TRUE((*reactor)->run_until([&] { return (batch.done && after.done) || !closed.empty(); }));
  ASSERT_TRUE(closed.empty()) << closed;
  EXPECT_EQ(batch.sqlstate, "22012");
  EXPECT_EQ(batch.rows, std::vector<std::int32_t>{100});  // 100/5 and 100/4 were skipped
  EXPECT_EQ(batch.command_completes, 1u);
  EXPECT_EQ(after.sqlstate, "");
  EXPECT_EQ(after.rows, (std::vector<std::int32_t>{50, 10}));
  EXPECT_EQ(after.command_completes, 2u);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->transaction_status(), 'I');

  // And a request pushed after both answered, on the same connection, succeeds too.
  ASSERT_TRUE(bind_execute(*conn, 25));
  fe::sync(conn->sink());
  ASSERT_TRUE(conn->push_request(&later));
  ASSERT_TRUE((*reactor)->run_until([&] { return later.done || !closed.empty(); }));
  ASSERT_TRUE(closed.empty()) << closed;
  EXPECT_EQ(later.sqlstate, "");
  EXPECT_EQ(later.rows, std::vector<std::int32_t>{4});
}

TEST(Reactor, TlsConnectionsGiveTheSameAnswers) {
  PGSTREAM_REQUIRE_SERVER();
  auto reactor = Reactor::create({});
  if (!reactor && reactor.error().category() == ErrorCategory::unsupported) GTEST_SKIP() << reactor.error().message();
  ASSERT_TRUE(reactor);
  PipelineDriver d;
  d.per_connection = 2'000;
  d.depth = 16;
  d.start(**reactor, trust_builder("sslmode=require"), 4);
  ASSERT_TRUE((*reactor)->run_until([&] { return d.finished == d.slots.size(); }));
  for (auto& s : d.slots) {
    ASSERT_FALSE(s->closed) << s->close_error;
    EXPECT_TRUE(s->conn->encrypted());
    EXPECT_EQ(s->ok, 2'000);
  }
}

// Sends simple queries whose rows are `sizes` bytes of text each, and checks every row arrives whole.
struct BigRowsHandler final : RequestHandler {
  std::vector<std::size_t> seen;
  bool done = false;
  std::string error;
  void on_frame(Connection&, const protocol::Frame& f) override {
    if (f.type != 'D') return;
    auto row = protocol::DataRow::parse(f);
    ASSERT_TRUE(row);
    auto text = (*row)[0].text();
    // Each row is 'x' repeated, then its length as a check that nothing was shifted.
    EXPECT_TRUE(text.find_first_not_of('x') == std::string_view::npos);
    seen.push_back(text.size());
  }
  void on_complete(Connection&, Result<void> outcome) override {
    if (!outcome) error = outcome.error().to_string();
    done = true;
  }
};

void run_big_rows(const std::string& conninfo_extra, std::size_t ring_bytes, std::size_t tls_recv_bytes = 64 * 1024) {
  constexpr std::size_t kRounds = 6;
  uring::ReactorOptions o;
  o.recv_ring_bytes = ring_bytes;
  o.tls_recv_bytes = tls_recv_bytes;
  auto reactor = Reactor::create(o);
  if (!reactor && reactor.error().category() == ErrorCategory::unsupported) GTEST_SKIP() << reactor.error().message();
  ASSERT_TRUE(reactor);
  BigRowsHandler h;
  // Sizes chosen so frames straddle the ring's end many times, plus two far larger than the ring.
  const std::vector<std::size_t> sizes = {1000, 3000, 4093, 4094, 4095, 4096, 5000, 7777, 4 * 1024 * 1024, 12, 1500000, 9};
  std::string sql = "SELECT repeat('x', n) FROM unnest(ARRAY[";
  for (std::size_t i = 0; i < sizes.size(); ++i) sql += (i ? "," : "") + std::to_string(sizes[i]);
  sql += "]) WITH ORDINALITY AS t(n, i) ORDER BY i";
  uring::ConnectionEvents ev;
  std::string closed;
  ev.on_closed = [&](Connection&, const Error& e) { closed = e.to_string(); };
  // One handler for all 20 queries: completion count tells when all are done.
  std::size_t completions = 0;
  struct Counting final : RequestHandler {
    BigRowsHandler* inner;
    std::size_t* count;
    void on_frame(Connection& c, const protocol::Frame& f) override { inner->on_frame(c, f); }
    void on_complete(Connection& c, Result<void> r) override {
      ++*count;
      inner->on_complete(c, std::move(r));
    }
  } counting;
  counting.inner = &h;
  counting.count = &completions;
  ev.on_ready = [&](Connection& c) {
    for (std::size_t rep = 0; rep < kRounds; ++rep) {  // many rounds so boundaries fall everywhere
      ASSERT_TRUE(fe::query(c.sink(), sql));
      ASSERT_TRUE(c.push_request(&counting));
    }
  };
  auto c = (*reactor)->open(trust_builder(conninfo_extra), ev);
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_TRUE((*reactor)->run_until([&] { return completions == kRounds || !closed.empty(); }));
  ASSERT_TRUE(closed.empty()) << closed;
  EXPECT_TRUE(h.error.empty()) << h.error;
  ASSERT_EQ(h.seen.size(), kRounds * sizes.size());
  for (std::size_t i = 0; i < h.seen.size(); ++i) EXPECT_EQ(h.seen[i], sizes[i % sizes.size()]) << "row " << i;
}

TEST(Reactor, FramesLargerThanTheRingAndAcrossItsEndDecode) {
  PGSTREAM_REQUIRE_SERVER();
  run_big_rows("sslmode=disable", 16 * 1024);
}

TEST(Reactor, FramesLargerThanTheRingAndAcrossItsEndDecodeUnderTls) {
  PGSTREAM_REQUIRE_SERVER();
  run_big_rows("sslmode=require", 16 * 1024);
}

// A ciphertext buffer smaller than one TLS record: records arrive in pieces, rows stay whole.
TEST(Reactor, ASmallTlsReceiveBufferStillDecodesEveryRow) {
  PGSTREAM_REQUIRE_SERVER();
  run_big_rows("sslmode=require", 16 * 1024, 1000);
}

TEST(Reactor, AnEmptyTlsReceiveBufferIsRefused) {
  uring::ReactorOptions o;
  o.tls_recv_bytes = 0;
  auto reactor = Reactor::create(o);
  ASSERT_FALSE(reactor);
  EXPECT_EQ(reactor.error().category(), ErrorCategory::config);
}

TEST(Reactor, TerminatedBackendsFailCleanlyWhileTheOthersFinish) {
  PGSTREAM_REQUIRE_SERVER();
  auto reactor = Reactor::create({});
  if (!reactor && reactor.error().category() == ErrorCategory::unsupported) GTEST_SKIP() << reactor.error().message();
  ASSERT_TRUE(reactor);
  PipelineDriver d;
  d.per_connection = 3'000;
  d.depth = 8;
  d.start(**reactor, trust_builder("sslmode=disable application_name=reactor_victims"), 10);
  // Let them get going, then terminate half of the backends from an admin session.
  std::size_t turns = 0;
  ASSERT_TRUE((*reactor)->run_until([&] {
    ++turns;
    std::size_t started = 0;
    for (auto& s : d.slots) started += s->completed > 100;
    return started == d.slots.size() || turns > 100000;
  }));
  std::string pids;
  for (std::size_t i = 0; i < d.slots.size(); i += 2)
    pids += (pids.empty() ? "" : ",") + std::to_string(d.slots[i]->conn->session().backend_pid);
  const auto& s = *TestServer::instance();
  auto admin = client::PgConnection::connect("host=127.0.0.1 sslmode=disable dbname=postgres port=" +
                                             std::to_string(s.port()) + " user=" + s.admin_user());
  ASSERT_TRUE(admin) << admin.error().to_string();
  auto killed = admin->simple_query("SELECT count(*) FROM (SELECT pg_terminate_backend(p) FROM unnest(ARRAY[" + pids +
                                    "]) AS p) x");
  ASSERT_TRUE(killed) << killed.error().to_string();
  ASSERT_TRUE((*reactor)->run_until([&] { return d.finished == d.slots.size(); }));
  for (std::size_t i = 0; i < d.slots.size(); ++i) {
    auto& slot = *d.slots[i];
    if (i % 2 == 0) {
      EXPECT_TRUE(slot.closed) << "connection " << i << " should have died";
      EXPECT_LT(slot.ok, 3'000);
    } else {
      EXPECT_FALSE(slot.closed) << slot.close_error;
      EXPECT_EQ(slot.ok, 3'000);
    }
  }
}

}  // namespace
}  // namespace pgstream::testing
