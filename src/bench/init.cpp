// `pgstream bench init`: pgbench's tables and rows, written as binary COPY over the reactor.
//
// Like `pgbench -i` (client-side generation), the tables are created and filled in one
// transaction with COPY ... FREEZE, so the rows are born frozen and the VACUUM after it is cheap;
// FREEZE needs the COPY in the transaction that created the table, hence one stream for the data.
// A second connection vacuums and indexes the small tables while the first does the accounts.

#include "pgstream/bench/init.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "pgstream/protocol/copy_binary.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/protocol/types/types.hpp"
#include "pgstream/uring/connection.hpp"
#include "pgstream/uring/reactor.hpp"

namespace pgstream::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace fe = protocol::frontend;
using uring::Connection;

// Writes the rows of one table into CopyData frames; true when the last row is written.
using RowWriter = std::function<bool(protocol::CopyDataFrame<protocol::SpanSink>&)>;

// One statement of a connection's script: plain SQL, or a COPY fed by a row writer.
struct Step {
  std::string sql;
  RowWriter rows;        // empty: not a COPY
  double* clock = nullptr;  // seconds to add the step's duration to
};

// Runs its steps one after the other on one connection, each sent as soon as the previous one
// answered (a COPY streams while the server consumes it).
class StepRunner final : public uring::RequestHandler {
 public:
  std::deque<Step> steps;
  std::optional<Error> failure;
  Connection* conn = nullptr;
  bool done = false;
  // Steps of another runner that must complete before this one's next step (set by the caller).
  std::function<bool()> may_start = [] { return true; };

  void next() {
    if (busy_ || failure || !conn || !conn->ready()) return;
    if (steps.empty()) {
      done = true;
      return;
    }
    if (!may_start()) return;
    Step& s = steps.front();
    started_ = Clock::now();
    if (!fe::query(conn->sink(), s.sql) || !conn->push_request(this)) {
      failure = Error(ErrorCategory::io, "bench init: the send buffer cannot take: " + s.sql.substr(0, 60));
      return;
    }
    busy_ = true;
    header_sent_ = trailer_sent_ = false;
    if (s.rows) pump();
  }

  // Streams rows into the send area until it is full (then waits for on_writable) or done.
  void pump() {
    if (!busy_ || steps.empty() || !steps.front().rows || trailer_sent_) return;
    for (;;) {
      auto& sink = conn->sink();
      bool finished = false;
      {
        protocol::CopyDataFrame frame(sink);
        if (!frame.is_open()) return conn->notify_when_writable();
        if (!header_sent_) {
          if (!frame.header()) return conn->notify_when_writable();
          header_sent_ = true;
        }
        finished = steps.front().rows(frame);
        if (finished && !frame.trailer()) finished = false;  // the trailer goes with the next frame
      }
      if (finished) break;
      if (sink.remaining() < 4096) return conn->notify_when_writable();
    }
    auto& sink = conn->sink();
    if (sink.remaining() < 5) return conn->notify_when_writable();
    fe::copy_done(sink);
    trailer_sent_ = true;
  }

  void on_complete(Connection&, Result<void> outcome) override {
    busy_ = false;
    if (!outcome) {
      failure = outcome.error();
      return;
    }
    if (double* c = steps.front().clock) *c += std::chrono::duration<double>(Clock::now() - started_).count();
    steps.pop_front();
    next();
  }

 private:
  bool busy_ = false, header_sent_ = false, trailer_sent_ = false;
  Clock::time_point started_;
};

// Rows 1..n of a table, resumable across frames.
class Counter {
 public:
  explicit Counter(std::int64_t n) : n_(n) {}
  [[nodiscard]] bool more() const noexcept { return next_ <= n_; }
  [[nodiscard]] std::int64_t value() const noexcept { return next_; }
  void advance() noexcept { ++next_; }
  [[nodiscard]] std::uint64_t done() const noexcept { return static_cast<std::uint64_t>(next_ - 1); }

 private:
  std::int64_t n_;
  std::int64_t next_ = 1;
};

std::string create_tables_sql(const InitOptions& o) {
  const std::string with = " WITH (fillfactor=" + std::to_string(o.fillfactor) + ")";
  const std::string unlogged = o.unlogged ? "UNLOGGED " : "";
  const std::string aid = o.scale >= kBigintScale ? "bigint" : "int";
  return "BEGIN;"
         "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers;"
         "CREATE " + unlogged + "TABLE pgbench_history(tid int,bid int,aid " + aid + ",delta int,mtime timestamp,filler char(22));"
         "CREATE " + unlogged + "TABLE pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84))" + with + ";"
         "CREATE " + unlogged + "TABLE pgbench_accounts(aid " + aid + " not null,bid int,abalance int,filler char(84))" + with + ";"
         "CREATE " + unlogged + "TABLE pgbench_branches(bid int not null,bbalance int,filler char(88))" + with;
}

}  // namespace

Result<InitReport> run_init(const client::ConnectionBuilder& builder, const InitOptions& o) {
  if (o.scale < 1) return make_error(ErrorCategory::config, "bench init: the scale must be at least 1");
  if (o.fillfactor < 10 || o.fillfactor > 100)
    return make_error(ErrorCategory::config, "bench init: the fillfactor must be between 10 and 100");
  const auto t0 = Clock::now();
  InitReport report;
  report.branches = static_cast<std::uint64_t>(o.scale);
  report.tellers = static_cast<std::uint64_t>(o.scale * kTellersPerBranch);
  report.accounts = static_cast<std::uint64_t>(o.scale * kAccountsPerBranch);

  uring::ReactorOptions ro;
  ro.max_connections = 2;
  ro.send_buffer_bytes = 1u << 20;
  auto reactor = uring::Reactor::create(ro);
  if (!reactor) return std::unexpected(reactor.error());

  auto branches = std::make_shared<Counter>(o.scale);
  auto tellers = std::make_shared<Counter>(o.scale * kTellersPerBranch);
  auto accounts = std::make_shared<Counter>(o.scale * kAccountsPerBranch);
  const bool big = o.scale >= kBigintScale;
  std::uint64_t last_progress = 0;
  auto progress = o.progress;

  StepRunner main, side;
  main.steps.push_back({create_tables_sql(o), {}, &report.create_and_copy_seconds});
  // The filler columns as pgbench writes them: NULL for branches and tellers, '' for accounts
  // (blank-padded to char(84) by the server).
  main.steps.push_back({"COPY pgbench_branches (bid, bbalance, filler) FROM STDIN (FORMAT binary, FREEZE)",
                        [branches](auto& frame) {
                          for (; branches->more(); branches->advance()) {
                            auto fit = frame.tuple(static_cast<std::int32_t>(branches->value()), std::int32_t{0}, std::nullopt);
                            if (!fit || !*fit) return false;
                          }
                          return true;
                        },
                        &report.create_and_copy_seconds});
  main.steps.push_back({"COPY pgbench_tellers (tid, bid, tbalance, filler) FROM STDIN (FORMAT binary, FREEZE)",
                        [tellers](auto& frame) {
                          for (; tellers->more(); tellers->advance()) {
                            const auto tid = tellers->value();
                            auto fit = frame.tuple(static_cast<std::int32_t>(tid),
                                                   static_cast<std::int32_t>((tid - 1) / kTellersPerBranch + 1),
                                                   std::int32_t{0}, std::nullopt);
                            if (!fit || !*fit) return false;
                          }
                          return true;
                        },
                        &report.create_and_copy_seconds});
  main.steps.push_back({"COPY pgbench_accounts (aid, bid, abalance, filler) FROM STDIN (FORMAT binary, FREEZE)",
                        [accounts, big, progress, &last_progress, total = report.accounts](auto& frame) {
                          for (; accounts->more(); accounts->advance()) {
                            const auto aid = accounts->value();
                            const auto bid = static_cast<std::int32_t>((aid - 1) / kAccountsPerBranch + 1);
                            auto fit = big ? frame.tuple(aid, bid, std::int32_t{0}, std::string_view{})
                                           : frame.tuple(static_cast<std::int32_t>(aid), bid, std::int32_t{0},
                                                         std::string_view{});
                            if (!fit || !*fit) break;
                          }
                          if (progress && accounts->done() - last_progress >= 100'000) {
                            last_progress = accounts->done();
                            progress(accounts->done(), total);
                          }
                          return !accounts->more();
                        },
                        &report.create_and_copy_seconds});
  main.steps.push_back({"COMMIT", {}, &report.create_and_copy_seconds});
  main.steps.push_back({"VACUUM ANALYZE pgbench_accounts", {}, &report.vacuum_seconds});
  main.steps.push_back({"ALTER TABLE pgbench_accounts ADD PRIMARY KEY (aid)", {}, &report.keys_seconds});
  // The small tables, on the second connection once the tables are committed.
  side.steps.push_back({"VACUUM ANALYZE pgbench_branches, pgbench_tellers, pgbench_history", {}, nullptr});
  side.steps.push_back({"ALTER TABLE pgbench_branches ADD PRIMARY KEY (bid); "
                        "ALTER TABLE pgbench_tellers ADD PRIMARY KEY (tid)",
                        {}, nullptr});
  // The small tables wait for the tables to be committed (main is past its COMMIT).
  constexpr std::size_t kStepsThroughCommit = 5;
  if (o.foreign_keys) {
    main.may_start = [&main, &side] { return main.steps.size() > 1 || side.done; };
    // After every primary key exists: both runners' last steps.
    main.steps.push_back({"ALTER TABLE pgbench_tellers ADD FOREIGN KEY (bid) REFERENCES pgbench_branches;"
                          "ALTER TABLE pgbench_accounts ADD FOREIGN KEY (bid) REFERENCES pgbench_branches;"
                          "ALTER TABLE pgbench_history ADD FOREIGN KEY (bid) REFERENCES pgbench_branches;"
                          "ALTER TABLE pgbench_history ADD FOREIGN KEY (tid) REFERENCES pgbench_tellers;"
                          "ALTER TABLE pgbench_history ADD FOREIGN KEY (aid) REFERENCES pgbench_accounts",
                          {}, &report.keys_seconds});
  }

  const std::size_t main_steps = main.steps.size();
  side.may_start = [&main, main_steps] { return main_steps - main.steps.size() >= kStepsThroughCommit; };

  std::optional<Error> closed;
  auto open = [&](StepRunner& r) -> Result<void> {
    uring::ConnectionEvents ev;
    ev.on_ready = [&r](Connection& c) {
      r.conn = &c;
      r.next();
    };
    ev.on_writable = [&r](Connection&) { r.pump(); };
    ev.on_closed = [&closed](Connection&, const Error& e) {
      if (!closed) closed = e;
    };
    auto c = (*reactor)->open(builder, ev);
    if (!c) return std::unexpected(c.error());
    return {};
  };
  if (auto r = open(main); !r) return std::unexpected(r.error());
  if (auto r = open(side); !r) return std::unexpected(r.error());
  auto r = (*reactor)->run_until([&] {
    main.next();
    side.next();
    return (main.done && side.done) || main.failure || side.failure || closed;
  });
  (*reactor)->close_all();
  if (!r) return std::unexpected(r.error());
  for (auto* f : {&main.failure, &side.failure, &closed})
    if (*f) return make_error((*f)->category(), "bench init: " + (*f)->to_string());
  report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return report;
}

}  // namespace pgstream::bench
