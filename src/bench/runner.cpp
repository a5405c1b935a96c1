// The bench load generator: one reactor thread per -j, its share of the clients, and a main
// thread that starts them together, prints -P lines and merges the results.

#include "pgstream/bench/runner.hpp"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>

#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/tls/tls_session.hpp"
#include "pgstream/uring/connection.hpp"
#include "pgstream/uring/reactor.hpp"

namespace pgstream::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Ns = std::int64_t;
namespace fe = protocol::frontend;
using uring::Connection;

constexpr Ns kMs = 1'000'000;
constexpr Ns kSecond = 1'000'000'000;
// Room a statement needs in the send area before the cursor is stepped (a step's views die at
// the next step, so it must be encoded at once). Scripts' statements are far smaller.
constexpr std::size_t kStepRoom = 32 * 1024;
// After -T ends, transactions in flight get this long to finish.
constexpr Ns kDrainTimeout = 10 * kSecond;

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool retryable(std::string_view sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

// A failed transaction's SQLSTATE as the key of the per-thread error counts: five chars, zero
// padded, so counting a failure allocates nothing. All zeros: no SQLSTATE (the connection failed).
using SqlstateKey = std::array<char, 5>;

SqlstateKey sqlstate_key(const char* sqlstate) {
  SqlstateKey k{};
  for (std::size_t i = 0; i < k.size() && sqlstate[i]; ++i) k[i] = sqlstate[i];
  return k;
}

// The name the report uses: the SQLSTATE, or "connection" when there was none.
std::string sqlstate_name(const SqlstateKey& k) {
  if (!k[0]) return "connection";
  return std::string(k.data(), static_cast<std::size_t>(std::find(k.begin(), k.end(), '\0') - k.begin()));
}

// What every thread shares; written before the threads start, except the atomics.
struct Shared {
  const RunOptions* opt = nullptr;
  std::vector<std::vector<std::string>> prepared_names;  // [script][command]
  std::vector<std::size_t> statement_base;               // first StatementStats index per script
  std::size_t statement_count = 0;
  Clock::time_point t0;
  Ns warmup_end = 0;
  Ns end = INT64_MAX;
  Ns tick = kSecond;
  double rate_per_client_ns = 0;  // transactions per ns per client (-R)
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<unsigned> connected_threads{0};
};

// One interval of one thread, handed to the main thread.
struct IntervalData {
  std::size_t index = 0;
  std::uint64_t completed = 0, failed = 0;
  LatencyHistogram latency;
  double lag_sum_ns = 0;
  std::uint64_t lag_count = 0;
  bool last = false;  // the thread's final (partial) interval
};

class ThreadRunner;

struct Txn {
  bool in_use = false;
  Ns intended = 0;
  Ns sent = -1;
  Ns last_done = 0;
  std::uint32_t pending = 0;
  bool stepping_done = false;
  bool failed = false;
  char sqlstate[6] = {};
  std::size_t script = 0;
  unsigned tries = 0;
  // For retries: the client's variables and random state as the transaction began.
  Variables vars;
  Prng rng;
};

struct Client;

struct Request final : uring::RequestHandler {
  Client* client = nullptr;
  std::uint32_t txn = 0;
  std::uint32_t command = 0;
  std::size_t script = 0;
  ResultCapture capture = ResultCapture::none;
  bool rollback = false;
  bool parsing = false;      // -M prepared: this request carries the statement's Parse
  bool parse_done = false;   // ... and the server answered ParseComplete
  std::size_t statement = 0;
  Ns sent = 0;
  std::uint64_t rows = 0;
  // A \startpipeline block: its statements (command, whether it carried its Parse) under one
  // Sync; `answered` counts those whose CommandComplete came, `parsed` the ParseCompletes.
  bool pipeline = false;
  std::vector<std::pair<std::uint32_t, bool>> items;
  std::size_t answered = 0, parsed = 0;
  Ns last_answer = 0;
  void on_frame(Connection& c, const protocol::Frame& f) override;
  void on_complete(Connection& c, Result<void> outcome) override;
};

struct Client {
  ThreadRunner* t = nullptr;
  Connection* conn = nullptr;
  std::uint32_t id = 0;
  std::unique_ptr<ScriptCursor> cursor;
  std::vector<Txn> txns;
  int stepping = -1;  // the transaction whose script the cursor is in
  int retry = -1;     // a transaction to run again
  bool waiting_results = false;
  Ns sleep_until = 0;
  Ns next_due = 0;    // -R
  Ns timer_at = INT64_MAX;
  std::uint64_t started = 0;
  unsigned in_flight = 0;
  bool done = false;
  bool ever_ready = false;
  std::vector<std::uint8_t> prepared;  // per statement index: Parse sent on this session
  std::vector<protocol::EncodedValue> params;
  bool parsing = false;  // send_sql: the statement being sent carries its Parse
  Request* pipe = nullptr;  // the open \startpipeline block's request
  std::vector<std::string> columns;    // \gset: the current result's column names
  std::vector<ResultColumn> row;
  std::vector<std::unique_ptr<Request>> pool;
  std::vector<Request*> free_requests;

  Request* take_request() {
    if (free_requests.empty()) {
      pool.push_back(std::make_unique<Request>());
      pool.back()->client = this;
      return pool.back().get();
    }
    Request* r = free_requests.back();
    free_requests.pop_back();
    return r;
  }
  void give_back(Request* r) {
    r->rows = 0;
    r->rollback = false;
    r->parsing = r->parse_done = false;
    r->pipeline = false;
    r->items.clear();
    r->answered = r->parsed = 0;
    free_requests.push_back(r);
  }

  // Queues a request for the next answer of the transaction being stepped, after `fill` set what
  // is particular to it; counts it pending and stamps the transaction's first send. Null when the
  // connection had no room for it (room is checked before each step, so not expected).
  template <class Fill>
  [[nodiscard]] Request* register_request(Ns now, Fill&& fill);
  void pump(Ns now);
  void on_request_done(Request& r, const Result<void>& outcome);
  void maybe_finish(std::uint32_t k, Ns now);
  void reset_session();
  [[nodiscard]] bool send_sql(const Step& step, Ns now);
  void send_rollback(Ns now);
};

class ThreadRunner {
 public:
  ThreadRunner(Shared& shared, std::uint32_t first_client, std::uint32_t count) : sh_(shared) {
    const RunOptions& o = *sh_.opt;
    statements_.resize(o.per_statement ? sh_.statement_count : 0);
    statement_errors_.resize(statements_.size());
    per_script_.resize(o.scripts.size());
    for (std::uint32_t i = 0; i < count; ++i) {
      auto c = std::make_unique<Client>();
      c->t = this;
      c->id = first_client + i;
      CursorOptions co;
      co.mode = o.mode;
      co.scale = o.scale;
      co.client_id = c->id;
      co.random_seed = o.random_seed;
      c->cursor = std::make_unique<ScriptCursor>(o.scripts, *o.names, co);
      c->txns.resize(std::max(1u, o.pipeline));
      c->prepared.assign(sh_.statement_count, 0);
      c->params.reserve(16);
      clients_.push_back(std::move(c));
    }
  }

  // ---- the thread ----
  void run(const client::ConnectionBuilder& builder) {
    if (auto r = connect(builder); !r) {
      fatal_ = r.error();
      sh_.connected_threads.fetch_add(1);
      sh_.connected_threads.notify_all();
      return shutdown();
    }
    sh_.connected_threads.fetch_add(1);
    sh_.connected_threads.notify_all();
    sh_.go.wait(false);
    if (sh_.stop.load()) return shutdown();
    const double run_cpu0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    const auto wall0 = Clock::now();
    next_tick_ = sh_.tick;
    const double rate = sh_.rate_per_client_ns;
    for (auto& c : clients_) {
      if (rate > 0) c->next_due = draw_gap(*c);
      c->pump(now());
    }
    Ns drain_deadline = INT64_MAX;
    for (;;) {
      Ns t = now();
      if (!stopping_ && (t >= sh_.end || sh_.stop.load(std::memory_order_relaxed))) {
        stopping_ = true;
        drain_deadline = t + kDrainTimeout;
      }
      if (all_done() || (stopping_ && (idle() || t >= drain_deadline))) break;
      Ns wait = std::min<Ns>(100 * kMs, next_tick_ - t);
      if (!stopping_) wait = std::min(wait, sh_.end - t);
      if (!timers_.empty()) wait = std::min(wait, timers_.top().first - t);
      if (auto r = reactor_->run_once(std::chrono::nanoseconds(std::max<Ns>(wait, 0))); !r) {
        fatal_ = r.error();
        break;
      }
      t = now();
      while (!timers_.empty() && timers_.top().first <= t) {
        auto [at, c] = timers_.top();
        timers_.pop();
        if (c->timer_at != at) continue;  // superseded
        c->timer_at = INT64_MAX;
        c->pump(t);
      }
      if (t >= next_tick_) publish(t, false);
    }
    publish(now(), true);
    wall_seconds_ = std::chrono::duration<double>(Clock::now() - wall0).count();
    cpu_seconds_ = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - run_cpu0;
    shutdown();
  }

  // ---- called by clients ----
  [[nodiscard]] Ns now() const noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sh_.t0).count();
  }
  [[nodiscard]] const RunOptions& opt() const noexcept { return *sh_.opt; }
  [[nodiscard]] const Shared& shared() const noexcept { return sh_; }
  [[nodiscard]] bool stopping() const noexcept { return stopping_; }

  void set_timer(Client& c, Ns at) {
    if (at >= c.timer_at) return;
    c.timer_at = at;
    timers_.emplace(at, &c);
  }

  Ns draw_gap(Client& c) {
    // Exponential inter-arrival times: a Poisson process per client, as pgbench -R.
    const double u = c.cursor->prng().next_double();
    return static_cast<Ns>(-std::log(1.0 - u) / sh_.rate_per_client_ns);
  }

  void record_statement(std::size_t script, std::size_t command, Ns latency, bool ok, Ns now) {
    if (statements_.empty() || now < sh_.warmup_end) return;
    const std::size_t i = sh_.statement_base[script] + command;
    if (ok) statements_[i].record(latency);
    else ++statement_errors_[i];
  }

  void record_txn(const Txn& x, Ns now) {
    if (now < sh_.warmup_end) return;
    const Ns sent = x.sent >= 0 ? x.sent : x.intended;
    if (sh_.rate_per_client_ns > 0) {
      lag_.record(sent - x.intended);
      interval_lag_sum_ += static_cast<double>(sent - x.intended);
      ++interval_lag_count_;
    }
    if (x.failed && opt().stop_on_error) {
      stopped_on_error_ = true;
      sh_.stop = true;
    }
    if (x.failed) {
      ++failed_;
      ++interval_failed_;
      ++errors_[sqlstate_key(x.sqlstate)];
      return;
    }
    const Ns latency = now - x.intended;
    ++transactions_;
    ++per_script_[x.script];
    latency_.record(latency);
    service_.record(now - sent);
    interval_.record(latency);
    ++interval_completed_;
    if (opt().latency_limit_ms && static_cast<double>(latency) > *opt().latency_limit_ms * 1e6) ++late_;
  }
  void count_retry() { ++retried_; }
  void count_skipped() { ++skipped_; }
  void note_backlog(std::uint64_t n) { backlog_max_ = std::max(backlog_max_, n); }
  void client_error(const Error& e) {
    if (!script_error_) script_error_ = e;
  }

  // ---- results, read by the main thread after join ----
  std::optional<Error> fatal_;
  std::optional<Error> script_error_;
  LatencyHistogram latency_, service_, lag_;
  std::vector<LatencyHistogram> statements_;
  std::vector<std::uint64_t> statement_errors_;
  std::vector<std::uint64_t> per_script_;
  std::uint64_t transactions_ = 0, failed_ = 0, retried_ = 0, late_ = 0, skipped_ = 0, reconnects_ = 0;
  std::uint64_t backlog_max_ = 0;
  bool stopped_on_error_ = false;
  std::map<SqlstateKey, std::uint64_t> errors_;
  double cpu_seconds_ = 0, wall_seconds_ = 0;
  std::uint64_t syscalls_ = 0;

  // -P / timeline intervals, handed over under the lock.
  std::mutex outbox_mutex;
  std::deque<IntervalData> outbox;
  std::atomic<bool> exited{false};
  bool published_last = false;

 private:
  Result<void> connect(const client::ConnectionBuilder& builder) {
    uring::ReactorOptions ro;
    ro.max_connections = clients_.size();
    ro.send_buffer_bytes = 64 * 1024;
    ro.recv_ring_bytes = 64 * 1024;
    ro.reconnect.max_attempts = 60;  // a server restart mid-run: keep trying for a while
    ro.reconnect.initial_backoff = std::chrono::milliseconds(50);
    ro.reconnect.max_backoff = std::chrono::milliseconds(1000);
    auto reactor = uring::Reactor::create(ro);
    if (!reactor) return std::unexpected(reactor.error());
    reactor_ = std::move(*reactor);
    for (auto& cp : clients_) {
      Client* c = cp.get();
      uring::ConnectionEvents ev;
      ev.on_ready = [this, c](Connection& conn) {
        c->conn = &conn;
        if (c->ever_ready) {
          ++reconnects_;
          c->pump(now());
        } else {
          c->ever_ready = true;
          ++connected_;
        }
      };
      ev.on_writable = [this, c](Connection&) { c->pump(now()); };
      ev.on_closed = [this, c](Connection&, const Error& e) {
        if (!c->ever_ready && !connect_error_) connect_error_ = e;
        c->reset_session();
      };
      auto conn = reactor_->open(builder, ev);
      if (!conn) return std::unexpected(conn.error());
      c->conn = *conn;
    }
    while (connected_ < clients_.size() && !connect_error_) {
      if (sh_.stop.load()) return make_error(ErrorCategory::cancelled, "interrupted while connecting");
      if (auto r = reactor_->run_once(std::chrono::milliseconds(50)); !r) return r;
    }
    if (connect_error_)
      return make_error(connect_error_->category(), "a client could not connect: " + connect_error_->to_string());
    return {};
  }

  // Destroying the reactor closes every connection without calling handlers, so nothing is
  // counted after the last interval went out (close_all would fail what is still in flight).
  void shutdown() {
    if (reactor_) syscalls_ = reactor_->enter_calls();
    reactor_.reset();
    tls::release_thread_caches();
    exited.store(true);
  }

  bool all_done() const {
    for (const auto& c : clients_)
      if (!c->done) return false;
    return true;
  }
  bool idle() const {
    for (const auto& c : clients_)
      if (c->in_flight) return false;
    return true;
  }

  // Hands every interval that ended by `t` to the main thread; with `last`, also the current
  // partial one, marked as this thread's final interval.
  void publish(Ns t, bool last) {
    std::lock_guard lock(outbox_mutex);
    while (t >= next_tick_ || last) {
      const bool final_one = last && t < next_tick_;
      IntervalData d;
      d.index = static_cast<std::size_t>((next_tick_ - sh_.tick) / sh_.tick);
      d.completed = interval_completed_;
      d.failed = interval_failed_;
      d.latency = interval_;
      d.lag_sum_ns = interval_lag_sum_;
      d.lag_count = interval_lag_count_;
      d.last = final_one;
      interval_.reset();
      interval_completed_ = interval_failed_ = interval_lag_count_ = 0;
      interval_lag_sum_ = 0;
      outbox.push_back(std::move(d));
      if (final_one) {
        published_last = true;
        break;
      }
      next_tick_ += sh_.tick;
    }
  }

  Shared& sh_;
  std::size_t connected_ = 0;
  std::optional<Error> connect_error_;
  std::unique_ptr<uring::Reactor> reactor_;
  std::vector<std::unique_ptr<Client>> clients_;
  using Timer = std::pair<Ns, Client*>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  bool stopping_ = false;
  Ns next_tick_ = 0;
  LatencyHistogram interval_;
  std::uint64_t interval_completed_ = 0, interval_failed_ = 0, interval_lag_count_ = 0;
  double interval_lag_sum_ = 0;
};

// ---- the client state machine ----

template <class Fill>
Request* Client::register_request(Ns now, Fill&& fill) {
  Txn& x = txns[static_cast<std::size_t>(stepping)];
  Request* r = take_request();
  r->txn = static_cast<std::uint32_t>(stepping);
  r->script = x.script;
  r->sent = now;
  fill(*r);
  if (!conn->push_request(r)) {
    give_back(r);
    return nullptr;
  }
  ++x.pending;
  if (x.sent < 0) x.sent = now;
  return r;
}

void Client::reset_session() {
  // The connection died: whatever was in flight has been failed (and finished) already; the
  // cursor's script and any sleep are abandoned, and the next session has no prepared statements.
  const Ns now = t->now();
  if (stepping >= 0) {
    Txn& x = txns[static_cast<std::size_t>(stepping)];
    x.stepping_done = true;
    if (!x.failed) {
      x.failed = true;
      std::memcpy(x.sqlstate, "08006", 6);
    }
    const auto k = static_cast<std::uint32_t>(stepping);
    stepping = -1;
    maybe_finish(k, now);
  }
  waiting_results = false;
  sleep_until = 0;
  retry = -1;
  pipe = nullptr;
  std::fill(prepared.begin(), prepared.end(), 0);
}

void Client::pump(Ns now) {
  if (done || !conn || !conn->ready()) return;
  const RunOptions& o = t->opt();
  for (;;) {
    if (stepping >= 0) {
      if (waiting_results) return;
      if (sleep_until > now) return t->set_timer(*this, sleep_until);
      if (!conn->has_request_room() || conn->sink().remaining() < kStepRoom) return conn->notify_when_writable();
      auto step = cursor->next();
      Txn& x = txns[static_cast<std::size_t>(stepping)];
      if (!step) {
        // A script error (an unset variable...): pgbench stops such a client; so do we.
        t->client_error(step.error());
        x.failed = true;
        x.stepping_done = true;
        const auto k = static_cast<std::uint32_t>(stepping);
        stepping = -1;
        maybe_finish(k, now);
        done = in_flight == 0;
        return;
      }
      switch (step->kind) {
        case StepKind::sql:
          if (!send_sql(*step, now)) return;
          if (step->capture != ResultCapture::none) waiting_results = true;
          break;
        case StepKind::sleep:
          sleep_until = now + step->sleep_us * 1000;
          break;
        case StepKind::start_pipeline: {
          // One request for the whole block, registered now: answers may come before its Sync.
          Request* r = register_request(now, [now](Request& q) {
            q.pipeline = true;
            q.last_answer = now;
          });
          if (!r) return;
          pipe = r;
          break;
        }
        case StepKind::end_pipeline:
          if (pipe) fe::sync(conn->sink());
          pipe = nullptr;
          break;
        case StepKind::end_of_script: {
          x.stepping_done = true;
          const auto k = static_cast<std::uint32_t>(stepping);
          stepping = -1;
          maybe_finish(k, now);
          break;
        }
      }
      continue;
    }
    if (t->stopping()) return;
    if (retry >= 0) {
      Txn& x = txns[static_cast<std::size_t>(retry)];
      cursor->variables() = x.vars;
      cursor->prng() = x.rng;
      x.sent = -1;
      x.pending = 0;
      x.failed = false;
      x.stepping_done = false;
      x.sqlstate[0] = 0;
      cursor->start(x.script);
      stepping = retry;
      retry = -1;
      continue;
    }
    if (o.transactions && started >= *o.transactions) {
      done = in_flight == 0;
      return;
    }
    if (in_flight >= txns.size()) return;
    Ns intended = now;
    if (t->shared().rate_per_client_ns > 0) {
      if (next_due > now) return t->set_timer(*this, next_due);
      intended = next_due;
      next_due += t->draw_gap(*this);
      // Transactions due and not sent yet (this one included): the backlog a stall builds.
      t->note_backlog(static_cast<std::uint64_t>(static_cast<double>(now - intended) * t->shared().rate_per_client_ns) + 1);
      if (o.latency_limit_ms && static_cast<double>(now - intended) > *o.latency_limit_ms * 1e6) {
        ++started;
        if (now >= t->shared().warmup_end) t->count_skipped();
        continue;
      }
    }
    std::uint32_t k = 0;
    while (txns[k].in_use) ++k;
    Txn& x = txns[k];
    x.in_use = true;
    x.intended = intended;
    x.sent = -1;
    x.last_done = 0;
    x.pending = 0;
    x.stepping_done = false;
    x.failed = false;
    x.sqlstate[0] = 0;
    x.tries = 1;
    x.script = cursor->choose_script();
    if (o.max_tries > 1) {
      x.vars = cursor->variables();
      x.rng = cursor->prng();
    }
    ++in_flight;
    ++started;
    cursor->start(x.script);
    stepping = static_cast<int>(k);
  }
}

bool Client::send_sql(const Step& step, Ns now) {
  Txn& x = txns[static_cast<std::size_t>(stepping)];
  const Shared& sh = t->shared();
  const std::size_t stmt = sh.statement_base[x.script] + step.command;
  auto& sink = conn->sink();
  const std::size_t mark = sink.size();
  Result<void> ok;
  if (t->opt().mode == QueryMode::simple) {
    ok = fe::query(sink, step.sql);
  } else {
    params.clear();
    for (const Param& p : step.params)
      params.push_back(p.null ? protocol::EncodedValue{} : protocol::EncodedValue(std::as_bytes(std::span(p.text))));
    std::string_view name;
    if (t->opt().mode == QueryMode::prepared) name = sh.prepared_names[x.script][step.command];
    parsing = t->opt().mode == QueryMode::prepared && !prepared[stmt];
    if (t->opt().mode == QueryMode::extended || !prepared[stmt]) ok = fe::parse(sink, name, step.sql);
    if (ok) ok = fe::bind_encoded(sink, "", name, {}, params);
    // \gset needs the column names, which only a RowDescription carries.
    if (ok && step.capture != ResultCapture::none) ok = fe::describe(sink, protocol::Target::portal);
    if (ok) ok = fe::execute(sink);
    if (ok && !pipe) fe::sync(sink);
  }
  if (!ok || sink.overflowed()) {
    protocol::rollback(sink, mark);
    if (pipe) {  // the block's request is registered: close it, the server answers its Sync
      fe::sync(sink);
      pipe = nullptr;
    }
    t->client_error(ok ? Error(ErrorCategory::config, "a statement of script " + t->opt().scripts[x.script].name +
                                                          " does not fit the send buffer")
                       : ok.error());
    x.failed = true;
    x.stepping_done = true;
    const auto k = static_cast<std::uint32_t>(stepping);
    stepping = -1;
    maybe_finish(k, now);
    done = in_flight == 0;
    return false;
  }
  if (t->opt().mode == QueryMode::prepared) prepared[stmt] = 1;
  if (pipe) {
    pipe->items.emplace_back(step.command, parsing);
    return true;
  }
  const Request* r = register_request(now, [&](Request& q) {
    q.command = step.command;
    q.capture = step.capture;
    q.parsing = parsing;
    q.statement = stmt;
  });
  if (!r) protocol::rollback(sink, mark);
  return r != nullptr;
}

void Client::send_rollback(Ns now) {
  Request* r = take_request();
  r->rollback = true;
  r->sent = now;
  auto& sink = conn->sink();
  const std::size_t mark = sink.size();
  if (!fe::query(sink, "ROLLBACK") || sink.overflowed() || !conn->push_request(r)) {
    protocol::rollback(sink, mark);
    give_back(r);
  }
}

void Client::on_request_done(Request& r, const Result<void>& outcome) {
  const Ns now = t->now();
  if (r.rollback) {
    give_back(&r);
    return pump(now);
  }
  // A Parse the server refused leaves no prepared statement: the next try parses again.
  if (r.parsing && !r.parse_done) prepared[r.statement] = 0;
  Txn& x = txns[r.txn];
  if (r.pipeline) {
    // ParseCompletes come in order: the Parses after the ones answered did not happen.
    std::size_t parses = 0;
    for (const auto& [command, parsing_it] : r.items) {
      if (!parsing_it) continue;
      if (parses++ >= r.parsed) prepared[t->shared().statement_base[r.script] + command] = 0;
    }
    if (!outcome && r.answered < r.items.size())
      t->record_statement(r.script, r.items[r.answered].first, 0, false, now);
  } else {
    const Ns since = std::max(r.sent, x.last_done);
    t->record_statement(r.script, r.command, now - since, outcome.has_value(), now);
  }
  x.last_done = now;
  if (!outcome && !x.failed) {
    x.failed = true;
    const std::string_view s = outcome.error().sqlstate();
    const std::size_t n = std::min<std::size_t>(s.size(), 5);
    std::memcpy(x.sqlstate, s.data(), n);
    x.sqlstate[n] = 0;
  }
  --x.pending;
  if (r.capture != ResultCapture::none && static_cast<int>(r.txn) == stepping) {
    waiting_results = false;
    if (outcome) {
      if (auto rd = cursor->results_done(); !rd) {
        t->client_error(rd.error());
        x.failed = true;
      }
    }
  }
  // A failed statement ends its script there, as in pgbench (statements already sent still
  // answer; inside BEGIN they fail too, and the ROLLBACK below cleans up).
  if (x.failed && static_cast<int>(r.txn) == stepping) {
    waiting_results = false;
    x.stepping_done = true;
    stepping = -1;
  }
  give_back(&r);
  maybe_finish(static_cast<std::uint32_t>(&x - txns.data()), now);
  pump(now);
}

void Client::maybe_finish(std::uint32_t k, Ns now) {
  Txn& x = txns[k];
  if (!x.in_use || !x.stepping_done || x.pending) return;
  const RunOptions& o = t->opt();
  if (x.failed && retryable(x.sqlstate) && x.tries < o.max_tries && !t->stopping() && conn && conn->ready()) {
    ++x.tries;
    t->count_retry();
    retry = static_cast<int>(k);
  } else {
    t->record_txn(x, now);
    x.in_use = false;
    --in_flight;
  }
  if (in_flight == 0 && conn && conn->ready() && conn->transaction_status() != 'I') send_rollback(now);
  if (in_flight == 0 && o.transactions && started >= *o.transactions && retry < 0) done = true;
}

void Request::on_frame(Connection&, const protocol::Frame& f) {
  if (f.type == '1') {
    parse_done = true;
    ++parsed;
  }
  if (pipeline) {
    // Each statement of the block is timed from the previous answer (or the send).
    if ((f.type == 'C' || f.type == 'I') && answered < items.size()) {
      const Ns now = client->t->now();
      client->t->record_statement(script, items[answered].first, now - last_answer, true, now);
      last_answer = now;
      ++answered;
    }
    return;
  }
  if (capture == ResultCapture::none || rollback) return;
  Client& c = *client;
  switch (f.type) {
    case 'T': {
      auto rd = protocol::RowDescription::parse(f);
      if (!rd) return;
      c.columns.resize(rd->size());
      std::size_t i = 0;
      for (const auto& col : *rd) c.columns[i++].assign(col.name);
      break;
    }
    case 'D': {
      auto row = protocol::DataRow::parse(f);
      if (!row) return;
      c.row.clear();
      std::size_t i = 0;
      for (const auto& v : *row) {
        c.row.push_back({i < c.columns.size() ? std::string_view(c.columns[i]) : std::string_view{}, v.text()});
        ++i;
      }
      c.cursor->result_row(c.row);
      ++rows;
      break;
    }
    case 'C':
    case 'I':
      c.cursor->result_end(rows);
      rows = 0;
      break;
    default:
      break;
  }
}

void Request::on_complete(Connection&, Result<void> outcome) { client->on_request_done(*this, outcome); }

}  // namespace

Result<RunResult> run_bench(const client::ConnectionBuilder& builder, const RunOptions& o,
                            const std::function<void(const ProgressLine&)>& on_progress) {
  if (o.scripts.empty() || !o.names) return make_error(ErrorCategory::config, "bench: no script to run");
  if (o.clients == 0) return make_error(ErrorCategory::config, "bench: --clients must be at least 1");
  if (o.threads == 0 || o.threads > o.clients)
    return make_error(ErrorCategory::config, "bench: --threads must be between 1 and the number of clients");
  if (o.pipeline == 0) return make_error(ErrorCategory::config, "bench: --pipeline must be at least 1");
  if (o.rate && *o.rate <= 0) return make_error(ErrorCategory::config, "bench: --rate must be positive");
  if (auto r = check_scripts_for_mode(o.scripts, o.mode); !r) return std::unexpected(r.error());

  Shared sh;
  sh.opt = &o;
  for (std::size_t s = 0; s < o.scripts.size(); ++s) {
    sh.statement_base.push_back(sh.statement_count);
    sh.statement_count += o.scripts[s].commands.size();
    auto& names = sh.prepared_names.emplace_back();
    for (std::size_t c = 0; c < o.scripts[s].commands.size(); ++c) names.push_back(prepared_statement_name(s, c));
  }
  sh.tick = o.progress_seconds > 0 ? static_cast<Ns>(o.progress_seconds * 1e9) : kSecond;
  if (o.rate) sh.rate_per_client_ns = *o.rate / o.clients / 1e9;

  std::vector<std::unique_ptr<ThreadRunner>> runners;
  std::uint32_t first = 0;
  for (unsigned i = 0; i < o.threads; ++i) {
    const std::uint32_t n = o.clients / o.threads + (i < o.clients % o.threads ? 1 : 0);
    runners.push_back(std::make_unique<ThreadRunner>(sh, first, n));
    first += n;
  }
  rusage ru0{};
  ::getrusage(RUSAGE_SELF, &ru0);
  std::vector<std::thread> threads;
  for (auto& r : runners) threads.emplace_back([&r, &builder] { r->run(builder); });

  // Everyone connected (or failed), then start together.
  for (;;) {
    const unsigned n = sh.connected_threads.load();
    if (n == o.threads) break;
    if (o.stop_requested && o.stop_requested()) sh.stop = true;
    sh.connected_threads.wait(n);
  }
  std::optional<Error> connect_error;
  for (auto& r : runners)
    if (r->fatal_ && !connect_error) connect_error = r->fatal_;
  if (connect_error) sh.stop = true;
  if (o.start_at && !connect_error) {
    while (std::chrono::system_clock::now() < *o.start_at && !(o.stop_requested && o.stop_requested()))
      std::this_thread::sleep_for(std::min<std::chrono::system_clock::duration>(*o.start_at - std::chrono::system_clock::now(),
                                                                               std::chrono::milliseconds(50)));
  }
  sh.t0 = Clock::now();
  sh.warmup_end = static_cast<Ns>(o.warmup_seconds * 1e9);
  if (o.duration_seconds) sh.end = sh.warmup_end + static_cast<Ns>(*o.duration_seconds * 1e9);
  sh.go = true;
  sh.go.notify_all();

  // -P lines and the timeline: interval k is complete when every thread has handed it over.
  RunResult result;
  std::vector<std::deque<IntervalData>> pending(runners.size());
  std::vector<bool> finished(runners.size(), false);
  std::size_t next_interval = 0;
  bool interrupted = false;
  auto drain = [&] {
    for (std::size_t i = 0; i < runners.size(); ++i) {
      std::lock_guard lock(runners[i]->outbox_mutex);
      while (!runners[i]->outbox.empty()) {
        pending[i].push_back(std::move(runners[i]->outbox.front()));
        runners[i]->outbox.pop_front();
      }
    }
    for (;;) {
      bool complete = true, any = false, last = true;
      for (std::size_t i = 0; i < runners.size(); ++i) {
        if (pending[i].empty() || pending[i].front().index != next_interval) {
          if (!finished[i]) complete = false;
        } else {
          any = true;
          last = last && pending[i].front().last;
        }
      }
      if (!complete || !any) return;
      ProgressLine line;
      double lag_sum = 0;
      std::uint64_t lag_n = 0;
      for (std::size_t i = 0; i < runners.size(); ++i) {
        if (pending[i].empty() || pending[i].front().index != next_interval) continue;
        IntervalData& d = pending[i].front();
        line.completed += d.completed;
        line.failed += d.failed;
        (void)line.latency.merge(d.latency);
        lag_sum += d.lag_sum_ns;
        lag_n += d.lag_count;
        if (d.last) finished[i] = true;
        pending[i].pop_front();
      }
      const double start = static_cast<double>(next_interval) * static_cast<double>(sh.tick) * 1e-9;
      line.interval_seconds = static_cast<double>(sh.tick) * 1e-9;
      line.at_seconds = start + line.interval_seconds;
      line.lag_ms = lag_n ? lag_sum / static_cast<double>(lag_n) / 1e6 : 0;
      ++next_interval;
      // Warm-up intervals are run, not reported.
      if (static_cast<Ns>(start * 1e9) >= sh.warmup_end) {
        IntervalPoint p;
        p.at_seconds = line.at_seconds - o.warmup_seconds;
        p.interval_seconds = line.interval_seconds;
        p.completed = line.completed;
        p.tps = static_cast<double>(line.completed) / line.interval_seconds;
        p.p50_ns = line.latency.value_at_percentile(50);
        p.p99_ns = line.latency.value_at_percentile(99);
        p.max_ns = line.latency.max();
        p.failed = line.failed;
        if (!last || line.completed || line.failed) {
          result.timeline.push_back(p);
          if (on_progress && o.progress_seconds > 0 && !last) on_progress(line);
        }
      }
    }
  };
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!interrupted && o.stop_requested && o.stop_requested()) {
      interrupted = true;
      sh.stop = true;
    }
    drain();
    bool all_joined = true;
    for (std::size_t i = 0; i < threads.size(); ++i) {
      if (!threads[i].joinable()) continue;
      if (runners[i]->exited.load()) threads[i].join();
      else all_joined = false;
    }
    if (all_joined) break;
  }
  // A thread that never ran (it failed to connect) has no intervals to wait for.
  for (std::size_t i = 0; i < runners.size(); ++i)
    if (!runners[i]->published_last) finished[i] = true;
  drain();
  if (connect_error) return std::unexpected(*connect_error);
  rusage ru1{};
  ::getrusage(RUSAGE_SELF, &ru1);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  result.client_user_seconds = tv(ru1.ru_utime) - tv(ru0.ru_utime);
  result.client_sys_seconds = tv(ru1.ru_stime) - tv(ru0.ru_stime);

  const Ns end = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sh.t0).count();
  result.seconds = static_cast<double>((o.duration_seconds && !interrupted ? std::min(end, sh.end) : end) - sh.warmup_end) * 1e-9;
  result.interrupted = interrupted;
  result.per_script_transactions.assign(o.scripts.size(), 0);
  if (o.per_statement) {
    for (std::size_t s = 0; s < o.scripts.size(); ++s)
      for (std::size_t c = 0; c < o.scripts[s].commands.size(); ++c)
        if (o.scripts[s].commands[c].kind == CommandKind::sql) result.statements.push_back({s, c, {}, 0});
  }
  std::optional<Error> fatal;
  for (auto& r : runners) {
    if (r->fatal_ && !fatal) fatal = r->fatal_;
    if (r->script_error_) result.warnings.push_back("a client stopped: " + r->script_error_->message());
    (void)result.latency.merge(r->latency_);
    (void)result.service.merge(r->service_);
    (void)result.schedule_lag.merge(r->lag_);
    for (auto& st : result.statements) {
      const std::size_t i = sh.statement_base[st.script] + st.command;
      (void)st.latency.merge(r->statements_[i]);
      st.errors += r->statement_errors_[i];
    }
    for (std::size_t s = 0; s < o.scripts.size(); ++s) result.per_script_transactions[s] += r->per_script_[s];
    result.transactions += r->transactions_;
    result.failed += r->failed_;
    result.retried += r->retried_;
    result.late += r->late_;
    result.skipped += r->skipped_;
    result.reconnects += r->reconnects_;
    result.syscalls += r->syscalls_;
    result.backlog_max = std::max(result.backlog_max, r->backlog_max_);
    result.stopped_on_error = result.stopped_on_error || r->stopped_on_error_;
    for (const auto& [k, v] : r->errors_) result.errors_by_sqlstate[sqlstate_name(k)] += v;
    if (r->wall_seconds_ > 0) result.busiest_thread_cpu = std::max(result.busiest_thread_cpu, r->cpu_seconds_ / r->wall_seconds_);
  }
  if (fatal) return std::unexpected(*fatal);
  if (result.busiest_thread_cpu > 0.9)
    result.warnings.push_back("a reactor thread was on CPU " + std::to_string(static_cast<int>(result.busiest_thread_cpu * 100)) +
                              "% of the run: the client may be the bottleneck (add threads with -j)");
  if (o.rate && result.timeline.size() >= 4) {
    const auto& tl = result.timeline;
    if (tl.back().p50_ns > 10 * tl.front().p50_ns && tl.back().p50_ns > 100 * kMs)
      result.warnings.push_back("latency kept growing during the run: the rate is more than the server (or the client) keeps up with");
  }
  return result;
}

}  // namespace pgstream::bench
