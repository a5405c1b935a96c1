// The progress and loads tables of exactly-once loading, and the line sets they hold.

#include "pgstream/load/progress_table.hpp"

#include <chrono>
#include <thread>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "pgstream/load/table_schema.hpp"

namespace pgstream::load {

void LineRanges::add(std::uint64_t from, std::uint64_t to) {
  if (from >= to) return;
  if (!runs_.empty() && runs_.back().second == from) {
    runs_.back().second = to;
    return;
  }
  runs_.emplace_back(from, to);
}

void LineRanges::normalize() {
  std::sort(runs_.begin(), runs_.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (const auto& r : runs_) {
    if (!out.empty() && r.first <= out.back().second) out.back().second = std::max(out.back().second, r.second);
    else out.push_back(r);
  }
  runs_ = std::move(out);
}

bool LineRanges::contains(std::uint64_t line) const {
  auto it = std::upper_bound(runs_.begin(), runs_.end(), line,
                             [](std::uint64_t v, const auto& r) { return v < r.first; });
  if (it == runs_.begin()) return false;
  --it;
  return line < it->second;
}

std::uint64_t LineRanges::count() const {
  std::uint64_t n = 0;
  for (const auto& [a, b] : runs_) n += b - a;
  return n;
}

std::string LineRanges::multirange_literal() const {
  std::string s = "{";
  for (const auto& [a, b] : runs_) {
    if (s.size() > 1) s += ',';
    s += '[' + std::to_string(a) + ',' + std::to_string(b) + ')';
  }
  s += '}';
  return s;
}

Result<std::vector<InputFile>> describe_inputs(const std::vector<std::string>& paths) {
  std::vector<InputFile> out;
  for (const auto& p : paths) {
    InputFile f;
    f.path = p;
    struct stat st {};
    if (p != "-") {
      if (::stat(p.c_str(), &st) != 0) return make_error(ErrorCategory::io, p + ": " + std::strerror(errno));
      if (S_ISREG(st.st_mode)) {
        f.size = static_cast<std::uint64_t>(st.st_size);
        f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string default_load_id(std::string_view table, const std::vector<InputFile>& inputs) {
  // FNV-1a: stable across builds and machines (std::hash is not), and enough to tell loads apart.
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  mix(table);
  for (const auto& f : inputs) {
    mix(f.path);
    mix(std::to_string(f.size));
    mix(std::to_string(f.mtime_ns));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string(table) + "@" + hex;
}

namespace {

std::string int_array(const std::vector<InputFile>& in, bool sizes) {
  std::string s = "ARRAY[";
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (i) s += ',';
    s += sizes ? std::to_string(in[i].size) : std::to_string(in[i].mtime_ns);
  }
  return s + "]::bigint[]";
}

std::string text_array(const std::vector<InputFile>& in) {
  std::string s = "ARRAY[";
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (i) s += ',';
    s += quote_literal(in[i].path);
  }
  return s + "]::text[]";
}

Result<client::TextResult> run(client::PgConnection& conn, const std::string& sql) {
  auto r = conn.simple_query(sql);
  if (!r) (void)conn.simple_query("ROLLBACK");
  return r;
}

std::string describe_change(const client::TextResult& old, const std::vector<InputFile>& inputs) {
  // Rows: i, file, size, mtime_ns.
  if (old.rows.size() != inputs.size())
    return "it was started with " + std::to_string(old.rows.size()) + " file(s), now " + std::to_string(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& row = old.rows[i];
    const std::string name = row[1].value_or("");
    if (name != inputs[i].path) return "file " + std::to_string(i + 1) + " was " + name + ", now " + inputs[i].path;
    if (row[2].value_or("") != std::to_string(inputs[i].size))
      return name + " was " + row[2].value_or("?") + " bytes, now " + std::to_string(inputs[i].size);
    if (row[3].value_or("") != std::to_string(inputs[i].mtime_ns)) return name + " was modified since";
  }
  return "the input is not the same";
}

}  // namespace

Result<ProgressTable> ProgressTable::open(client::PgConnection& conn, std::string schema) {
  ProgressTable t;
  t.schema_ = quote_identifier(schema);
  t.progress_ = t.schema_ + ".load_progress";
  t.loads_ = t.schema_ + ".loads";
  auto exists = conn.simple_query("SELECT to_regclass(" + quote_literal(t.progress_) + ") IS NOT NULL AND to_regclass(" +
                                  quote_literal(t.loads_) + ") IS NOT NULL");
  if (!exists) return std::unexpected(exists.error());
  if (exists->rows.size() == 1 && exists->rows[0][0] == "t") return t;
  // Checked first because CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when
  // the schema exists.
  auto made = run(conn, "BEGIN; SELECT pg_advisory_xact_lock(hashtext('pgstream.load state tables'));"
                        "CREATE SCHEMA IF NOT EXISTS " + t.schema_ + ";"
                        "CREATE TABLE IF NOT EXISTS " + t.loads_ + " (load_id text PRIMARY KEY, table_name text NOT NULL,"
                        " files text[] NOT NULL, sizes bigint[] NOT NULL, mtimes_ns bigint[] NOT NULL,"
                        " started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz);"
                        "CREATE TABLE IF NOT EXISTS " + t.progress_ + " (load_id text NOT NULL, batch bigint NOT NULL,"
                        " file_no int NOT NULL, file text NOT NULL, lines int8multirange NOT NULL,"
                        " rejected int8multirange NOT NULL, first_byte bigint, last_byte bigint, rows bigint NOT NULL,"
                        " committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (load_id, batch, file_no));"
                        "COMMIT");
  if (!made) return std::unexpected(made.error());
  return t;
}

Result<LoadState> ProgressTable::begin(client::PgConnection& conn, const std::string& load_id, bool id_derived,
                                       const std::string& table, const std::vector<InputFile>& inputs,
                                       bool resume) const {
  LoadState st;
  st.load_id = load_id;
  st.done.resize(inputs.size());
  st.rejected.resize(inputs.size());
  if (resume)
    for (const auto& f : inputs)
      if (f.path == "-") return make_error(ErrorCategory::config, "--resume needs files: stdin cannot be read again");
  const std::string id = quote_literal(load_id);
  if (auto r = run(conn, "BEGIN"); !r) return std::unexpected(r.error());
  auto row = run(conn, "SELECT table_name, finished_at::text FROM " + loads_ + " WHERE load_id = " + id + " FOR UPDATE");
  if (!row) return std::unexpected(row.error());
  const std::string fresh = "DELETE FROM " + progress_ + " WHERE load_id = " + id + "; DELETE FROM " + loads_ +
                            " WHERE load_id = " + id + "; INSERT INTO " + loads_ +
                            " (load_id, table_name, files, sizes, mtimes_ns) VALUES (" + id + ", " + quote_literal(table) +
                            ", " + text_array(inputs) + ", " + int_array(inputs, true) + ", " + int_array(inputs, false) +
                            "); COMMIT";
  if (!resume || row->rows.empty()) {
    if (resume && id_derived) {
      // The derived id changes with the input: an earlier load of the same table and file
      // names is the one the user means, and its input changed.
      auto other = run(conn, "SELECT load_id FROM " + loads_ + " WHERE table_name = " + quote_literal(table) +
                                 " AND files = " + text_array(inputs) +
                                 " ORDER BY started_at DESC LIMIT 1");
      if (!other) return std::unexpected(other.error());
      if (!other->rows.empty()) {
        const std::string old_id = other->rows[0][0].value_or("");
        auto files = run(conn, "SELECT i, files[i], sizes[i], mtimes_ns[i] FROM " + loads_ +
                                   ", generate_subscripts(files, 1) i WHERE load_id = " + quote_literal(old_id) +
                                   " ORDER BY i");
        (void)run(conn, "ROLLBACK");
        return make_error(ErrorCategory::config,
                          "cannot resume: the input changed since load " + old_id + " started (" +
                              (files ? describe_change(*files, inputs) : std::string("unknown change")) +
                              "); run without --resume to load everything again");
      }
    }
    if (auto r = run(conn, fresh); !r) return std::unexpected(r.error());
    return st;
  }
  if (row->rows[0][0].value_or("") != table) {
    (void)run(conn, "ROLLBACK");
    return make_error(ErrorCategory::config, "cannot resume load " + load_id + ": it loads " +
                                                 row->rows[0][0].value_or("") + ", not " + table);
  }
  auto files = run(conn, "SELECT i, files[i], sizes[i], mtimes_ns[i] FROM " + loads_ +
                             ", generate_subscripts(files, 1) i WHERE load_id = " + id + " ORDER BY i");
  if (!files) return std::unexpected(files.error());
  bool same = files->rows.size() == inputs.size();
  for (std::size_t i = 0; same && i < inputs.size(); ++i) {
    const auto& r = files->rows[i];
    same = r[1].value_or("") == inputs[i].path && r[2].value_or("") == std::to_string(inputs[i].size) &&
           r[3].value_or("") == std::to_string(inputs[i].mtime_ns);
  }
  if (!same) {
    (void)run(conn, "ROLLBACK");
    return make_error(ErrorCategory::config, "cannot resume load " + load_id + ": the input changed since it started (" +
                                                 describe_change(*files, inputs) + ")");
  }
  st.resumed = true;
  if (row->rows[0][1]) {
    st.finished = true;
    st.finished_at = *row->rows[0][1];
  }
  auto totals = run(conn, "SELECT coalesce(max(batch), 0), coalesce(sum(rows), 0) FROM " + progress_ +
                              " WHERE load_id = " + id);
  if (!totals) return std::unexpected(totals.error());
  st.next_batch = std::stoll(totals->rows[0][0].value_or("0")) + 1;
  st.rows = std::stoull(totals->rows[0][1].value_or("0"));
  auto runs = run(conn, "SELECT file_no, 0, lower(r), upper(r) FROM " + progress_ + ", unnest(lines) r WHERE load_id = " + id +
                            " UNION ALL SELECT file_no, 1, lower(r), upper(r) FROM " + progress_ +
                            ", unnest(rejected) r WHERE load_id = " + id);
  if (!runs) return std::unexpected(runs.error());
  for (const auto& r : runs->rows) {
    const auto file = static_cast<std::size_t>(std::stoul(r[0].value_or("0")));
    if (file >= inputs.size()) continue;
    const std::uint64_t from = std::stoull(r[2].value_or("0")), to = std::stoull(r[3].value_or("0"));
    st.done[file].add(from, to);
    if (r[1] == "1") st.rejected[file].add(from, to);
  }
  for (auto& d : st.done) d.normalize();
  for (auto& d : st.rejected) {
    d.normalize();
    st.rejected_count += d.count();
  }
  if (auto r = run(conn, "COMMIT"); !r) return std::unexpected(r.error());
  return st;
}

Result<void> ProgressTable::claim(client::PgConnection& conn, const std::string& load_id) const {
  // A run killed a moment ago may still hold it until its backend notices: a few tries.
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto r = conn.simple_query("SELECT pg_try_advisory_lock(hashtextextended(" +
                               quote_literal("pgstream load " + schema_ + " ") + " || " + quote_literal(load_id) + ", 0))");
    if (!r) return std::unexpected(r.error());
    if (!r->rows.empty() && r->rows[0][0] == "t") return {};
  }
  // Name the holder: a backend left by a client that died without closing its socket holds the
  // claim until TCP keepalive notices; pg_terminate_backend(pid) frees it at once.
  auto holders = conn.simple_query("SELECT string_agg(l.pid::text, ', ') FROM pg_locks l WHERE l.locktype = 'advisory' "
                                   "AND l.objsubid = 1 AND l.granted AND ((l.classid::int8 << 32) | l.objid::int8) = "
                                   "hashtextextended(" + quote_literal("pgstream load " + schema_ + " ") + " || " +
                                   quote_literal(load_id) + ", 0)");
  std::string who = "another pgstream load holds it";
  if (holders && !holders->rows.empty() && holders->rows[0][0]) who = "server process " + *holders->rows[0][0] + " holds it";
  return make_error(ErrorCategory::config, "load " + load_id + " is running already (" + who +
                                               "); wait for it to end, or give this one another --load-id");
}

Result<void> ProgressTable::finish(client::PgConnection& conn, const std::string& load_id) const {
  const std::string id = quote_literal(load_id);
  auto r = conn.simple_query("UPDATE " + loads_ + " SET finished_at = now() WHERE load_id = " + id);
  if (!r) return std::unexpected(r.error());
  // One row per file instead of one per batch and file: the same lines, rows and rejects (a resume
  // of the finished load still reports them), under a batch number after every earlier one. Best
  // effort: where it fails (range_agg of multiranges needs PostgreSQL 15) the records stay as
  // they are, which is only bigger.
  auto folded = conn.simple_query(
      "BEGIN; WITH gone AS (DELETE FROM " + progress_ + " WHERE load_id = " + id +
      " RETURNING *), last AS (SELECT max(batch) + 1 AS batch FROM gone) INSERT INTO " + progress_ +
      " (load_id, batch, file_no, file, lines, rejected, first_byte, last_byte, rows) SELECT " + id +
      ", last.batch, file_no, min(file), range_agg(lines), range_agg(rejected), min(first_byte), max(last_byte), "
      "sum(rows)::bigint FROM gone, last GROUP BY file_no, last.batch; COMMIT");
  if (!folded) (void)conn.simple_query("ROLLBACK");
  return {};
}

std::string ProgressTable::insert_sql(const std::string& load_id, std::int64_t batch,
                                      const std::vector<ProgressEntry>& entries,
                                      const std::vector<std::string>& file_names) const {
  std::string s = "INSERT INTO " + progress_ +
                  " (load_id, batch, file_no, file, lines, rejected, first_byte, last_byte, rows) VALUES ";
  const std::string id = quote_literal(load_id);
  bool first = true;
  for (const auto& e : entries) {
    if (!first) s += ',';
    first = false;
    s += '(' + id + ',' + std::to_string(batch) + ',' + std::to_string(e.file_no) + ',' +
         quote_literal(e.file_no < file_names.size() ? file_names[e.file_no] : std::string()) + ",'" +
         e.lines.multirange_literal() + "','" + e.rejected.multirange_literal() + "'," +
         (e.first_byte == UINT64_MAX ? std::string("NULL") : std::to_string(e.first_byte)) + ',' +
         (e.first_byte == UINT64_MAX ? std::string("NULL") : std::to_string(e.last_byte)) + ',' +
         std::to_string(e.rows) + ')';
  }
  return s;
}

}  // namespace pgstream::load
