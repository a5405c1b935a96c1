// Insert mode (issue 8) against binary COPY, over one blocking connection to a real server:
//
//   PGSTREAM_BENCH_DSN='host=... dbname=...' build/bench/pgstream_insert_mode_bench
//   PGSTREAM_BENCH_ROWS=100000 (insert cases), PGSTREAM_BENCH_UPSERT_ROWS=1000000 (upsert cases)
//
// Rows are JSON lines encoded once by the RowEncoder, outside the timing, so every contender sends
// the same binary values and the figures compare only what goes over the wire and what the server
// does with it. Timed: filling InsertBatches and encoding Bind/Execute/Sync (insert cases), the
// sends and the waits for the replies. Not timed: TRUNCATE, preparing the upsert target, CHECKPOINT.
//
//   Insert/unnest/B    one Bind of arrays per batch of B rows, 4 batches in flight, autocommit per batch
//   Insert/values/B    one Bind+Execute per row, one Sync per B rows, 4 batches in flight
//   Copy/binary        one COPY ... FROM STDIN (FORMAT binary) of all rows
//   Upsert/unnest/B    N rows into a table holding N/2 of their keys: INSERT ... unnest ... ON CONFLICT
//                      DO UPDATE per batch (in-batch dedupe included)
//   Upsert/temp_copy   the usual way: COPY into a temp table, INSERT ... SELECT ... ON CONFLICT DO UPDATE

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/load/insert_batch.hpp"
#include "pgstream/load/insert_statement.hpp"
#include "pgstream/load/row_encoder.hpp"
#include "pgstream/load/table_schema.hpp"
#include "pgstream/protocol/copy_binary.hpp"
#include "pgstream/protocol/frontend.hpp"

namespace {

using namespace pgstream;
namespace fe = protocol::frontend;

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoul(v) : fallback;
}

void must(const Result<client::TextResult>& r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().to_string());
}

constexpr const char* kTable = "pgstream_insert_bench.t";

// The rows, encoded once: tuples back to back, and where each ends.
struct Rows {
  std::string tuples;
  std::vector<std::size_t> ends;
  std::vector<std::uint64_t> signature;
};

struct Server {
  client::PgConnection conn;
  load::TableSchema schema;

  static Server& get() {
    static std::optional<Server> s = [] {
      const char* dsn = std::getenv("PGSTREAM_BENCH_DSN");
      if (!dsn) throw std::runtime_error("set PGSTREAM_BENCH_DSN");
      auto c = client::PgConnection::connect(dsn);
      if (!c) throw std::runtime_error(c.error().to_string());
      must(c->simple_query("DROP SCHEMA IF EXISTS pgstream_insert_bench CASCADE; CREATE SCHEMA pgstream_insert_bench;"
                           "CREATE TABLE pgstream_insert_bench.t(id int8 PRIMARY KEY, name text, score float8, "
                           "ok bool, at timestamptz, doc jsonb, amount numeric)"),
           "create table");
      auto schema = load::read_table_schema(*c, kTable);
      if (!schema) throw std::runtime_error(schema.error().to_string());
      return std::optional<Server>(Server{std::move(*c), std::move(*schema)});
    }();
    return *s;
  }

  // Rows with ids 0..n-1; `tag` goes into the name (so an upsert changes something).
  Rows encode(std::size_t n, const std::string& tag) {
    load::RowEncoder enc(schema, load::EncoderOptions{});
    Rows rows;
    std::string line;
    for (std::size_t i = 0; i < n; ++i) {
      line = "{\"id\":" + std::to_string(i) + ",\"name\":\"" + tag + "-" + std::to_string(i * 7919 % 100003) +
             "\",\"score\":" + std::to_string(static_cast<double>(i % 1000) / 7.0) + ",\"ok\":" +
             (i % 3 ? "true" : "false") + ",\"at\":\"2024-03-01T12:" + std::to_string(10 + i % 50) +
             ":00Z\",\"doc\":{\"k\":" + std::to_string(i % 97) + ",\"tags\":[\"a\",\"b\"]},\"amount\":" +
             std::to_string(i % 10000) + ".25}";
      const std::size_t size = line.size();
      line.resize(size + simdjson::SIMDJSON_PADDING);
      if (auto rej = enc.encode(std::string_view(line.data(), size), line.size()))
        throw std::runtime_error("encode: " + rej->reason);
      enc.append_row(rows.tuples);
      rows.ends.push_back(rows.tuples.size());
    }
    rows.signature = enc.signature();
    return rows;
  }

  void reset(std::size_t keep_keys) {
    must(conn.simple_query("TRUNCATE " + std::string(kTable)), "truncate");
    if (keep_keys)
      must(conn.simple_query("INSERT INTO " + std::string(kTable) +
                             " SELECT 2 * g, 'old', 0, true, now(), '{}', 0 FROM generate_series(0, " +
                             std::to_string(keep_keys - 1) + ") g"),
           "prepare");
    must(conn.simple_query("VACUUM ANALYZE " + std::string(kTable)), "vacuum");
    must(conn.simple_query("CHECKPOINT"), "checkpoint");
  }
};

// Sends the rows in batches of `batch_rows`, at most `window` batches in flight; the counts.
load::InsertCounts run_batches(client::PgConnection& conn, const load::InsertStatement& st, const Rows& rows,
                               std::size_t batch_rows, std::size_t window) {
  load::InsertCounts counts;
  load::InsertBatch batch(st);
  std::deque<std::uint64_t> in_flight;  // rows sent per batch
  std::string& out = conn.send_buffer();
  static int runs = 0;
  const std::string name = "ins" + std::to_string(++runs);  // once per run, as once per connection
  if (!fe::parse(out, name, st.sql)) throw std::runtime_error("parse");
  auto read_one = [&] {
    load::InsertReplyTally tally(st);
    while (!tally.done()) {
      auto f = conn.recv();
      if (!f) throw std::runtime_error(f.error().to_string());
      if (!tally.add(*f)) throw std::runtime_error("bad reply");
    }
    if (tally.error()) throw std::runtime_error(tally.error()->to_string());
    counts += tally.counts(in_flight.front());
    in_flight.pop_front();
  };
  std::size_t begin = 0;
  for (std::size_t i = 0; i < rows.ends.size();) {
    batch.clear();
    for (std::size_t n = 0; n < batch_rows && i < rows.ends.size(); ++n, ++i) {
      batch.row_sink().append(rows.tuples, begin, rows.ends[i] - begin);
      begin = rows.ends[i];
      if (!batch.commit_row()) throw std::runtime_error("commit_row");
    }
    counts.superseded += batch.dedupe();
    if (!batch.encode(out, name)) throw std::runtime_error("encode");
    fe::sync(out);
    if (!conn.flush()) throw std::runtime_error("flush");
    in_flight.push_back(batch.rows());
    while (in_flight.size() > window) read_one();
  }
  while (!in_flight.empty()) read_one();
  return counts;
}

std::string copy_payload(const Rows& rows) {
  std::string data;
  protocol::copy_binary_header(data);
  data += rows.tuples;
  protocol::copy_binary_trailer(data);
  return data;
}

std::string column_list(const load::TableSchema& s) {
  std::string cols;
  for (const auto& c : s.columns) cols += (cols.empty() ? "" : ", ") + load::quote_identifier(c.name);
  return cols;
}

// The iterations of one benchmark: each resets the table to hold `keep_keys` old rows (not
// timed), then times `send`, which returns what went wrong or null. `items`: rows per iteration.
template <class Send>
void time_iterations(benchmark::State& state, std::size_t keep_keys, std::size_t items, Send&& send) {
  auto& s = Server::get();
  for (auto _ : state) {
    s.reset(keep_keys);
    const auto t0 = std::chrono::steady_clock::now();
    const char* error = send();
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (error) state.SkipWithError(error);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items));
}

void insert_case(benchmark::State& state, load::InsertShape shape) {
  auto& s = Server::get();
  const auto rows = s.encode(env_size("PGSTREAM_BENCH_ROWS", 100'000), "new");
  auto target = load::resolve_insert_target(s.conn, s.schema, load::CopyFormat::binary, load::InsertMode::insert, {});
  auto st = load::make_insert_statement(*target, rows.signature, shape);
  time_iterations(state, 0, rows.ends.size(), [&]() -> const char* {
    auto counts = run_batches(s.conn, *st, rows, static_cast<std::size_t>(state.range(0)), 4);
    return counts.inserted != rows.ends.size() ? "not every row was inserted" : nullptr;
  });
}

void BM_InsertUnnest(benchmark::State& state) { insert_case(state, load::InsertShape::unnest); }
void BM_InsertValues(benchmark::State& state) { insert_case(state, load::InsertShape::values); }

void BM_CopyBinary(benchmark::State& state) {
  auto& s = Server::get();
  const auto rows = s.encode(env_size("PGSTREAM_BENCH_ROWS", 100'000), "new");
  const auto data = copy_payload(rows);
  const std::string sql = "COPY " + std::string(kTable) + " (" + column_list(s.schema) + ") FROM STDIN (FORMAT binary)";
  time_iterations(state, 0, rows.ends.size(), [&]() -> const char* {
    auto n = s.conn.copy_in(sql, std::as_bytes(std::span(data)));
    return !n || *n != rows.ends.size() ? "copy failed" : nullptr;
  });
}

// Upserts: N rows (ids 0..N-1) into a table holding the even ids below N (N/2 of the keys).
void BM_UpsertUnnest(benchmark::State& state) {
  auto& s = Server::get();
  const std::size_t n = env_size("PGSTREAM_BENCH_UPSERT_ROWS", 1'000'000);
  const auto rows = s.encode(n, "new");
  auto target = load::resolve_insert_target(s.conn, s.schema, load::CopyFormat::binary, load::InsertMode::update, {});
  if (!target) throw std::runtime_error(target.error().to_string());
  auto st = load::make_insert_statement(*target, rows.signature, load::InsertShape::unnest);
  time_iterations(state, n / 2, n, [&]() -> const char* {
    auto counts = run_batches(s.conn, *st, rows, static_cast<std::size_t>(state.range(0)), 4);
    return counts.inserted != n - n / 2 || counts.updated != n / 2 ? "wrong counts" : nullptr;
  });
}

// The same statement without RETURNING and the counting CTE: what counting inserted vs updated costs.
void BM_UpsertUnnestUncounted(benchmark::State& state) {
  auto& s = Server::get();
  const std::size_t n = env_size("PGSTREAM_BENCH_UPSERT_ROWS", 1'000'000);
  const auto rows = s.encode(n, "new");
  auto target = load::resolve_insert_target(s.conn, s.schema, load::CopyFormat::binary, load::InsertMode::update, {});
  if (!target) throw std::runtime_error(target.error().to_string());
  auto st = load::make_insert_statement(*target, rows.signature, load::InsertShape::unnest);
  const auto from = st->sql.find("INSERT"), to = st->sql.find(" RETURNING");
  st->sql = st->sql.substr(from, to - from);
  time_iterations(state, n / 2, n, [&]() -> const char* {
    (void)run_batches(s.conn, *st, rows, static_cast<std::size_t>(state.range(0)), 4);
    return nullptr;
  });
}

void BM_UpsertTempCopy(benchmark::State& state) {
  auto& s = Server::get();
  const std::size_t n = env_size("PGSTREAM_BENCH_UPSERT_ROWS", 1'000'000);
  const auto rows = s.encode(n, "new");
  const auto data = copy_payload(rows);
  std::string set;
  for (const auto& c : s.schema.columns)
    if (c.name != "id") set += (set.empty() ? "" : ", ") + c.name + " = EXCLUDED." + c.name;
  time_iterations(state, n / 2, n, [&]() -> const char* {
    must(s.conn.simple_query("BEGIN; CREATE TEMP TABLE stage (LIKE " + std::string(kTable) + ") ON COMMIT DROP"), "stage");
    auto copied = s.conn.copy_in("COPY stage FROM STDIN (FORMAT binary)", std::as_bytes(std::span(data)));
    if (!copied) throw std::runtime_error(copied.error().to_string());
    must(s.conn.simple_query("INSERT INTO " + std::string(kTable) + " SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET " +
                             set + "; COMMIT"),
         "merge");
    return nullptr;
  });
}

BENCHMARK(BM_InsertUnnest)->Arg(250)->Arg(1000)->Arg(10000)->Arg(50000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_InsertValues)->Arg(1000)->Arg(10000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_CopyBinary)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_UpsertUnnest)->Arg(1000)->Arg(10000)->Arg(50000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_UpsertUnnestUncounted)->Arg(50000)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_UpsertTempCopy)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
