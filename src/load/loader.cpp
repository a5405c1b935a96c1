#include "pgstream/load/loader.hpp"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "pgstream/load/copy_text.hpp"
#include "pgstream/load/line_reader.hpp"
#include "pgstream/load/table_schema.hpp"

namespace pgstream::load {
namespace {

namespace od = simdjson::ondemand;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// One row waiting in a batch: where it came from, and its raw line for the rejects file.
struct PendingRow {
  std::uint32_t file = 0;
  std::uint64_t line = 0;
  std::size_t copy_begin = 0, copy_end = 0;  // its COPY text in Batch::payload
  std::size_t raw_begin = 0, raw_end = 0;    // the input line in Batch::raw
};

// Rows sharing one set of present columns, sent as one COPY with that column list.
struct Batch {
  std::vector<std::size_t> columns;
  std::string copy_sql;
  std::string payload;
  std::string raw;
  std::vector<PendingRow> rows;
};

class RejectsFile {
 public:
  explicit RejectsFile(std::string path) : path_(std::move(path)) {}
  ~RejectsFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  const std::string& path() const { return path_; }
  bool used() const { return fd_ >= 0; }

  Result<void> write(const std::string& file, std::uint64_t line, std::string_view column, std::string_view sqlstate,
                     std::string_view reason, std::string_view input) {
    if (fd_ < 0) {
      // Rejected lines may hold personal data: readable by the owner only.
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd_ < 0) return make_error(ErrorCategory::io, "cannot create rejects file " + path_ + ": " + std::strerror(errno));
    }
    std::string rec = "{\"file\":";
    append_json_string(rec, file);
    rec += ",\"line\":" + std::to_string(line);
    if (!column.empty()) {
      rec += ",\"column\":";
      append_json_string(rec, column);
    }
    if (!sqlstate.empty()) {
      rec += ",\"sqlstate\":";
      append_json_string(rec, sqlstate);
    }
    rec += ",\"error\":";
    append_json_string(rec, reason);
    rec += ",\"input\":";
    append_json_string(rec, input);
    rec += "}\n";
    if (::write(fd_, rec.data(), rec.size()) != static_cast<ssize_t>(rec.size()))
      return make_error(ErrorCategory::io, "cannot write rejects file " + path_ + ": " + std::strerror(errno));
    return {};
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// "COPY t, line 17, column x: ..." -> 17
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

class Loader {
 public:
  Loader(client::PgConnection& conn, const LoadOptions& o, TableSchema schema)
      : conn_(conn), opt_(o), schema_(std::move(schema)),
        rejects_(o.rejects_path.empty() ? o.table + ".rejects.jsonl" : o.rejects_path) {
    if (!o.jsonb_column.empty()) jsonb_index_ = schema_.find(o.jsonb_column);
    cells_.resize(schema_.columns.size());
    present_.resize(schema_.columns.size());
  }

  Result<LoadReport> run() {
    const auto t0 = std::chrono::steady_clock::now();
    report_.table = schema_.qualified_name;
    if (!opt_.jsonb_column.empty() && !jsonb_index_)
      return make_error(ErrorCategory::config, "--jsonb-column " + opt_.jsonb_column + ": no such column in " +
                                                   schema_.qualified_name);
    for (std::uint32_t f = 0; f < opt_.files.size() && !report_.stopped; ++f) {
      auto input = InputReader::open(opt_.files[f]);
      if (!input) return std::unexpected(input.error());
      file_names_.push_back(input->path());
      ++report_.files;
      LineReader lines(*input);
      for (;;) {
        auto line = lines.next();
        if (!line) return std::unexpected(line.error());
        if (!*line) break;
        report_.bytes_read += (*line)->text.size() + 1;
        if (auto r = take_line(f, **line); !r) return std::unexpected(r.error());
        if (report_.stopped) break;
      }
    }
    if (auto r = send_older_than(nullptr); !r) return std::unexpected(r.error());
    report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rejects_.used()) report_.rejects_path = rejects_.path();
    return report_;
  }

 private:
  Result<void> reject(std::uint32_t file, std::uint64_t line, std::string_view column, std::string_view sqlstate,
                      std::string_view reason, std::string_view input) {
    ++report_.rows_rejected;
    if (auto r = rejects_.write(file_names_[file], line, column, sqlstate, reason, input); !r) return r;
    if (opt_.max_errors && report_.rows_rejected > *opt_.max_errors) {
      report_.stopped = true;
      report_.stop_reason = "stopped after " + std::to_string(report_.rows_rejected) + " rejected line(s) (--max-errors " +
                            std::to_string(*opt_.max_errors) + ")";
    }
    return {};
  }

  // Converts one JSON value into the COPY text of column `c`, appended to cell_buf_.
  // Returns an error text for a value the column cannot take.
  std::optional<std::string> convert(od::value v, const Column& c) {
    od::json_type type;
    if (v.type().get(type)) return "invalid JSON value";
    switch (type) {
      case od::json_type::null:
        cell_buf_ += "\\N";
        return std::nullopt;
      case od::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s)) return "invalid JSON string";
        append_copy_escaped(cell_buf_, s);
        return std::nullopt;
      }
      case od::json_type::number: {
        std::string_view raw = v.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' || raw.back() == '\n'))
          raw.remove_suffix(1);
        cell_buf_ += raw;
        return std::nullopt;
      }
      case od::json_type::boolean: {
        bool b = false;
        if (v.get_bool().get(b)) return "invalid JSON boolean";
        cell_buf_ += c.kind == ColumnKind::boolean ? (b ? "t" : "f") : (b ? "true" : "false");
        return std::nullopt;
      }
      case od::json_type::array: {
        if (c.kind == ColumnKind::array) {
          scratch_.clear();
          if (auto err = append_array_literal(scratch_, v); err) return err;
          append_copy_escaped(cell_buf_, scratch_);
          return std::nullopt;
        }
        [[fallthrough]];
      }
      case od::json_type::object: {
        if (c.kind != ColumnKind::json && c.kind != ColumnKind::text)
          return std::string("a JSON ") + (type == od::json_type::array ? "array" : "object") +
                 " cannot go into column of type " + c.type_name;
        std::string_view raw;
        bool bad;
        if (type == od::json_type::array) {
          od::array a;
          bad = v.get_array().get(a) || a.raw_json().get(raw);
        } else {
          od::object o;
          bad = v.get_object().get(o) || o.raw_json().get(raw);
        }
        if (bad) return "invalid JSON";
        append_copy_escaped(cell_buf_, raw);
        return std::nullopt;
      }
    }
    return "unsupported JSON value";
  }

  Result<void> take_line(std::uint32_t file, const Line& line) {
    ++report_.lines_read;
    if (line.text.find_first_not_of(" \t\r") == std::string_view::npos) {
      ++report_.blank_lines;
      return {};
    }
    std::fill(present_.begin(), present_.end(), false);
    cell_buf_.clear();
    od::document doc;
    auto fail = [&](std::string_view column, std::string reason) -> Result<void> {
      return reject(file, line.number, column, "", reason, line.text);
    };
    if (auto err = parser_.iterate(line.text.data(), line.text.size(), line.capacity).get(doc))
      return fail("", std::string("invalid JSON: ") + simdjson::error_message(err));
    od::object obj;
    if (doc.get_object().get(obj)) return fail("", "the line is not a JSON object");
    for (auto field_result : obj) {
      od::field field;
      if (auto err = std::move(field_result).get(field)) return fail("", std::string("invalid JSON: ") + simdjson::error_message(err));
      std::string_view key;
      if (field.unescaped_key().get(key)) return fail("", "invalid JSON object key");
      auto idx = column_of(key);
      if (!idx || (jsonb_index_ && *idx == *jsonb_index_)) {
        ++report_.ignored_keys[std::string(key)];
        continue;  // On-Demand skips the unread value when it moves to the next field
      }
      if (present_[*idx]) return fail(key, "duplicate key \"" + std::string(key) + "\"");
      const std::size_t begin = cell_buf_.size();
      if (auto err = convert(field.value(), schema_.columns[*idx]))
        return fail(schema_.columns[*idx].name, *err);
      present_[*idx] = true;
      cells_[*idx] = {begin, cell_buf_.size()};
    }
    // In bounds after the object means more tokens follow it on this line.
    if (!doc.current_location().error()) return fail("", "invalid JSON: trailing content after the object");
    if (jsonb_index_) {
      const std::size_t begin = cell_buf_.size();
      append_copy_escaped(cell_buf_, line.text);
      present_[*jsonb_index_] = true;
      cells_[*jsonb_index_] = {begin, cell_buf_.size()};
    }
    return add_row(file, line);
  }

  std::optional<std::size_t> column_of(std::string_view key) {
    auto it = key_cache_.find(key);
    if (it != key_cache_.end()) return it->second;
    auto idx = schema_.find(key);
    key_cache_.emplace(std::string(key), idx);
    return idx;
  }

  Result<void> add_row(std::uint32_t file, const Line& line) {
    signature_.assign((present_.size() + 63) / 64, 0);
    for (std::size_t i = 0; i < present_.size(); ++i)
      if (present_[i]) signature_[i / 64] |= std::uint64_t{1} << (i % 64);
    auto [it, inserted] = batches_.try_emplace(signature_);
    Batch& b = it->second;
    if (inserted) {
      std::string cols;
      for (std::size_t i = 0; i < present_.size(); ++i) {
        if (!present_[i]) continue;
        b.columns.push_back(i);
        if (!cols.empty()) cols += ", ";
        cols += quote_identifier(schema_.columns[i].name);
      }
      b.copy_sql = "COPY " + schema_.qualified_name + (cols.empty() ? "" : " (" + cols + ")") + " FROM STDIN";
    }
    PendingRow row;
    row.file = file;
    row.line = line.number;
    row.copy_begin = b.payload.size();
    if (b.columns.empty()) {
      b.payload += "\n";  // no column present: a row of defaults is not expressible in COPY
    } else {
      for (std::size_t k = 0; k < b.columns.size(); ++k) {
        if (k) b.payload += '\t';
        const auto [from, to] = cells_[b.columns[k]];
        b.payload.append(cell_buf_, from, to - from);
      }
      b.payload += '\n';
    }
    row.copy_end = b.payload.size();
    row.raw_begin = b.raw.size();
    b.raw += line.text;
    row.raw_end = b.raw.size();
    b.rows.push_back(row);
    if (b.rows.size() >= opt_.batch_rows || b.payload.size() >= opt_.batch_bytes) {
      if (auto r = send_older_than(&b); !r) return r;
      return send(b);
    }
    return {};
  }

  // Rows reach the server in input order as far as grouping allows: before a batch is sent,
  // every other batch holding earlier lines goes first (so of two lines with the same key, the
  // earlier one is loaded and the later one rejected). nullptr: send every batch, oldest first.
  Result<void> send_older_than(const Batch* b) {
    auto first = [&](const Batch& x) { return std::pair(x.rows.front().file, x.rows.front().line); };
    std::vector<Batch*> older;
    for (auto& [sig, other] : batches_)
      if (&other != b && !other.rows.empty() && (!b || first(other) < first(*b))) older.push_back(&other);
    std::sort(older.begin(), older.end(), [&](Batch* x, Batch* y) { return first(*x) < first(*y); });
    for (Batch* o : older) {
      if (report_.stopped) break;
      if (auto r = send(*o); !r) return r;
    }
    return {};
  }

  // Sends a batch; a row the server refuses is rejected and the batch resent without it.
  Result<void> send(Batch& b) {
    if (b.rows.empty()) return {};
    if (b.columns.empty()) {  // rows with no known key: all defaults
      for (const auto& r : b.rows)
        if (auto x = insert_defaults(b, r); !x) return x;
      clear(b);
      return {};
    }
    std::vector<std::size_t> live(b.rows.size());
    for (std::size_t i = 0; i < live.size(); ++i) live[i] = i;
    std::string payload;
    while (!live.empty() && !report_.stopped) {
      payload.clear();
      for (std::size_t i : live) payload.append(b.payload, b.rows[i].copy_begin, b.rows[i].copy_end - b.rows[i].copy_begin);
      auto n = copy(b.copy_sql, payload);
      if (n) {
        report_.rows_loaded += *n;
        ++report_.batches;
        break;
      }
      const Error& e = n.error();
      if (e.category() != ErrorCategory::server) return std::unexpected(e);
      auto line = copy_line_of(e);
      if (!line || *line == 0 || *line > live.size()) {
        // No row to blame: send rows one by one so each failure is exact.
        if (live.size() == 1) {
          const auto& r = b.rows[live[0]];
          if (auto x = reject(r.file, r.line, copy_column_of(e), e.sqlstate(), e.message(), raw(b, r)); !x) return x;
          live.clear();
          break;
        }
        for (std::size_t i : live) {
          if (report_.stopped) break;
          payload.assign(b.payload, b.rows[i].copy_begin, b.rows[i].copy_end - b.rows[i].copy_begin);
          auto one = copy(b.copy_sql, payload);
          if (one) {
            report_.rows_loaded += *one;
            ++report_.batches;
          } else if (one.error().category() == ErrorCategory::server) {
            const auto& r = b.rows[i];
            if (auto x = reject(r.file, r.line, copy_column_of(one.error()), one.error().sqlstate(),
                                one.error().message(), raw(b, r));
                !x)
              return x;
          } else {
            return std::unexpected(one.error());
          }
        }
        live.clear();
        break;
      }
      const std::size_t bad = live[*line - 1];
      const auto& r = b.rows[bad];
      if (auto x = reject(r.file, r.line, copy_column_of(e), e.sqlstate(), e.message(), raw(b, r)); !x) return x;
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(*line - 1));
    }
    clear(b);
    return {};
  }

  static std::string_view raw(const Batch& b, const PendingRow& r) {
    return std::string_view(b.raw).substr(r.raw_begin, r.raw_end - r.raw_begin);
  }

  static void clear(Batch& b) {
    b.payload.clear();
    b.raw.clear();
    b.rows.clear();
  }

  // One COPY, in a transaction with TRUNCATE when this is the first batch of a --truncate load.
  Result<std::uint64_t> copy(const std::string& sql, const std::string& payload) {
    const bool with_truncate = opt_.truncate && !truncated_;
    if (with_truncate) {
      auto t = conn_.simple_query("BEGIN; TRUNCATE " + schema_.qualified_name);
      if (!t) return std::unexpected(t.error());
    }
    auto n = conn_.copy_in(sql, std::as_bytes(std::span(payload)));
    if (with_truncate) {
      auto end = conn_.simple_query(n ? "COMMIT" : "ROLLBACK");
      if (!end) return std::unexpected(end.error());
      if (n) truncated_ = true;
    }
    return n;
  }

  Result<void> insert_defaults(const Batch& b, const PendingRow& r) {
    auto res = conn_.simple_query("INSERT INTO " + schema_.qualified_name + " DEFAULT VALUES");
    if (res) {
      ++report_.rows_loaded;
      return {};
    }
    if (res.error().category() != ErrorCategory::server) return std::unexpected(res.error());
    return reject(r.file, r.line, copy_column_of(res.error()), res.error().sqlstate(), res.error().message(), raw(b, r));
  }

  client::PgConnection& conn_;
  const LoadOptions& opt_;
  TableSchema schema_;
  RejectsFile rejects_;
  LoadReport report_;
  std::vector<std::string> file_names_;
  od::parser parser_;
  std::optional<std::size_t> jsonb_index_;
  std::unordered_map<std::string, std::optional<std::size_t>, StringHash, std::equal_to<>> key_cache_;
  std::vector<std::pair<std::size_t, std::size_t>> cells_;
  std::vector<bool> present_;
  std::vector<std::uint64_t> signature_;
  std::map<std::vector<std::uint64_t>, Batch> batches_;
  std::string cell_buf_;
  std::string scratch_;
  bool truncated_ = false;
};

}  // namespace

Result<LoadReport> run_load(client::PgConnection& conn, const LoadOptions& options) {
  auto schema = read_table_schema(conn, options.table);
  if (!schema) return std::unexpected(schema.error());
  Loader loader(conn, options, std::move(*schema));
  return loader.run();
}

}  // namespace pgstream::load
