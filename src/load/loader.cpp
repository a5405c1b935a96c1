// The load loop: one thread reads and encodes lines into batches while the reactor streams
// earlier batches over N connections, each batch one COPY (one transaction).

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

#include "pgstream/load/copy_text.hpp"
#include "pgstream/load/line_reader.hpp"
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

// Rows sharing one set of present columns, sent as one COPY with that column list.
struct Batch {
  std::string copy_sql;
  std::string payload;  // encoded rows, back to back
  std::string raw;      // their input lines, for the rejects file
  std::vector<PendingRow> rows;
  std::vector<std::size_t> live;  // rows still to load (a rejected row leaves)
};

class RejectsFile {
 public:
  explicit RejectsFile(std::string path) : path_(std::move(path)) {}
  ~RejectsFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  const std::string& path() const { return path_; }
  bool used() const { return fd_ >= 0; }

  Result<void> write(const std::string& file, std::uint64_t line, std::uint64_t offset, std::string_view column,
                     std::string_view sqlstate, std::string_view reason, std::string_view input) {
    if (fd_ < 0) {
      // Rejected lines may hold personal data: readable by the owner only.
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd_ < 0) return make_error(ErrorCategory::io, "cannot create rejects file " + path_ + ": " + std::strerror(errno));
    }
    rec_.assign("{\"file\":");
    append_json_string(rec_, file);
    rec_ += ",\"line\":" + std::to_string(line) + ",\"offset\":" + std::to_string(offset);
    if (!column.empty()) {
      rec_ += ",\"column\":";
      append_json_string(rec_, column);
    }
    if (!sqlstate.empty()) {
      rec_ += ",\"sqlstate\":";
      append_json_string(rec_, sqlstate);
    }
    rec_ += ",\"error\":";
    append_json_string(rec_, reason);
    rec_ += ",\"input\":";
    append_json_string(rec_, input);
    rec_ += "}\n";
    if (::write(fd_, rec_.data(), rec_.size()) != static_cast<ssize_t>(rec_.size()))
      return make_error(ErrorCategory::io, "cannot write rejects file " + path_ + ": " + std::strerror(errno));
    return {};
  }

 private:
  std::string path_;
  std::string rec_;
  int fd_ = -1;
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

// A simple query's completion, forwarded to its worker (BEGIN/TRUNCATE, COMMIT).
struct StepHandler final : uring::RequestHandler {
  std::function<void(Result<void>)> done;
  void on_complete(Connection&, Result<void> outcome) override { done(std::move(outcome)); }
};

// One connection streaming one batch at a time.
struct Worker final : uring::RequestHandler {
  Loader* loader = nullptr;
  Connection* conn = nullptr;
  std::unique_ptr<Batch> batch;
  bool ready = false;
  bool busy = false;
  // Streaming position: segments of contiguous live rows in batch->payload.
  std::vector<std::pair<std::size_t, std::size_t>> segments;
  std::size_t segment = 0, offset = 0;
  bool header_sent = false, trailer_sent = false;
  Clock::time_point started_at, streamed_at;
  std::optional<std::uint64_t> copied;  // rows from CommandComplete
  // --truncate: this batch runs inside BEGIN; TRUNCATE ...; COMMIT.
  bool in_transaction = false;
  std::optional<Result<void>> copy_outcome;
  StepHandler begin_step, commit_step;

  void on_frame(Connection&, const protocol::Frame& f) override {
    if (f.type != 'C') return;
    if (auto cc = protocol::CommandComplete::parse(f)) copied = cc->rows();
  }
  void on_complete(Connection& c, Result<void> outcome) override;
  void pump();
};

class Loader {
 public:
  Loader(client::ConnectionBuilder builder, const LoadOptions& o, TableSchema schema, EncoderOptions encoding)
      : builder_(std::move(builder)), opt_(o), schema_(std::move(schema)), format_(encoding.format),
        encoder_(schema_, std::move(encoding)),
        rejects_(o.rejects_path.empty() ? o.table + ".rejects.jsonl" : o.rejects_path) {
    truncate_pending_ = o.truncate;
  }

  Result<LoadReport> run() {
    const auto t0 = Clock::now();
    report_.table = schema_.qualified_name;
    report_.copy_format = format_ == CopyFormat::binary ? "binary" : "text";
    uring::ReactorOptions ro;
    ro.max_connections = opt_.connections;
    auto reactor = uring::Reactor::create(ro);
    if (!reactor) return std::unexpected(reactor.error());
    reactor_ = std::move(*reactor);
    workers_.resize(opt_.connections);
    for (auto& w : workers_) {
      w = std::make_unique<Worker>();
      w->loader = this;
      Worker* raw = w.get();
      uring::ConnectionEvents ev;
      ev.on_ready = [raw](Connection& c) {
        raw->conn = &c;
        raw->ready = true;
      };
      ev.on_writable = [raw](Connection&) { raw->pump(); };
      ev.on_closed = [this](Connection& c, const Error& e) {
        if (!fatal_) fatal_ = Error(e.category(), "connection " + std::to_string(c.index() + 1) + " lost: " + e.message());
      };
      auto c = reactor_->open(builder_, ev);
      if (!c) return std::unexpected(c.error());
      w->conn = *c;
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
      if (!input_done_ && !report_.stopped) {
        const auto p0 = Clock::now();
        if (auto r = produce(); !r) return std::unexpected(r.error());
        encoding_and_reading_ += std::chrono::duration<double>(Clock::now() - p0).count();
      }
      dispatch();
      const bool waiting_only = input_done_ || report_.stopped || ready_.size() >= 2 * workers_.size();
      if (finished()) break;
      const auto w0 = Clock::now();
      if (auto r = reactor_->run_once(waiting_only ? std::chrono::milliseconds(100) : std::chrono::milliseconds(0)); !r)
        return std::unexpected(r.error());
      report_.waiting_seconds += std::chrono::duration<double>(Clock::now() - w0).count();
      update_times();
      if (!error_.empty()) return make_error(ErrorCategory::io, error_);
      tick_progress();
    }
    report_.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    update_times();
    report_.ignored_keys = encoder_.ignored_keys();
    report_.ignored_key_count = encoder_.ignored_key_count();
    if (rejects_.used()) report_.rejects_path = rejects_.path();
    reactor_->close_all();
    if (fatal_)
      return make_error(fatal_->category(), fatal_->message() + " (" + std::to_string(report_.rows_loaded) +
                                                " rows were committed before it)");
    return report_;
  }

  // ---- called by workers ----

  Result<void> reject(std::uint32_t file, std::uint64_t line, std::uint64_t offset, std::string_view column,
                      std::string_view sqlstate, std::string_view reason, std::string_view input) {
    ++report_.rows_rejected;
    if (auto r = rejects_.write(file_names_[file], line, offset, column, sqlstate, reason, input); !r) return r;
    if (opt_.max_errors && report_.rows_rejected > *opt_.max_errors && !report_.stopped) {
      report_.stopped = true;
      report_.stop_reason = "stopped after " + std::to_string(report_.rows_rejected) + " rejected line(s) (--max-errors " +
                            std::to_string(*opt_.max_errors) + ")";
    }
    return {};
  }

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
      report_.rows_loaded += w.copied.value_or(b.live.size());
      ++report_.batches;
      if (w.in_transaction) truncate_pending_ = false;
      release(w);
      return;
    }
    const Error& e = outcome.error();
    if (e.category() != ErrorCategory::server) {
      if (!fatal_) fatal_ = e;
      release(w);
      return;
    }
    auto line = copy_line_of(e);
    if (line && *line >= 1 && *line <= b.live.size()) {
      const PendingRow& r = b.rows[b.live[*line - 1]];
      note(reject(r.file, r.line, r.offset, copy_column_of(e), e.sqlstate(), e.message(), raw(b, r)));
      // The rows before it passed: they go again as a batch of their own, so that with many bad
      // rows no row is sent more than about twice (resending the whole batch would be quadratic).
      if (*line > 1) {
        ready_.push_front(sub_batch(b, 0, *line - 1));
        ++report_.retries;
      }
      b.live.erase(b.live.begin(), b.live.begin() + static_cast<std::ptrdiff_t>(*line));
    } else if (b.live.size() == 1) {
      const PendingRow& r = b.rows[b.live[0]];
      note(reject(r.file, r.line, r.offset, copy_column_of(e), e.sqlstate(), e.message(), raw(b, r)));
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
    if (b.live.empty() || report_.stopped) {
      release(w);
      return;
    }
    ++report_.retries;
    start(w);  // the same batch again, without the rejected row, on the same connection
  }

  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  [[nodiscard]] CopyFormat format() const noexcept { return format_; }

  void start(Worker& w) {
    Batch& b = *w.batch;
    w.busy = true;
    w.copied.reset();
    w.copy_outcome.reset();
    w.segments.clear();
    for (std::size_t i : b.live) {
      const PendingRow& r = b.rows[i];
      if (!w.segments.empty() && w.segments.back().second == r.copy_begin) w.segments.back().second = r.copy_end;
      else w.segments.emplace_back(r.copy_begin, r.copy_end);
    }
    w.segment = w.offset = 0;
    w.header_sent = w.trailer_sent = false;
    w.started_at = Clock::now();
    w.in_transaction = truncate_pending_;
    auto& sink = w.conn->sink();
    if (w.in_transaction) {
      w.begin_step.done = [this](Result<void> r) {
        if (!r) fail("--truncate: " + r.error().to_string());
      };
      if (!fe::query(sink, "BEGIN; TRUNCATE " + schema_.qualified_name) || !w.conn->push_request(&w.begin_step))
        return fail("cannot queue BEGIN/TRUNCATE");
    }
    if (!fe::query(sink, b.copy_sql) || !w.conn->push_request(&w)) return fail("cannot queue COPY");
    w.pump();
  }

 private:
  // The live rows [from, to) of `b` as a batch of their own.
  static std::unique_ptr<Batch> sub_batch(const Batch& b, std::size_t from, std::size_t to) {
    auto out = std::make_unique<Batch>();
    out->copy_sql = b.copy_sql;
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
  // cost page faults (a third of the client's CPU before this pool).
  void release(Worker& w) {
    if (w.batch && spare_.size() < workers_.size()) {
      Batch& b = *w.batch;
      b.payload.clear();
      b.raw.clear();
      b.rows.clear();
      b.live.clear();
      spare_.push_back(std::move(w.batch));
    }
    w.batch.reset();
    w.busy = false;
  }

  bool finished() const {
    if (!(input_done_ || report_.stopped)) return false;
    if (!report_.stopped && (!ready_.empty() || !groups_.empty())) return false;
    for (const auto& w : workers_)
      if (w->busy) return false;
    return true;
  }

  void dispatch() {
    for (auto& w : workers_) {
      if (ready_.empty() || report_.stopped) return;
      if (!w->ready || w->busy) continue;
      // Under --truncate nothing else runs until the batch that truncated has committed.
      if (truncate_pending_ && any_busy()) return;
      w->batch = std::move(ready_.front());
      ready_.pop_front();
      start(*w);
    }
  }

  bool any_busy() const {
    for (const auto& w : workers_)
      if (w->busy) return true;
    return false;
  }

  // Reads and encodes lines until a batch is complete (or a time slice is used up).
  Result<void> produce() {
    const auto slice_end = Clock::now() + std::chrono::milliseconds(2);
    std::size_t lines = 0;
    while (ready_.size() < 2 * workers_.size() && !report_.stopped) {
      if (!lines_) {
        if (file_index_ >= opt_.files.size()) {
          input_done_ = true;
          // Oldest first, so one connection loads in input order (of two lines with the same
          // key, the earlier one is loaded and the later one rejected).
          std::vector<std::unique_ptr<Batch>> rest;
          for (auto& [sig, b] : groups_)
            if (!b->rows.empty()) rest.push_back(std::move(b));
          groups_.clear();
          std::sort(rest.begin(), rest.end(), [](const auto& x, const auto& y) {
            return std::pair(x->rows.front().file, x->rows.front().line) < std::pair(y->rows.front().file, y->rows.front().line);
          });
          for (auto& b : rest) ready_.push_back(std::move(b));
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
        continue;
      }
      take_line(static_cast<std::uint32_t>(file_names_.size() - 1), **line);
      if ((++lines & 1023) == 0 && Clock::now() > slice_end) break;
    }
    return {};
  }

  void take_line(std::uint32_t file, const Line& line) {
    ++report_.lines_read;
    report_.bytes_read += line.text.size() + 1;
    if (line.text.find_first_not_of(" \t\r") == std::string_view::npos) {
      ++report_.blank_lines;
      return;
    }
    if (auto rej = encoder_.encode(line.text, line.capacity)) {
      note(reject(file, line.number, line.byte_offset, rej->column, "", rej->reason, line.text));
      return;
    }
    bool any = false;
    for (auto word : encoder_.signature()) any |= word != 0;
    if (!any) {
      // COPY cannot express a row of defaults only; such a line is almost always meant for
      // another table, so it is refused rather than loaded as an empty row.
      note(reject(file, line.number, line.byte_offset, "", "", "no key of the line matches a column of " + schema_.qualified_name,
                  line.text));
      return;
    }
    auto& slot = groups_[encoder_.signature()];
    if (!slot) slot = new_batch();
    Batch& b = *slot;
    PendingRow row;
    row.file = file;
    row.line = line.number;
    row.offset = line.byte_offset;
    row.copy_begin = b.payload.size();
    encoder_.append_row(b.payload);
    row.copy_end = b.payload.size();
    row.raw_begin = b.raw.size();
    b.raw += line.text;
    row.raw_end = b.raw.size();
    b.live.push_back(b.rows.size());
    b.rows.push_back(row);
    const std::size_t added = (row.copy_end - row.copy_begin) + (row.raw_end - row.raw_begin);
    open_bytes_ += added;
    if (b.rows.size() >= opt_.batch_rows || b.payload.size() + b.raw.size() >= opt_.batch_bytes) {
      open_bytes_ -= b.payload.size() + b.raw.size();
      ready_.push_back(std::move(slot));
      groups_.erase(encoder_.signature());
    }
    if (open_bytes_ > opt_.open_batch_bytes) flush_oldest_groups();
  }

  // Sends the open batches that started longest ago until the open ones hold at most half the
  // bound: with many key sets, lines of rare ones would otherwise wait for the end of the input.
  void flush_oldest_groups() {
    std::vector<std::pair<std::pair<std::uint32_t, std::uint64_t>, const std::vector<std::uint64_t>*>> order;
    for (auto& [sig, b] : groups_) order.push_back({{b->rows.front().file, b->rows.front().line}, &sig});
    std::sort(order.begin(), order.end());
    for (const auto& [first, sig] : order) {
      if (open_bytes_ <= opt_.open_batch_bytes / 2) break;
      auto it = groups_.find(*sig);
      open_bytes_ -= it->second->payload.size() + it->second->raw.size();
      ready_.push_back(std::move(it->second));
      groups_.erase(it);
    }
  }

  std::unique_ptr<Batch> new_batch() {
    std::unique_ptr<Batch> b;
    if (spare_.empty()) {
      b = std::make_unique<Batch>();
    } else {
      b = std::move(spare_.back());
      spare_.pop_back();
    }
    std::string cols;
    const auto& sig = encoder_.signature();
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
    report_.encoding_seconds = std::max(0.0, encoding_and_reading_ - report_.reading_seconds);
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
  RowEncoder encoder_;
  RejectsFile rejects_;
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
  std::size_t open_bytes_ = 0;        // payload and raw bytes of the batches in groups_
  double read_seconds_done_ = 0;      // of the files already finished
  std::uint64_t position_done_ = 0;   // their sizes
};

void Worker::on_complete(Connection&, Result<void> outcome) {
  if (!in_transaction) return loader->batch_done(*this, std::move(outcome));
  // Inside BEGIN ... COMMIT the batch is done when COMMIT answers; a failed COPY makes the
  // COMMIT a ROLLBACK, which also undoes the TRUNCATE (redone with the retried batch).
  copy_outcome = std::move(outcome);
  commit_step.done = [this](Result<void> r) {
    Result<void> copy = std::move(*copy_outcome);
    if (copy && !r) copy = std::unexpected(r.error());
    loader->batch_done(*this, std::move(copy));
  };
  if (!trailer_sent) {
    // The COPY failed before we finished streaming: the COMMIT goes now (the server ignores the
    // CopyData still queued before it).
    trailer_sent = true;
    if (!fe::query(conn->sink(), "COMMIT") || !conn->push_request(&commit_step)) loader->fail("cannot queue COMMIT");
  }
}

void Worker::pump() {
  if (!busy || trailer_sent) return;
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
  if (in_transaction && !copy_outcome) {
    if (!fe::query(sink, "COMMIT") || !conn->push_request(&commit_step)) loader->fail("cannot queue COMMIT");
  }
}

}  // namespace

std::size_t default_connections() noexcept {
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 8);
}

Result<LoadReport> run_load(const client::ConnectionBuilder& builder, const LoadOptions& options) {
  if (options.connections == 0) return make_error(ErrorCategory::config, "--connections must be at least 1");
  auto conn = client::PgConnection::connect(builder);
  if (!conn) return std::unexpected(conn.error());
  auto schema = read_table_schema(*conn, options.table);
  if (!schema) return std::unexpected(schema.error());
  conn->close();
  const CopyFormat format =
      !options.force_text && RowEncoder::binary_supported(*schema) ? CopyFormat::binary : CopyFormat::text;
  // The schema moves into the loader; the options refer to columns by index, which stay valid.
  auto encoding = resolve_encoder_options(*schema, format, options.maps, options.jsonb_column, options.rest_column);
  if (!encoding) return std::unexpected(encoding.error());
  Loader loader(builder, options, std::move(*schema), std::move(*encoding));
  return loader.run();
}

}  // namespace pgstream::load
