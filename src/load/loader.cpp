// The load loop: one thread reads and encodes lines into batches while the reactor streams
// earlier batches over N connections, each batch one transaction: BEGIN; INSERT its progress
// record; COPY; COMMIT (pipelined).

#include "pgstream/load/loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>
#include <unordered_map>

#include "insert_chunks.hpp"
#include "parse_pool.hpp"
#include "pgstream/load/copy_text.hpp"
#include "pgstream/load/insert_batch.hpp"
#include "pgstream/load/line_reader.hpp"
#include "pgstream/load/progress_table.hpp"
#include "pgstream/load/rejects_file.hpp"
#include "pgstream/load/row_encoder.hpp"
#include "pgstream/load/table_schema.hpp"
#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/copy_binary.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/uring/connection.hpp"
#include "pgstream/uring/reactor.hpp"

namespace pgstream::load {
namespace {

using Clock = std::chrono::steady_clock;
// Insert mode's send buffer halves: a row's INSERT message must fit in one (COPY streams instead).
constexpr std::size_t kInsertSendBytes = 1u << 20;
// A parse block: big enough that handing it to a thread costs nothing per line, small enough that
// the pool's blocks stay a few MiB.
constexpr std::size_t kBlockBytes = 1u << 20;
constexpr std::size_t kBlockLines = 8192;
namespace fe = protocol::frontend;
using uring::Connection;

// One row waiting in a batch: where it came from, its encoded bytes and its raw line.
struct PendingRow {
  std::uint32_t file = 0;
  std::uint64_t line = 0;
  std::uint64_t offset = 0;  // of the line in its (decompressed) input
  std::size_t copy_begin = 0, copy_end = 0;
  std::size_t raw_begin = 0, raw_end = 0;
};

// A line rejected (by the encoder or by the server) that the next committing batch records in
// the progress table, so a resumed load knows it was accounted for.
struct RejectedLine {
  std::uint32_t file = 0;
  std::uint64_t line = 0;
  std::uint64_t offset = 0, end = 0;  // its bytes in the input
};

constexpr std::size_t kAnyLane = SIZE_MAX;

// Rows sharing one set of present columns, sent as one COPY with that column list (or one
// INSERT statement in insert mode), in one transaction with their progress record.
struct Batch {
  std::string copy_sql;
  std::uint32_t statement = 0;    // insert mode: index of its InsertStatement
  std::size_t lane = kAnyLane;    // conflict modes: the only worker that may run it
  std::vector<std::uint64_t> group;       // its key in the loader's open groups, while open
  std::vector<std::uint64_t> key_hashes;  // conflict modes: the keys of its rows, while open
  std::string payload;  // encoded rows, back to back
  std::string raw;      // their input lines, for the rejects file
  std::vector<PendingRow> rows;
  std::vector<std::size_t> live;  // rows still to load (a rejected row leaves)
  std::size_t runs = 0;           // runs of consecutive lines (the progress record's size)
  std::int64_t id = 0;            // batch number in the progress table; 0 until first sent
  std::vector<RejectedLine> carried;  // rejected lines recorded with this batch
  bool maybe_committed = false;   // a COMMIT of it went out and its answer was lost
  unsigned lost = 0;              // attempts lost with their connection
  unsigned conflicts = 0;         // attempts rolled back by a deadlock or serialization failure
  bool flush = false;             // no rows: only records rejected lines (at the end)

  // Empty again, keeping the buffers' capacity for the next batch.
  void reset() {
    payload.clear();
    raw.clear();
    rows.clear();
    live.clear();
    runs = 0;
    id = 0;
    carried.clear();
    maybe_committed = false;
    lost = 0;
    conflicts = 0;
    group.clear();
    key_hashes.clear();
    flush = false;
  }
};

// "COPY t, line 17, column x: ..." -> 17 (binary COPY counts tuples the same way)
std::optional<std::uint64_t> copy_line_of(const Error& e) {
  if (!e.server()) return std::nullopt;
  std::string_view where = e.server()->where;
  auto pos = where.find(", line ");
  if (pos == std::string_view::npos) return std::nullopt;
  pos += 7;
  std::uint64_t n = 0;
  bool any = false;
  while (pos < where.size() && where[pos] >= '0' && where[pos] <= '9') {
    n = n * 10 + static_cast<std::uint64_t>(where[pos++] - '0');
    any = true;
  }
  return any ? std::optional(n) : std::nullopt;
}

std::string copy_column_of(const Error& e) {
  if (!e.server()) return {};
  if (!e.server()->column.empty()) return e.server()->column;
  std::string_view where = e.server()->where;
  auto pos = where.find(", column ");
  if (pos == std::string_view::npos) return {};
  pos += 9;
  auto end = where.find(':', pos);
  return std::string(where.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
}

class Loader;

// Insert mode: the statement for one set of present columns, prepared once per connection.
struct PreparedInsert {
  InsertStatement statement;
  std::string name;                       // of the prepared statement
  std::vector<std::size_t> key_positions;  // the conflict key's fields in the tuple (lanes)
};

// A simple query's completion, forwarded to its worker (BEGIN/progress, COMMIT, SET).
struct StepHandler final : uring::RequestHandler {
  std::function<void(Connection&, Result<void>)> done;
  void on_complete(Connection& c, Result<void> outcome) override { done(c, std::move(outcome)); }
};

// One connection running one batch at a time: BEGIN; [TRUNCATE;] INSERT progress; COPY; COMMIT.
struct Worker final : uring::RequestHandler {
  Loader* loader = nullptr;
  Connection* conn = nullptr;
  std::unique_ptr<Batch> batch;
  bool ready = false;
  bool busy = false;
  bool was_ready = false;         // a later on_ready is a reconnect
  unsigned failures = 0;          // connection losses since it was last ready
  std::optional<Clock::time_point> reopen_at;  // open a new connection then
  // Streaming position: segments of contiguous live rows in batch->payload.
  std::vector<std::pair<std::size_t, std::size_t>> segments;
  std::size_t segment = 0, offset = 0;
  bool header_sent = false, trailer_sent = false;
  Clock::time_point started_at, streamed_at;
  std::optional<std::uint64_t> copied;  // rows from CommandComplete
  bool truncating = false;       // this attempt also runs the --truncate
  bool awaiting_begin = false;   // a resend: the COPY waits until the progress INSERT went in
  bool copy_queued = false, commit_queued = false, commit_wanted = false;
  std::optional<Result<void>> begin_outcome, copy_outcome;
  StepHandler begin_step, commit_step, setup_step;
  bool inserting = false;  // this attempt sends INSERT chunks (insert mode, rows to send)
  // Insert mode: this attempt's chunks, and the statements prepared on this connection.
  InsertChunks chunks;
  std::uint64_t superseded = 0;
  std::vector<std::uint8_t> prepared;
  bool parse_sent = false;  // this attempt sent the Parse of its statement
  bool statement_refused = false;  // ... and the server refused it: no row is to blame

  void on_frame(Connection&, const protocol::Frame& f) override;
  void on_complete(Connection& c, Result<void> outcome) override;
  void on_begin(Connection& c, Result<void> outcome);
  void on_commit(Connection& c, Result<void> outcome);
  // True when the outcome means the connection died (the loader takes the batch back).
  bool lost(Connection& c, const Result<void>& outcome);
  void queue_copy();
  void queue_insert();
  void queue_commit();
  void pump();
  void pump_insert();
};

bool retryable(const Error& e) {
  switch (e.category()) {
    case ErrorCategory::io:
    case ErrorCategory::timeout: return true;
    case ErrorCategory::server: {
      const auto st = e.sqlstate();
      // connection exceptions, admin/crash shutdown, cannot connect now, too many connections
      return st.starts_with("08") || st.starts_with("57P") || st == "53300";
    }
    default: return false;
  }
}

class Loader {
 public:
  Loader(client::ConnectionBuilder builder, const LoadOptions& o, TableSchema schema, EncoderOptions encoding,
         std::optional<ProgressTable> progress, LoadState state, std::string state_note,
         std::optional<InsertTarget> target, std::optional<client::PgConnection> claim)
      : builder_(std::move(builder)), opt_(o), schema_(std::move(schema)), format_(encoding.format),
        pool_(std::make_unique<ParsePool>(schema_, encoding, o.parse_threads)),
        rejects_(o.rejects_path.empty() ? o.table + ".rejects.jsonl" : o.rejects_path),
        progress_(std::move(progress)), state_(std::move(state)), target_(std::move(target)),
        claim_(std::move(claim)) {
    if (target_) {
      target_->schema = &schema_;
      // Conflict modes: one lane per connection, a key always in the same lane (input order):
      // the lane is a hash of the key that is equal for equal values (numeric 1.0 and 1.00 are one
      // key). A key type with no such hash in this format keeps every row in one lane.
      if (target_->mode != InsertMode::insert) {
        auto hashing = key_hashing(schema_, target_->key.columns, format_);
        lanes_ = hashing ? opt_.connections : 1;
        if (hashing) key_hashing_ = std::move(*hashing);
      }
    }
    truncate_pending_ = o.truncate && !(state_.resumed && (state_.rows > 0 || state_.rejected_count > 0));
    next_batch_ = state_.next_batch;
    report_.state_note = std::move(state_note);
    if (progress_) report_.load_id = state_.load_id;
    report_.resumed = state_.resumed;
    report_.resumed_rows = state_.rows;
    report_.resumed_rejected = state_.rejected_count;
  }

  Result<LoadReport> run() {
    const auto t0 = Clock::now();
    report_.table = schema_.qualified_name;
    report_.copy_format = format_ == CopyFormat::binary ? "binary" : "text";
    report_.mode = !target_                                 ? "copy"
                   : target_->mode == InsertMode::insert     ? "insert"
                   : target_->mode == InsertMode::do_nothing ? "insert, on conflict do nothing"
                                                             : "insert, on conflict update";
    if (state_.finished) {
      report_.already_finished = true;
      report_.finished_at = state_.finished_at;
      return report_;
    }
    if (state_.resumed) {
      std::vector<std::string> names = opt_.files;
      auto r = rejects_.resume([&](std::string_view file, std::uint64_t line) {
        for (std::size_t i = 0; i < names.size(); ++i)
          if (names[i] == file && state_.rejected[i].contains(line)) return true;
        return false;
      });
      if (!r) return std::unexpected(r.error());
    }
    uring::ReactorOptions ro;
    // Connections refused at start-up (the server is starting or shutting down) are not retried
    // by the reactor: the loader opens new ones, which takes more slots.
    ro.max_connections = opt_.connections + std::min<std::size_t>(opt_.connections * opt_.retries, 1024);
    ro.reconnect.max_attempts = opt_.retries;
    ro.reconnect.initial_backoff = opt_.retry_initial_backoff;
    ro.reconnect.max_backoff = opt_.retry_max_backoff;
    if (target_) {
      // An INSERT's Bind cannot be streamed like COPY data: a row must fit one send half.
      ro.send_buffer_bytes = kInsertSendBytes;
    }
    auto reactor = uring::Reactor::create(ro);
    if (!reactor) return std::unexpected(reactor.error());
    reactor_ = std::move(*reactor);
    workers_.resize(opt_.connections);
    for (auto& w : workers_) {
      w = std::make_unique<Worker>();
      w->loader = this;
      if (auto r = open_connection(*w); !r) return std::unexpected(r.error());
    }
    report_.connections = workers_.size();

    last_progress_ = Clock::now();
    for (const auto& f : opt_.files) {
      struct stat st {};
      if (f != "-" && ::stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        report_.input_size += static_cast<std::uint64_t>(st.st_size);
      } else {
        report_.input_size = 0;  // a pipe somewhere: no percentage
        break;
      }
    }
    while (!fatal_) {
      check_interrupts();
      if (report_.aborted) break;
      if (!input_done_ && !stopping()) {
        const auto p0 = Clock::now();
        if (auto r = produce(); !r) return std::unexpected(r.error());
        encoding_and_reading_ += std::chrono::duration<double>(Clock::now() - p0).count();
      }
      reopen_due();
      if (fatal_) break;
      dispatch();
      if (finished()) {
        // Rejected lines no batch carried: one last transaction records them.
        if (progress_ && !pending_rejects_.empty()) {
          auto b = std::make_unique<Batch>();
          b->flush = true;
          ready_.push_back(std::move(b));
          continue;
        }
        break;
      }
      const bool waiting_only = input_done_ || stopping() || ready_.size() >= 2 * workers_.size();
      const auto w0 = Clock::now();
      if (auto r = reactor_->run_once(waiting_only ? std::chrono::milliseconds(100) : std::chrono::milliseconds(0)); !r)
        return std::unexpected(r.error());
      report_.waiting_seconds += std::chrono::duration<double>(Clock::now() - w0).count();
      update_times();
      if (!error_.empty()) {
        reactor_->close_all();
        return make_error(ErrorCategory::io, error_);
      }
      tick_progress();
    }
    report_.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    update_times();
    pool_->stop();
    report_.ignored_keys = pool_->ignored_keys();
    report_.ignored_key_count = pool_->ignored_key_count();
    if (rejects_.used()) report_.rejects_path = rejects_.path();
    reactor_->close_all();
    if (fatal_)
      return make_error(fatal_->category(), fatal_->message() + " (" + std::to_string(report_.rows_loaded) +
                                                " rows were committed before it" +
                                                (progress_ ? "; --resume loads the rest" : "") + ")");
    if (progress_ && !stopping() && !report_.aborted) mark_finished();
    return report_;
  }

  // ---- called by workers ----

  void reject(std::uint32_t file, std::uint64_t line, std::uint64_t offset, std::string_view column,
              std::string_view sqlstate, std::string_view reason, std::string_view input) {
    ++report_.rows_rejected;
    note(rejects_.write(file_names_[file], line, offset, column, sqlstate, reason, input));
    if (progress_) pending_rejects_.push_back({file, line, offset, offset + input.size() + 1});
    const std::uint64_t total = report_.rows_rejected + report_.resumed_rejected;
    if (opt_.max_errors && total > *opt_.max_errors && !report_.stopped) {
      report_.stopped = true;
      report_.stop_reason = "stopped after " + std::to_string(total) + " rejected line(s) (--max-errors " +
                            std::to_string(*opt_.max_errors) + ")";
    }
  }

  // The batch's transaction ended: committed (outcome ok) or rolled back by a server error.
  void batch_done(Worker& w, Result<void> outcome) {
    Batch& b = *w.batch;
    const auto now = Clock::now();
    if (w.trailer_sent) {
      report_.streaming_seconds += std::chrono::duration<double>(w.streamed_at - w.started_at).count();
      report_.server_seconds += std::chrono::duration<double>(now - w.streamed_at).count();
    } else {
      report_.streaming_seconds += std::chrono::duration<double>(now - w.started_at).count();
    }
    if (outcome) {
      if (b.maybe_committed) ++report_.ambiguous_rolled_back;
      if (!w.inserting) return committed(w, w.copied.value_or(b.live.size()));
      const InsertCounts& c = w.chunks.counts();
      report_.rows_inserted += c.inserted;
      report_.rows_updated += c.updated;
      report_.rows_skipped += c.skipped;
      report_.rows_superseded += w.superseded;
      return committed(w, c.inserted + c.updated);
    }
    // Rolled back: its rejected lines wait for another batch, and whatever it is sent as next
    // can no longer be confused with an earlier commit.
    give_back_rejects(b);
    if (b.maybe_committed) ++report_.ambiguous_rolled_back;
    b.maybe_committed = false;
    const Error& e = outcome.error();
    if (e.category() != ErrorCategory::server || b.flush) {
      if (!fatal_) fatal_ = e;
      release(w);
      return;
    }
    if (w.inserting && w.statement_refused) {
      if (!fatal_)
        fatal_ = Error(ErrorCategory::config, "the server refused the INSERT statement of --mode insert: " + e.to_string());
      return release(w);
    }
    // Two batches waiting on each other's row locks (conflict modes) is not the rows' fault.
    if ((e.sqlstate() == "40P01" || e.sqlstate() == "40001") && ++b.conflicts <= 20 && !stopping()) {
      ++report_.retries;
      return start(w);
    }
    // The rows to blame, as positions in b.live: COPY names the line, an insert chunk its rows.
    std::optional<std::pair<std::size_t, std::size_t>> blame;
    if (w.inserting) {
      blame = w.chunks.blame();
      if (blame && (blame->first >= blame->second || blame->second > b.live.size())) blame.reset();
    } else if (auto line = copy_line_of(e); line && *line >= 1 && *line <= b.live.size()) {
      blame.emplace(*line - 1, *line);
    }
    if (blame && target_) {
      // Everything goes back to the queue in input order (a lane's batches must keep it): the
      // rows before the blamed ones, the blamed ones (one rejected, or several in halves), the rest.
      const auto [from, to] = *blame;
      std::vector<std::unique_ptr<Batch>> parts;
      parts.push_back(sub_batch(b, 0, from));
      if (to - from == 1) {
        const PendingRow& r = b.rows[b.live[from]];
        reject(r.file, r.line, r.offset, copy_column_of(e), e.sqlstate(), e.message(), raw(b, r));
      } else {
        const std::size_t mid = from + (to - from) / 2;
        parts.push_back(sub_batch(b, from, mid));
        parts.push_back(sub_batch(b, mid, to));
      }
      parts.push_back(sub_batch(b, to, b.live.size()));
      if (!stopping())
        for (auto it = parts.rbegin(); it != parts.rend(); ++it)
          if (!(*it)->live.empty()) {
            ready_.push_front(std::move(*it));
            ++report_.retries;
          }
      b.live.clear();
      return release(w);
    }
    if (blame) {
      const std::size_t line = blame->first + 1;
      const PendingRow& r = b.rows[b.live[line - 1]];
      reject(r.file, r.line, r.offset, copy_column_of(e), e.sqlstate(), e.message(), raw(b, r));
      // The rows before it passed: they go again as a batch of their own, so that with many bad
      // rows no row is sent more than about twice (resending the whole batch would be quadratic).
      if (line > 1) {
        ready_.push_front(sub_batch(b, 0, line - 1));
        ++report_.retries;
      }
      b.live.erase(b.live.begin(), b.live.begin() + static_cast<std::ptrdiff_t>(line));
    } else if (b.live.size() == 1) {
      const PendingRow& r = b.rows[b.live[0]];
      reject(r.file, r.line, r.offset, copy_column_of(e), e.sqlstate(), e.message(), raw(b, r));
      b.live.clear();
    } else {
      // No row to blame (e.g. a deferred constraint at commit): split the batch in halves and send
      // each again, until the failing rows stand alone (bisection).
      const std::size_t half = b.live.size() / 2;
      ready_.push_front(sub_batch(b, half, b.live.size()));
      ready_.push_front(sub_batch(b, 0, half));
      report_.retries += 2;
      b.live.clear();
    }
    if (b.live.empty() || stopping()) {
      release(w);
      return;
    }
    ++report_.retries;
    start(w);  // the same batch again, without the rejected row, on the same connection
  }

  // A resent batch's progress INSERT met the record of its earlier attempt: that COMMIT went
  // through although its answer was lost.
  void batch_found_committed(Worker& w) {
    ++report_.ambiguous_committed;
    if (target_) report_.rows_uncounted += w.batch->live.size();
    committed(w, w.batch->live.size());
  }

  // The connection died with the batch in flight: it goes again first, with the same number,
  // so that the progress table decides whether its COMMIT happened.
  void batch_lost(Worker& w) {
    auto b = std::move(w.batch);
    w.busy = false;
    b->maybe_committed |= w.commit_queued;
    ++b->lost;
    if (b->maybe_committed && !progress_) {
      if (!fatal_)
        fatal_ = Error(ErrorCategory::io, "connection lost after a COMMIT was sent: without the progress table (" +
                                              report_.state_note + ") its outcome cannot be known");
      return;
    }
    if (b->lost > 3 * std::max(1u, opt_.retries)) {
      if (!fatal_)
        fatal_ = Error(ErrorCategory::io, "batch " + std::to_string(b->id) + " lost its connection " +
                                              std::to_string(b->lost) + " times");
      return;
    }
    if (stopping() && !b->flush) return;  // not resent: --resume decides what it did
    ++report_.batches_resent;
    ready_.push_front(std::move(b));
  }

  void connection_ready(Worker& w, Connection& c) {
    w.conn = &c;
    if (w.was_ready) ++report_.reconnects;
    if (w.was_ready) claim_doubtful_ = true;  // what dropped this one may have dropped the claim's
    w.was_ready = true;
    w.failures = 0;
    w.prepared.clear();  // a new session has no prepared statements
    w.reopen_at.reset();
    if (opt_.synchronous_commit_off) {
      w.setup_step.done = [this](Connection& conn, Result<void> r) {
        if (!r && conn.ready()) fail("SET synchronous_commit: " + r.error().to_string());
      };
      if (!fe::query(c.sink(), "SET synchronous_commit = off") || !c.push_request(&w.setup_step))
        return fail("cannot queue SET synchronous_commit");
    }
    w.ready = true;
  }

  void connection_closed(Worker& w, Connection& c, const Error& e) {
    if (&c != w.conn) return;  // an abandoned connection
    w.ready = false;
    ++w.failures;
    if (!retryable(e) || w.failures > opt_.retries) {
      std::size_t index = 0;
      while (index < workers_.size() && workers_[index].get() != &w) ++index;
      if (!fatal_) fatal_ = Error(e.category(), "connection " + std::to_string(index + 1) + " lost: " + e.message() +
                                                    (w.failures > 1 ? " (after " + std::to_string(w.failures) + " attempts)" : ""));
      return;
    }
    if (c.state() == Connection::State::backoff) return;  // the reactor tries again
    // Refused at start-up (e.g. the server is starting up): a new connection after a back-off.
    auto backoff = opt_.retry_initial_backoff * (1u << std::min(w.failures, 16u));
    w.reopen_at = Clock::now() + std::min<std::chrono::milliseconds>(backoff, opt_.retry_max_backoff);
  }

  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  [[nodiscard]] CopyFormat format() const noexcept { return format_; }
  [[nodiscard]] bool inserting() const noexcept { return target_.has_value(); }
  [[nodiscard]] const PreparedInsert& statement(std::uint32_t index) const noexcept { return *statements_[index]; }
  [[nodiscard]] const std::string& table_name() const noexcept { return schema_.qualified_name; }

  void start(Worker& w) {
    Batch& b = *w.batch;
    if (b.id == 0) b.id = next_batch_++;
    // Rejected lines ride along, unless an earlier attempt of this batch may have committed
    // (then the record that counts is that attempt's).
    if (progress_ && !b.maybe_committed && !pending_rejects_.empty()) {
      const std::size_t n = std::min<std::size_t>(pending_rejects_.size(), 2000);
      b.carried.insert(b.carried.end(), pending_rejects_.begin(), pending_rejects_.begin() + static_cast<std::ptrdiff_t>(n));
      pending_rejects_.erase(pending_rejects_.begin(), pending_rejects_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    if (!b.carried.empty()) note(rejects_.sync());
    w.busy = true;
    w.inserting = false;
    w.statement_refused = false;
    w.superseded = 0;
    w.copied.reset();
    w.begin_outcome.reset();
    w.copy_outcome.reset();
    w.copy_queued = w.commit_queued = w.commit_wanted = false;
    w.segments.clear();
    for (std::size_t i : b.live) {
      const PendingRow& r = b.rows[i];
      if (!w.segments.empty() && w.segments.back().second == r.copy_begin) w.segments.back().second = r.copy_end;
      else w.segments.emplace_back(r.copy_begin, r.copy_end);
    }
    w.segment = w.offset = 0;
    w.header_sent = w.trailer_sent = false;
    w.started_at = Clock::now();
    w.truncating = truncate_pending_;
    std::string begin = "BEGIN";
    if (w.truncating) begin += "; TRUNCATE " + schema_.qualified_name;
    if (progress_) begin += "; " + progress_->insert_sql(state_.load_id, b.id, entries(b), opt_.files);
    w.begin_step.done = [&w](Connection& c, Result<void> r) { w.on_begin(c, std::move(r)); };
    w.commit_step.done = [&w](Connection& c, Result<void> r) { w.on_commit(c, std::move(r)); };
    if (!fe::query(w.conn->sink(), begin) || !w.conn->push_request(&w.begin_step)) return fail("cannot queue BEGIN");
    w.awaiting_begin = b.maybe_committed;
    if (!w.awaiting_begin) w.queue_copy();
  }

 private:
  [[nodiscard]] bool stopping() const noexcept { return report_.stopped || report_.interrupted; }

  Result<void> open_connection(Worker& w) {
    Worker* raw = &w;
    uring::ConnectionEvents ev;
    ev.on_ready = [this, raw](Connection& c) { connection_ready(*raw, c); };
    ev.on_writable = [raw](Connection& c) {
      if (&c == raw->conn) raw->pump();
    };
    ev.on_closed = [this, raw](Connection& c, const Error& e) { connection_closed(*raw, c, e); };
    auto c = reactor_->open(builder_, ev);
    if (!c) return std::unexpected(c.error());
    w.conn = *c;
    return {};
  }

  // The claim lives as long as its session: after a server restart or an idle timeout a second run
  // could claim the load and load its rows again. Checked after any reconnect and every 30 s; a
  // lost session claims again, and a claim taken by another run meanwhile stops this one.
  void check_claim() {
    if (!claim_ || !progress_) return;
    const auto now = Clock::now();
    if (now - claim_checked_ < (claim_doubtful_ ? std::chrono::seconds(1) : std::chrono::seconds(30))) return;
    claim_checked_ = now;
    if (claim_->simple_query("SELECT 1")) {
      claim_doubtful_ = false;
      return;
    }
    auto fresh = client::PgConnection::connect(builder_);
    if (!fresh) {
      claim_doubtful_ = true;  // the server may be restarting: again in a second
      return;
    }
    if (auto claimed = progress_->claim(*fresh, state_.load_id); !claimed) {
      // Only a refused claim (config) means another run; a lost connection tries again.
      if (claimed.error().category() != ErrorCategory::config) {
        claim_doubtful_ = true;
        return;
      }
      if (!fatal_)
        fatal_ = Error(ErrorCategory::config, "the claim on load " + state_.load_id +
                                                  " was lost with its connection and another run holds it now: " +
                                                  claimed.error().message());
      return;
    }
    claim_ = std::move(*fresh);
    claim_doubtful_ = false;
  }

  void reopen_due() {
    check_claim();
    const auto now = Clock::now();
    for (auto& w : workers_) {
      if (!w->reopen_at || now < *w->reopen_at) continue;
      w->reopen_at.reset();
      if (auto r = open_connection(*w); !r && !fatal_) fatal_ = r.error();
    }
  }

  void check_interrupts() {
    if (!opt_.interrupts) return;
    const int n = opt_.interrupts->load(std::memory_order_relaxed);
    if (n >= 1 && !report_.interrupted) {
      report_.interrupted = true;
      report_.stop_reason = "interrupted: the batches in flight were committed";
      groups_.clear();
      open_keys_.clear();
    }
    if (n >= 2 && !report_.aborted) {
      report_.aborted = true;
      report_.stop_reason = "aborted: batches in flight were rolled back";
    }
  }

  void committed(Worker& w, std::uint64_t rows) {
    report_.rows_loaded += rows;
    ++report_.batches;
    if (w.truncating) truncate_pending_ = false;
    w.batch->carried.clear();  // recorded by this commit
    release(w);
  }

  void give_back_rejects(Batch& b) {
    pending_rejects_.insert(pending_rejects_.begin(), b.carried.begin(), b.carried.end());
    b.carried.clear();
  }

  // The progress rows of one attempt of `b`: per file, the lines it loads and those it records
  // as rejected.
  std::vector<ProgressEntry> entries(const Batch& b) const {
    std::vector<ProgressEntry> out;
    auto entry = [&](std::uint32_t file) -> ProgressEntry& {
      for (auto& e : out)
        if (e.file_no == file) return e;
      out.emplace_back().file_no = file;
      return out.back();
    };
    for (std::size_t i : b.live) {
      const PendingRow& r = b.rows[i];
      ProgressEntry& e = entry(r.file);
      e.lines.add(r.line);
      ++e.rows;
      e.first_byte = std::min(e.first_byte, r.offset);
      e.last_byte = std::max<std::uint64_t>(e.last_byte, r.offset + (r.raw_end - r.raw_begin) + 1);
    }
    for (const auto& c : b.carried) {
      ProgressEntry& e = entry(c.file);
      e.rejected.add(c.line);
      e.first_byte = std::min(e.first_byte, c.offset);
      e.last_byte = std::max(e.last_byte, c.end);
    }
    for (auto& e : out) {
      e.lines.normalize();
      e.rejected.normalize();
    }
    return out;
  }

  void mark_finished() {
    // The rows are in; a failure here only means a later --resume reads the input to find
    // nothing left, so it is a note, not an error.
    for (unsigned attempt = 0;; ++attempt) {
      auto conn = client::PgConnection::connect(builder_);
      Result<void> r = conn ? progress_->finish(*conn, state_.load_id) : Result<void>(std::unexpected(conn.error()));
      if (r) return;
      if (!retryable(r.error()) || attempt >= opt_.retries) {
        report_.state_note = "could not mark the load finished: " + r.error().to_string();
        return;
      }
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(opt_.retry_initial_backoff * (1u << std::min(attempt, 16u)),
                                                                      opt_.retry_max_backoff));
    }
  }

  // The live rows [from, to) of `b` as a batch of their own.
  static std::unique_ptr<Batch> sub_batch(const Batch& b, std::size_t from, std::size_t to) {
    auto out = std::make_unique<Batch>();
    out->copy_sql = b.copy_sql;
    out->statement = b.statement;
    out->lane = b.lane;
    for (std::size_t k = from; k < to; ++k) {
      const PendingRow& r = b.rows[b.live[k]];
      PendingRow nr = r;
      nr.copy_begin = out->payload.size();
      out->payload.append(b.payload, r.copy_begin, r.copy_end - r.copy_begin);
      nr.copy_end = out->payload.size();
      nr.raw_begin = out->raw.size();
      out->raw.append(b.raw, r.raw_begin, r.raw_end - r.raw_begin);
      nr.raw_end = out->raw.size();
      out->live.push_back(out->rows.size());
      out->rows.push_back(nr);
    }
    return out;
  }

  static std::string_view raw(const Batch& b, const PendingRow& r) {
    return std::string_view(b.raw).substr(r.raw_begin, r.raw_end - r.raw_begin);
  }

  void note(Result<void> r) {
    if (!r) fail(r.error().message());
  }

  // Finished batches keep their buffers for the next ones: fresh multi-megabyte strings per batch
  // cost page faults (a third of the client's CPU before this pool). As many are kept as can be
  // in use at once (one sending and two queued per connection, one open): a spare is only made
  // when that many were alive, so keeping it does not raise the peak, and a smaller pool let a
  // fresh batch grow its strings from nothing every few batches.
  void release(Worker& w) {
    if (w.batch) give_back_rejects(*w.batch);  // only a batch that did not commit still holds them
    if (w.batch && spare_.size() < 4 * workers_.size()) {
      w.batch->reset();
      spare_.push_back(std::move(w.batch));
    }
    w.batch.reset();
    w.busy = false;
  }

  bool finished() const {
    if (!(input_done_ || stopping())) return false;
    if (!ready_.empty()) return false;
    if (!stopping() && !groups_.empty()) return false;
    for (const auto& w : workers_)
      if (w->busy) return false;
    return true;
  }

  void dispatch() {
    if (stopping()) {
      // Nothing new starts; only the record of rejected lines still goes.
      std::erase_if(ready_, [](const auto& b) { return !b->flush; });
    }
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      auto& w = workers_[i];
      if (ready_.empty()) return;
      if (!w->ready || w->busy) continue;
      // Under --truncate nothing else runs until the batch that truncated has committed.
      if (truncate_pending_ && any_busy()) return;
      auto next = ready_.begin();
      if (lanes_) {
        next = std::find_if(ready_.begin(), ready_.end(), [i](const auto& b) { return b->lane == kAnyLane || b->lane == i; });
        if (next == ready_.end()) continue;
      }
      w->batch = std::move(*next);
      ready_.erase(next);
      start(*w);
    }
  }

  bool any_busy() const {
    for (const auto& w : workers_)
      if (w->busy) return true;
    return false;
  }

  // Reads lines into blocks for the parse pool and places the encoded rows of the blocks that come
  // back into batches, until enough batches are ready (or a time slice is used up).
  Result<void> produce() {
    const auto slice_end = Clock::now() + std::chrono::milliseconds(2);
    while (ready_.size() < 2 * workers_.size() && !report_.stopped && !fatal_) {
      if (LineBlock* done = pool_->next_done(std::chrono::microseconds(0))) {
        place_block(*done);
        pool_->release(done);
        continue;
      }
      if (!reading_done_) {
        if (LineBlock* block = pool_->acquire()) {
          auto filled = fill(*block);
          if (!filled || block->lines.empty()) {
            account_unparsed(block->pending_blank, block->pending_skipped, block->pending_bytes);
            pool_->release(block);
            if (!filled) return filled;
          } else {
            block->finish_text();
            pool_->submit(block);
          }
          if (Clock::now() > slice_end) break;
          continue;
        }
      } else if (pool_->pending() == 0) {
        finish_input();
        return {};
      }
      // Every block is with the pool: wait a little for the oldest (the reactor waits meanwhile).
      if (LineBlock* done = pool_->next_done(std::chrono::microseconds(500))) {
        place_block(*done);
        pool_->release(done);
      }
      if (Clock::now() > slice_end) break;
    }
    return {};
  }

  // The end of the input: the open batches go, oldest first, so one connection loads in input
  // order (of two lines with the same key, the earlier one is loaded and the later one rejected).
  void finish_input() {
    input_done_ = true;
    std::vector<std::unique_ptr<Batch>> rest;
    for (auto& [sig, b] : groups_)
      if (!b->rows.empty()) rest.push_back(std::move(b));
    groups_.clear();
    open_keys_.clear();
    std::sort(rest.begin(), rest.end(), [](const auto& x, const auto& y) {
      return std::pair(x->rows.front().file, x->rows.front().line) < std::pair(y->rows.front().file, y->rows.front().line);
    });
    for (auto& b : rest) ready_.push_back(std::move(b));
  }

  // Lines of one file into `block` (about kBlockBytes); blank lines and lines an earlier run
  // committed are accounted here and never parsed.
  Result<void> fill(LineBlock& block) {
    for (;;) {
      if (!lines_) {
        if (file_index_ >= opt_.files.size()) {
          reading_done_ = true;
          return {};
        }
        auto in = InputReader::open(opt_.files[file_index_]);
        if (!in) return std::unexpected(in.error());
        input_ = std::make_unique<InputReader>(std::move(*in));
        lines_ = std::make_unique<LineReader>(*input_);
        file_names_.push_back(input_->path());
        ++report_.files;
      }
      auto line = lines_->next();
      if (!line) return std::unexpected(line.error());
      if (!*line) {
        read_seconds_done_ += lines_->read_seconds();
        position_done_ += input_->source_size() ? input_->source_size() : input_->source_position();
        lines_.reset();
        input_.reset();
        ++file_index_;
        if (!block.lines.empty()) return {};  // a block holds lines of one file
        continue;
      }
      const auto file = static_cast<std::uint32_t>(file_names_.size() - 1);
      const Line& l = **line;
      // Blank lines, and lines an earlier run committed (loaded, or recorded as rejected), are
      // accounted with the next line of the block (or the block's end).
      if (l.text.find_first_not_of(" \t\r") == std::string_view::npos) {
        block.add_unparsed(l.text.size() + 1, true);
        continue;
      }
      if (state_.resumed && state_.done[file].contains(l.number)) {
        block.add_unparsed(l.text.size() + 1, false);
        continue;
      }
      if (block.lines.empty()) block.file = file;
      block.add_line(l.text, l.number, l.byte_offset);
      if (block.text.size() >= kBlockBytes || block.lines.size() >= kBlockLines) return {};
    }
  }

  void account_unparsed(std::uint64_t blank, std::uint64_t skipped, std::uint64_t bytes) {
    report_.lines_read += blank + skipped;
    report_.blank_lines += blank;
    report_.lines_skipped += skipped;
    report_.bytes_read += bytes;
  }

  void place_block(const LineBlock& block) {
    encode_busy_ += block.encode_seconds;
    const std::size_t words = pool_->signature_words();
    for (std::size_t i = 0; i < block.lines.size() && !report_.stopped; ++i) {
      const ParsedLine& l = block.lines[i];
      account_unparsed(l.blank_before, l.skipped_before, l.bytes_before);
      ++report_.lines_read;
      report_.bytes_read += l.text_size + 1;
      if (l.reject != UINT32_MAX) {
        const LineReject& r = block.rejects[l.reject];
        reject(block.file, l.number, l.offset, r.column, "", r.reason, block.line_text(l));
        continue;
      }
      place_row(block.file, l, std::span(block.signatures).subspan(i * words, words), block.row(l), block.line_text(l));
    }
    if (!report_.stopped) account_unparsed(block.pending_blank, block.pending_skipped, block.pending_bytes);
  }

  // One encoded line joins the open batch of its key set (and lane).
  void place_row(std::uint32_t file, const ParsedLine& line, std::span<const std::uint64_t> signature,
                 std::string_view encoded, std::string_view text) {
    group_key_.assign(signature.begin(), signature.end());
    std::uint32_t statement = 0;
    std::size_t lane = kAnyLane;
    std::optional<std::uint64_t> key_hash;
    if (target_) {
      auto index = statement_for(group_key_);
      if (!index) {
        if (!fatal_) fatal_ = index.error();
        return;
      }
      statement = *index;
      const PreparedInsert& st = *statements_[statement];
      const std::size_t need = encoded.size() + InsertChunks::row_overhead(st.statement.columns.size(), st.name.size()) +
                               InsertChunks::chunk_overhead(st.statement, st.name.size());
      if (need > kInsertSendBytes) {
        reject(file, line.number, line.offset, "", "",
               "the row is " + std::to_string(encoded.size()) + " bytes encoded, more than --mode insert can send in one "
               "message (" + std::to_string(kInsertSendBytes - (need - encoded.size())) + "); --mode copy streams rows of any size",
               text);
        return;
      }
      if (lanes_) {
        key_hash = tuple_key_hash(encoded, format_, st.key_positions, key_hashing_);
        // A row without its whole key takes the column's DEFAULT (or a NULL that never conflicts):
        // any lane will do.
        lane = key_hash ? static_cast<std::size_t>((*key_hash ^ (*key_hash >> 29)) % lanes_)
                        : static_cast<std::size_t>(line.number % lanes_);
        group_key_.push_back(lane);
      }
    }
    auto group = groups_.find(group_key_);
    if (key_hash) {
      // The key's earlier row waits in an open batch of another key set: that batch goes first, so
      // the rows of one key reach the server in input order whatever columns each line has.
      const auto earlier = open_keys_.find(*key_hash);
      if (earlier != open_keys_.end() && (group == groups_.end() || earlier->second != group->second.get()))
        close_group(groups_.find(earlier->second->group));
    }
    if (group == groups_.end()) {
      group = groups_.emplace(group_key_, new_batch(statement, lane, signature)).first;
      group->second->group = group_key_;
      open_bytes_ += held(*group->second);
    }
    Batch& b = *group->second;
    if (key_hash) {
      open_keys_[*key_hash] = &b;
      b.key_hashes.push_back(*key_hash);
    }
    const std::size_t held_before = held(b);
    if (b.rows.empty() || b.rows.back().file != file || b.rows.back().line + 1 != line.number) ++b.runs;
    PendingRow row;
    row.file = file;
    row.line = line.number;
    row.offset = line.offset;
    row.copy_begin = b.payload.size();
    b.payload += encoded;
    row.copy_end = b.payload.size();
    row.raw_begin = b.raw.size();
    b.raw += text;
    row.raw_end = b.raw.size();
    b.live.push_back(b.rows.size());
    b.rows.push_back(row);
    open_bytes_ += held(b) - held_before;
    // Interleaved key sets make many runs of lines: the batch's progress record stays small.
    if (b.rows.size() >= opt_.batch_rows || b.payload.size() + b.raw.size() >= opt_.batch_bytes || b.runs >= 4000)
      close_group(group);
    if (open_bytes_ > opt_.open_batch_bytes) flush_oldest_groups();
  }

  // An open batch stops taking rows and queues to be sent.
  void close_group(std::map<std::vector<std::uint64_t>, std::unique_ptr<Batch>>::iterator it) {
    Batch& b = *it->second;
    open_bytes_ -= held(b);
    for (auto h : b.key_hashes)
      if (auto k = open_keys_.find(h); k != open_keys_.end() && k->second == &b) open_keys_.erase(k);
    b.key_hashes.clear();
    ready_.push_back(std::move(it->second));
    groups_.erase(it);
  }

  // Memory a batch holds: what its buffers reserved, not only what they use (a batch reused from
  // the spares keeps the capacity of a full one, and many key sets can each hold one).
  static std::size_t held(const Batch& b) {
    return b.payload.capacity() + b.raw.capacity() + b.rows.capacity() * sizeof(PendingRow) +
           b.live.capacity() * sizeof(std::size_t);
  }

  // Sends the open batches that started longest ago until the open ones hold at most half the
  // bound: with many key sets, lines of rare ones would otherwise wait for the end of the input.
  void flush_oldest_groups() {
    std::vector<std::pair<std::pair<std::uint32_t, std::uint64_t>, const std::vector<std::uint64_t>*>> order;
    for (auto& [sig, b] : groups_) order.push_back({{b->rows.front().file, b->rows.front().line}, &sig});
    std::sort(order.begin(), order.end());
    for (const auto& [first, sig] : order) {
      if (open_bytes_ <= opt_.open_batch_bytes / 2) break;
      close_group(groups_.find(*sig));
    }
  }

  // Insert mode: the statement for rows with these present columns (made on first use).
  Result<std::uint32_t> statement_for(const std::vector<std::uint64_t>& signature) {
    // Consecutive lines mostly share their columns: no map lookup for them.
    if (!statements_.empty() && signature == last_signature_) return last_statement_;
    if (auto it = statement_index_.find(signature); it != statement_index_.end()) {
      last_signature_ = signature;
      last_statement_ = it->second;
      return it->second;
    }
    auto made = make_insert_statement(*target_, signature, opt_.insert_shape);
    if (!made) return std::unexpected(made.error());
    auto p = std::make_unique<PreparedInsert>();
    p->statement = std::move(*made);
    p->name = "pgstream_insert_" + std::to_string(statements_.size() + 1);
    for (std::size_t key_column : target_->key.columns) {
      const auto& cols = p->statement.columns;
      const auto at = std::find(cols.begin(), cols.end(), key_column);
      if (at == cols.end()) {
        p->key_positions.clear();  // part of the key takes its DEFAULT: no lane by key
        break;
      }
      p->key_positions.push_back(static_cast<std::size_t>(at - cols.begin()));
    }
    const auto index = static_cast<std::uint32_t>(statements_.size());
    statements_.push_back(std::move(p));
    statement_index_.emplace(signature, index);
    last_signature_ = signature;
    last_statement_ = index;
    return index;
  }

  std::unique_ptr<Batch> new_batch(std::uint32_t statement, std::size_t lane, std::span<const std::uint64_t> sig) {
    std::unique_ptr<Batch> b;
    if (spare_.empty()) {
      b = std::make_unique<Batch>();
    } else {
      b = std::move(spare_.back());
      spare_.pop_back();
    }
    b->statement = statement;
    b->lane = lane;
    if (target_) return b;
    std::string cols;
    for (std::size_t i = 0; i < schema_.columns.size(); ++i) {
      if (!(sig[i / 64] >> (i % 64) & 1)) continue;
      if (!cols.empty()) cols += ", ";
      cols += quote_identifier(schema_.columns[i].name);
    }
    b->copy_sql = "COPY " + schema_.qualified_name + " (" + cols + ") FROM STDIN" +
                  (format_ == CopyFormat::binary ? " (FORMAT binary)" : "");
    return b;
  }

  void update_times() {
    report_.reading_seconds = read_seconds_done_ + (lines_ ? lines_->read_seconds() : 0);
    // With parse threads: their average busy time (near the wall time: they are the bottleneck).
    report_.encoding_seconds = pool_->threads() ? encode_busy_ / pool_->threads()
                                                : std::max(0.0, encoding_and_reading_ - report_.reading_seconds);
    report_.input_position = position_done_ + (input_ ? input_->source_position() : 0);
  }

  void tick_progress() {
    if (!opt_.progress) return;
    const auto now = Clock::now();
    if (now - last_progress_ < opt_.progress_interval) return;
    last_progress_ = now;
    opt_.progress(report_);
  }

  client::ConnectionBuilder builder_;
  const LoadOptions& opt_;
  TableSchema schema_;
  CopyFormat format_;
  std::unique_ptr<ParsePool> pool_;
  RejectsFile rejects_;
  std::optional<ProgressTable> progress_;  // nullopt: no progress records (see state_note)
  LoadState state_;
  std::optional<InsertTarget> target_;    // insert mode
  std::optional<client::PgConnection> claim_;  // holds the load's claim (ProgressTable::claim)
  Clock::time_point claim_checked_{};
  bool claim_doubtful_ = false;           // a connection was lost: is the claim's still there?
  std::vector<std::unique_ptr<PreparedInsert>> statements_;
  std::map<std::vector<std::uint64_t>, std::uint32_t> statement_index_;
  std::vector<std::uint64_t> last_signature_;  // statement_for()'s last answer
  std::uint32_t last_statement_ = 0;
  std::vector<KeyHashing> key_hashing_;   // per conflict key column, for the lane hash
  std::size_t lanes_ = 0;                 // conflict modes: batches of lane i run on worker i only
  std::string scratch_;                   // insert mode: the row, before its batch is known
  std::vector<std::uint64_t> group_key_;  // signature (+ lane): which open batch a row joins
  // Conflict modes: the open batch holding the last row of each key (by hash).
  std::unordered_map<std::uint64_t, Batch*> open_keys_;
  std::int64_t next_batch_ = 1;
  std::deque<RejectedLine> pending_rejects_;  // rejected, not yet recorded by a committed batch
  LoadReport report_;
  std::unique_ptr<uring::Reactor> reactor_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::map<std::vector<std::uint64_t>, std::unique_ptr<Batch>> groups_;
  std::deque<std::unique_ptr<Batch>> ready_;
  std::vector<std::unique_ptr<Batch>> spare_;
  std::vector<std::string> file_names_;
  std::size_t file_index_ = 0;
  std::unique_ptr<InputReader> input_;
  std::unique_ptr<LineReader> lines_;
  bool input_done_ = false;
  bool truncate_pending_ = false;
  std::optional<Error> fatal_;
  std::string error_;
  Clock::time_point last_progress_{};
  double encoding_and_reading_ = 0;
  double encode_busy_ = 0;            // parse threads' time on the blocks placed so far
  bool reading_done_ = false;         // every file read into blocks (some may be with the pool)
  std::size_t open_bytes_ = 0;        // memory held by the batches in groups_ (see held())
  double read_seconds_done_ = 0;      // of the files already finished
  std::uint64_t position_done_ = 0;   // their sizes
};

bool Worker::lost(Connection& c, const Result<void>& outcome) {
  if (outcome || c.ready()) return false;
  // The first request of the attempt to hear of it hands the batch back; the others find the
  // worker idle.
  if (busy && &c == conn) loader->batch_lost(*this);
  return true;
}

void Worker::on_begin(Connection& c, Result<void> outcome) {
  if (lost(c, outcome) || !busy) return;
  begin_outcome = std::move(outcome);
  if (!awaiting_begin) return;
  awaiting_begin = false;
  if (*begin_outcome) queue_copy();
  else queue_commit();  // ends the failed transaction (as a ROLLBACK)
}

void Worker::on_frame(Connection&, const protocol::Frame& f) {
  if (inserting) {
    if (auto r = chunks.on_frame(f); !r) loader->fail("malformed reply to an INSERT: " + r.error().to_string());
    return;
  }
  if (f.type != 'C') return;
  if (auto cc = protocol::CommandComplete::parse(f)) copied = cc->rows();
}

void Worker::queue_copy() {
  if (batch->live.empty()) return queue_commit();  // a record of rejected lines only
  if (loader->inserting()) return queue_insert();
  if (!fe::query(conn->sink(), batch->copy_sql) || !conn->push_request(this)) return loader->fail("cannot queue COPY");
  copy_queued = true;
  pump();
}

void Worker::queue_commit() {
  if (commit_queued) return;
  auto& sink = conn->sink();
  if (sink.remaining() < 64 || !conn->has_request_room()) {
    commit_wanted = true;
    return conn->notify_when_writable();
  }
  commit_wanted = false;
  if (!fe::query(sink, "COMMIT") || !conn->push_request(&commit_step)) return loader->fail("cannot queue COMMIT");
  commit_queued = true;
}

void Worker::queue_insert() {
  const PreparedInsert& st = loader->statement(batch->statement);
  chunks.reset(st.statement);
  for (std::size_t i : batch->live) {
    const PendingRow& r = batch->rows[i];
    if (auto ok = chunks.add_row(std::string_view(batch->payload).substr(r.copy_begin, r.copy_end - r.copy_begin)); !ok)
      return loader->fail("cannot build an insert batch: " + ok.error().to_string());
  }
  superseded = st.statement.mode == InsertMode::update ? chunks.dedupe() : 0;
  inserting = true;
  copy_queued = true;
  parse_sent = false;
  pump();
}

// Chunks go out while they fit; the COMMIT follows the last one at once (pipelined).
void Worker::pump_insert() {
  const PreparedInsert& st = loader->statement(batch->statement);
  // (A reconnect clears it: a new session has no prepared statements.)
  if (prepared.size() <= batch->statement) prepared.resize(batch->statement + 1, 0);
  while (!trailer_sent) {
    if (!conn->has_request_room()) return conn->notify_when_writable();
    auto& sink = conn->sink();
    const bool parse = prepared[batch->statement] == 0;
    auto wrote = chunks.write_next(sink, st.name, parse);
    if (!wrote) return loader->fail("cannot encode an INSERT: " + wrote.error().to_string());
    switch (*wrote) {
      case InsertChunks::Write::no_room:
        // Rows too large for an empty buffer were rejected when read.
        if (sink.size() == 0) return loader->fail("an INSERT chunk does not fit the send buffer");
        return conn->notify_when_writable();
      case InsertChunks::Write::all_sent:
        trailer_sent = true;
        streamed_at = Clock::now();
        if (!copy_outcome) queue_commit();
        return;
      case InsertChunks::Write::wrote:
        if (parse) {
          prepared[batch->statement] = 1;
          parse_sent = true;
        }
        if (!conn->push_request(this)) return loader->fail("cannot queue an INSERT");
        break;
    }
  }
}

void Worker::on_complete(Connection& c, Result<void> outcome) {
  if (lost(c, outcome) || !busy) return;
  if (inserting) {
    chunks.on_complete(outcome.has_value());
    if (outcome) return;
    // A Parse that failed left no statement behind.
    if (parse_sent && !chunks.parse_confirmed()) {
      prepared[batch->statement] = 0;
      // Classes 42 (syntax, access, e.g. a GENERATED ALWAYS column) and 0A (not supported) are the
      // statement's fault; a lock timeout or a deadlock while preparing is tried again.
      const auto st = outcome.error().sqlstate();
      statement_refused = st.starts_with("42") || st.starts_with("0A");
    }
    if (!copy_outcome) copy_outcome = std::move(outcome);
    if (!trailer_sent) {
      trailer_sent = true;  // the chunks not sent yet never go
      queue_commit();
    }
    return;
  }
  // Inside BEGIN ... COMMIT the batch is done when COMMIT answers; a failed COPY makes the
  // COMMIT a ROLLBACK, which also undoes the progress record and a TRUNCATE.
  copy_outcome = std::move(outcome);
  if (!trailer_sent) {
    // The COPY failed before we finished streaming: the COMMIT goes now (the server ignores the
    // CopyData still queued before it).
    trailer_sent = true;
    queue_commit();
  }
}

void Worker::on_commit(Connection& c, Result<void> outcome) {
  if (lost(c, outcome) || !busy) return;
  if (begin_outcome && !*begin_outcome) {
    const Error& e = begin_outcome->error();
    if (e.sqlstate() == "23505" && batch->maybe_committed) return loader->batch_found_committed(*this);
    if (e.category() == ErrorCategory::server && !truncating)
      return loader->batch_done(*this, make_error(ErrorCategory::config, "cannot record the batch in the progress table: " +
                                                                           e.to_string()));
    return loader->batch_done(*this, make_error(e.category(), (truncating ? "--truncate: " : "cannot start a batch: ") +
                                                                  e.to_string()));
  }
  Result<void> result = copy_outcome ? std::move(*copy_outcome) : Result<void>{};
  if (result && !outcome) result = std::unexpected(outcome.error());
  loader->batch_done(*this, std::move(result));
}

void Worker::pump() {
  if (!busy) return;
  if (commit_wanted) return queue_commit();
  if (!copy_queued || trailer_sent) return;
  if (inserting) return pump_insert();
  auto& sink = conn->sink();
  const bool binary = loader->format() == CopyFormat::binary;
  auto room = [&] { return sink.remaining() > 5 ? sink.remaining() - 5 : 0; };
  if (binary && !header_sent) {
    if (room() < sizeof protocol::copy_binary_header_bytes) return conn->notify_when_writable();
    (void)fe::copy_data(sink, std::as_bytes(std::span(protocol::copy_binary_header_bytes)));
    header_sent = true;
  }
  while (segment < segments.size()) {
    const auto [from, to] = segments[segment];
    const std::size_t left = to - from - offset;
    const std::size_t n = std::min(left, room());
    if (n == 0) return conn->notify_when_writable();
    (void)fe::copy_data(sink, std::as_bytes(std::span(batch->payload.data() + from + offset, n)));
    offset += n;
    if (offset == to - from) {
      ++segment;
      offset = 0;
    }
  }
  if (room() < 16) return conn->notify_when_writable();
  if (binary) (void)fe::copy_data(sink, std::as_bytes(std::span(protocol::copy_binary_trailer_bytes)));
  fe::copy_done(sink);
  trailer_sent = true;
  streamed_at = Clock::now();
  if (!copy_outcome) queue_commit();
}

}  // namespace

unsigned default_parse_threads() noexcept {
  // The loading thread reads, places rows into batches and drives the reactor; the rest of the
  // cores parse (bench/run-load-vs-peers: 1 thread on 2 cores beat 0 and 2).
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(cores > 1 ? cores - 1 : 1u, 1u, 8u);
}

std::size_t default_connections() noexcept {
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 8);
}

Result<LoadReport> run_load(const client::ConnectionBuilder& builder, const LoadOptions& options) {
  if (options.connections == 0) return make_error(ErrorCategory::config, "--connections must be at least 1");
  auto conn = client::PgConnection::connect(builder);
  if (!conn) return std::unexpected(conn.error());
  auto schema = read_table_schema(*conn, options.table);
  if (!schema) return std::unexpected(schema.error());
  // Exactly once: register the load (or find what earlier runs of it committed).
  auto inputs = describe_inputs(options.files);
  if (!inputs) return std::unexpected(inputs.error());
  const std::string load_id =
      options.load_id.empty() ? default_load_id(schema->qualified_name, *inputs) : options.load_id;
  std::optional<ProgressTable> progress;
  LoadState state;
  std::string note;
  auto table = ProgressTable::open(*conn, options.state_schema);
  Result<LoadState> begun = std::unexpected(table ? Error(ErrorCategory::config, "") : table.error());
  if (table) {
    if (auto claimed = table->claim(*conn, load_id); !claimed) begun = std::unexpected(claimed.error());
    else begun = table->begin(*conn, load_id, options.load_id.empty(), schema->qualified_name, *inputs, options.resume);
  }
  if (begun) {
    progress = std::move(*table);
    state = std::move(*begun);
    if (options.resume && !state.resumed) note = "no earlier run of this load: loading everything";
  } else if (!options.state_required && !options.resume && begun.error().sqlstate() == "42501") {
    // (A refused claim() is a config error without a SQLSTATE: it stops the load.)
    // A role that may not keep progress records still loads, as before exactly-once existed.
    note = "no progress records (" + begun.error().message() + ")";
  } else {
    return std::unexpected(begun.error());
  }
  // Insert mode: array columns ride the unnest form only as text (unnest flattens binary arrays of
  // arrays); one Bind of arrays per chunk beat one Bind per row in bench/run-load-vs-peers
  // (upsert 1.25x, insert even).
  const bool has_array = std::any_of(schema->columns.begin(), schema->columns.end(), [](const Column& c) {
    return c.kind == ColumnKind::array || c.element_type_oid != 0;
  });
  const bool text_for_unnest = options.insert && has_array && options.insert_shape != InsertShape::values;
  const CopyFormat format = !options.force_text && !text_for_unnest && RowEncoder::binary_supported(*schema)
                                ? CopyFormat::binary
                                : CopyFormat::text;
  std::optional<InsertTarget> target;
  if (options.insert) {
    auto t = resolve_insert_target(*conn, *schema, format, options.on_conflict, options.conflict_key);
    if (!t) return std::unexpected(t.error());
    target = std::move(*t);
  }
  // With progress records the set-up connection stays open: it holds the load's claim.
  std::optional<client::PgConnection> claim;
  if (progress) claim = std::move(*conn);
  else conn->close();
  // The schema moves into the loader; the options refer to columns by index, which stay valid.
  auto encoding = resolve_encoder_options(*schema, format, options.maps, options.jsonb_column, options.rest_column);
  if (!encoding) return std::unexpected(encoding.error());
  Loader loader(builder, options, std::move(*schema), std::move(*encoding), std::move(progress), std::move(state),
                std::move(note), std::move(target),
                std::move(claim));
  return loader.run();
}

}  // namespace pgstream::load
