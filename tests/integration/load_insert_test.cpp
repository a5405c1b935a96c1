// `pgstream load --mode insert` and `--on-conflict` against the real server: rows and rejects as
// in copy mode in both statement forms, upserts that equal the expected merge (duplicates inside
// a batch and across batches, last line wins), do-nothing keeping what is there, a named conflict
// key, array columns, rows too large for one message, a statement the server refuses, and
// backends terminated during an upsert.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "pgstream/load/loader.hpp"
#include "support/load_support.hpp"

namespace pgstream::testing {
namespace {

void run_sql(client::PgConnection& conn, const std::string& sql) {
  auto r = conn.simple_query(sql);
  ASSERT_TRUE(r) << r.error().to_string();
}

std::string one_value(client::PgConnection& conn, const std::string& sql) {
  auto r = conn.simple_query(sql);
  EXPECT_TRUE(r) << r.error().to_string();
  if (!r || r->rows.empty() || !r->rows[0][0]) return "<none>";
  return *r->rows[0][0];
}

// id -> v of the table.
std::map<long, std::string> table_rows(client::PgConnection& conn, const std::string& table) {
  std::map<long, std::string> out;
  auto r = conn.simple_query("SELECT id, v FROM " + table);
  EXPECT_TRUE(r) << r.error().to_string();
  if (!r) return out;
  for (const auto& row : r->rows) out[std::stol(*row[0])] = row[1] ? *row[1] : "<null>";
  return out;
}

load::LoadOptions insert_options(const TempDir& dir, const std::string& input, const std::string& table) {
  load::LoadOptions o;
  o.files = {input};
  o.table = table;
  o.insert = true;
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  return o;
}

class LoadInsertForms : public ::testing::TestWithParam<load::InsertShape> {};

TEST_P(LoadInsertForms, EveryRowIsInsertedOrRejectedWithItsReason) {
  PGSTREAM_REQUIRE_SERVER();
  const bool values = GetParam() == load::InsertShape::values;
  const std::string schema = values ? "ins_forms_values" : "ins_forms_unnest";
  auto conn = admin();
  run_sql(conn, "DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema + "; CREATE TABLE " + schema +
                    ".t(id int8 PRIMARY KEY, v varchar(6), n int4 DEFAULT 7 CHECK (n < 100))");
  TempDir dir;
  std::string text;
  std::map<long, std::string> expected;
  std::map<std::uint64_t, std::string> expected_rejects;  // line -> SQLSTATE
  constexpr int n = 30'000;
  for (int i = 1; i <= n; ++i) {
    const auto line = static_cast<std::uint64_t>(i);
    if (i % 4999 == 0) {
      text += "{\"id\":" + std::to_string(i) + ",\"v\":\"too long\"}\n";
      expected_rejects[line] = "22001";
    } else if (i % 7001 == 0) {
      text += "{\"id\":1,\"v\":\"dup\"}\n";  // line 1 holds id 1 and comes first (one connection)
      expected_rejects[line] = "23505";
    } else if (i % 9001 == 0) {
      text += "{\"id\":" + std::to_string(i) + ",\"v\":\"big\",\"n\":500}\n";
      expected_rejects[line] = "23514";
    } else if (i % 11001 == 0) {
      text += "{\"id\":\"not a number\"}\n";
      expected_rejects[line] = "";  // refused by the encoder: no SQLSTATE
    } else {
      text += "{\"id\":" + std::to_string(i) + ",\"v\":\"r" + std::to_string(i % 10000) + "\"}\n";
      expected[i] = "r" + std::to_string(i % 10000);
    }
  }
  auto o = insert_options(dir, write_file(dir.path / "in.jsonl", text), schema + ".t");
  o.insert_shape = GetParam();
  o.connections = 1;
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->mode, "insert");
  EXPECT_EQ(report->rows_rejected, expected_rejects.size());
  EXPECT_EQ(report->rows_loaded, expected.size());
  EXPECT_EQ(report->rows_inserted, expected.size());
  EXPECT_EQ(report->rows_loaded + report->rows_rejected, static_cast<std::uint64_t>(n));
  EXPECT_EQ(table_rows(conn, schema + ".t"), expected);
  EXPECT_EQ(one_value(conn, "SELECT count(*) FROM " + schema + ".t WHERE n <> 7"), "0");  // DEFAULT applied
  const std::string rejects = read_file(dir.path / "rejects.jsonl");
  for (const auto& [line, sqlstate] : expected_rejects) {
    const std::string rec = reject_of(rejects, line);
    ASSERT_FALSE(rec.empty()) << "line " << line << " is not in the rejects file";
    if (sqlstate.empty()) EXPECT_NE(rec.find("\"column\":\"id\""), std::string::npos) << rec;  // the encoder's
    else EXPECT_NE(rec.find("\"sqlstate\":\"" + sqlstate + "\""), std::string::npos) << rec;
  }
}

INSTANTIATE_TEST_SUITE_P(Forms, LoadInsertForms, ::testing::Values(load::InsertShape::unnest, load::InsertShape::values),
                         [](const auto& p) { return p.param == load::InsertShape::values ? "Values" : "Unnest"; });

// Keys 1..n in the file, keys 1..n/2 already in the table; every third key comes back later
// (updated again: the last line wins), some of them on the next line (inside one batch).
TEST(LoadInsert, UpsertIntoHalfFullTableEqualsTheExpectedMerge) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  constexpr int n = 40'000;
  run_sql(conn, "DROP SCHEMA IF EXISTS ins_merge CASCADE; CREATE SCHEMA ins_merge; "
                "CREATE TABLE ins_merge.t(id int8 PRIMARY KEY, v text, extra text DEFAULT 'kept'); "
                "INSERT INTO ins_merge.t SELECT g, 'old' || g, 'old extra' FROM generate_series(1, " +
                    std::to_string(n / 2) + ") g");
  TempDir dir;
  std::string text;
  std::map<long, std::string> expected;
  for (int i = 1; i <= n / 2; ++i) expected[i] = "old" + std::to_string(i);
  std::uint64_t lines = 0;
  auto put = [&](int id, const std::string& v) {
    text += "{\"id\":" + std::to_string(id) + ",\"v\":\"" + v + "\"}\n";
    expected[id] = v;
    ++lines;
  };
  for (int i = 1; i <= n; ++i) {
    put(i, "first" + std::to_string(i));
    if (i % 6 == 0) put(i, "next-line" + std::to_string(i));  // same batch: deduplicated
  }
  for (int i = 3; i <= n; i += 3) put(i, "again" + std::to_string(i));  // later batches
  auto o = insert_options(dir, write_file(dir.path / "in.jsonl", text), "ins_merge.t");
  o.on_conflict = load::InsertMode::update;
  o.connections = 3;
  o.batch_rows = 2'500;
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->mode, "insert, on conflict update");
  EXPECT_EQ(report->rows_rejected, 0u);
  EXPECT_EQ(report->rows_inserted, static_cast<std::uint64_t>(n - n / 2));
  EXPECT_GT(report->rows_superseded, 0u);
  EXPECT_EQ(report->rows_inserted + report->rows_updated + report->rows_superseded, lines);
  EXPECT_EQ(report->rows_skipped, 0u);
  EXPECT_EQ(table_rows(conn, "ins_merge.t"), expected);
  // Columns absent from the lines keep their value on update and take the DEFAULT on insert.
  EXPECT_EQ(one_value(conn, "SELECT count(*) FROM ins_merge.t WHERE extra = 'old extra'"), std::to_string(n / 2));
  EXPECT_EQ(one_value(conn, "SELECT count(*) FROM ins_merge.t WHERE extra = 'kept'"), std::to_string(n - n / 2));
}

// A key's lines with different sets of columns wait in different open batches: the batch holding
// the earlier line must reach the server first, or the older values would win.
TEST(LoadInsert, LinesOfOneKeyWithDifferentColumnsKeepTheirOrder) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  run_sql(conn, "DROP SCHEMA IF EXISTS ins_order CASCADE; CREATE SCHEMA ins_order; "
                "CREATE TABLE ins_order.t(id int8 PRIMARY KEY, name text, email text)");
  TempDir dir;
  // Line 1 is the only one with an email: its batch would stay open to the end of the input.
  std::string text = "{\"id\":1,\"name\":\"first\",\"email\":\"x@y\"}\n";
  for (int i = 2; i <= 6000; ++i) {
    text += "{\"id\":" + std::to_string(i) + ",\"name\":\"n" + std::to_string(i) + "\"}\n";
    if (i == 2500) text += "{\"id\":1,\"name\":\"second\"}\n";
  }
  for (const auto mode : {load::InsertMode::update, load::InsertMode::do_nothing}) {
    SCOPED_TRACE(mode == load::InsertMode::update ? "update" : "do nothing");
    run_sql(conn, "TRUNCATE ins_order.t");
    auto o = insert_options(dir, write_file(dir.path / "in.jsonl", text), "ins_order.t");
    o.on_conflict = mode;
    o.connections = 2;
    o.batch_rows = 500;
    auto report = load::run_load(admin_builder(), o);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(one_value(conn, "SELECT name || ' ' || email FROM ins_order.t WHERE id = 1"),
              mode == load::InsertMode::update ? "second x@y" : "first x@y");
  }
}

// Equal keys in different spellings (numeric 1.0 and 1.00 are one key with other bytes) must
// still reach the server in input order: the later line's value wins.
TEST(LoadInsert, EqualKeysSpelledDifferentlyKeepTheirOrder) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  run_sql(conn, "DROP SCHEMA IF EXISTS ins_spell CASCADE; CREATE SCHEMA ins_spell; "
                "CREATE TABLE ins_spell.t(k numeric PRIMARY KEY, v text)");
  TempDir dir;
  std::string text;
  for (int i = 1; i <= 3000; ++i) {
    text += "{\"k\":" + std::to_string(i) + ".0,\"v\":\"first\"}\n";
    text += "{\"k\":" + std::to_string(i) + ".00000,\"v\":\"middle\"}\n";  // a zero digit group
    text += "{\"k\":" + std::to_string(i) + "e0,\"v\":\"last\"}\n";
  }
  auto o = insert_options(dir, write_file(dir.path / "in.jsonl", text), "ins_spell.t");
  o.on_conflict = load::InsertMode::update;
  o.connections = 3;
  o.batch_rows = 200;
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->rows_rejected, 0u);
  EXPECT_EQ(one_value(conn, "SELECT count(*) FILTER (WHERE v = 'last') || '/' || count(*) FROM ins_spell.t"),
            "3000/3000");
}

TEST(LoadInsert, DoNothingKeepsExistingRowsAndTheFirstLineOfAKey) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  run_sql(conn, "DROP SCHEMA IF EXISTS ins_nothing CASCADE; CREATE SCHEMA ins_nothing; "
                "CREATE TABLE ins_nothing.t(id int8 PRIMARY KEY, v text); "
                "INSERT INTO ins_nothing.t SELECT g, 'old' || g FROM generate_series(1, 1000) g");
  TempDir dir;
  std::string text;
  std::map<long, std::string> expected;
  for (int i = 1; i <= 1000; ++i) expected[i] = "old" + std::to_string(i);
  for (int i = 1; i <= 3000; ++i) {
    text += "{\"id\":" + std::to_string(i) + ",\"v\":\"first" + std::to_string(i) + "\"}\n";
    if (i > 1000) expected[i] = "first" + std::to_string(i);
  }
  for (int i = 1; i <= 3000; i += 2) text += "{\"id\":" + std::to_string(i) + ",\"v\":\"second\"}\n";
  auto o = insert_options(dir, write_file(dir.path / "in.jsonl", text), "ins_nothing.t");
  o.on_conflict = load::InsertMode::do_nothing;
  o.connections = 2;
  o.batch_rows = 700;
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->rows_inserted, 2000u);
  EXPECT_EQ(report->rows_skipped, 1000u + 1500u);
  EXPECT_EQ(report->rows_updated, 0u);
  EXPECT_EQ(table_rows(conn, "ins_nothing.t"), expected);
}

TEST(LoadInsert, ConflictKeyNamesAUniqueIndex) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  run_sql(conn, "DROP SCHEMA IF EXISTS ins_key CASCADE; CREATE SCHEMA ins_key; "
                "CREATE TABLE ins_key.t(id serial PRIMARY KEY, email text NOT NULL UNIQUE, v text); "
                "INSERT INTO ins_key.t(email, v) VALUES ('a@x', 'old a'), ('b@x', 'old b')");
  TempDir dir;
  const auto input = write_file(dir.path / "in.jsonl",
                                "{\"email\":\"b@x\",\"v\":\"new b\"}\n{\"email\":\"c@x\",\"v\":\"new c\"}\n"
                                "{\"email\":\"c@x\",\"v\":\"newer c\"}\n");
  auto o = insert_options(dir, input, "ins_key.t");
  o.on_conflict = load::InsertMode::update;
  o.conflict_key = {"email"};
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->rows_inserted, 1u);
  EXPECT_EQ(report->rows_updated, 1u);
  EXPECT_EQ(report->rows_superseded, 1u);
  EXPECT_EQ(one_value(conn, "SELECT string_agg(email || '=' || v, ',' ORDER BY email) FROM ins_key.t"),
            "a@x=old a,b@x=new b,c@x=newer c");
  // A key no unique index has: refused before any row is sent.
  o.conflict_key = {"v"};
  auto refused = load::run_load(admin_builder(), o);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("no unique index"), std::string::npos) << refused.error().to_string();
}

// Array columns: the unnest form carries them as text (the default), the values form as binary.
TEST(LoadInsert, ArrayColumnsLoadInBothForms) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  run_sql(conn, "DROP SCHEMA IF EXISTS ins_array CASCADE; CREATE SCHEMA ins_array; "
                "CREATE TABLE ins_array.t(id int PRIMARY KEY, tags text[], m int4[])");
  TempDir dir;
  const auto input = write_file(dir.path / "in.jsonl",
                                "{\"id\":1,\"tags\":[\"a\",\"b c\",null,\"{x}\",\"q\\\"\\\\\"],\"m\":[1,2]}\n"
                                "{\"id\":2,\"tags\":[],\"m\":null}\n{\"id\":3,\"tags\":[\"x\"],\"m\":[\"no\"]}\n");
  for (const auto shape : {load::InsertShape::automatic, load::InsertShape::values}) {
    SCOPED_TRACE(shape == load::InsertShape::values ? "values" : "automatic");
    run_sql(conn, "TRUNCATE ins_array.t");
    auto o = insert_options(dir, input, "ins_array.t");
    o.insert_shape = shape;
    auto report = load::run_load(admin_builder(), o);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(report->copy_format, shape == load::InsertShape::values ? "binary" : "text");
    EXPECT_EQ(report->rows_inserted, 2u);
    EXPECT_EQ(report->rows_rejected, 1u);
    EXPECT_EQ(one_value(conn, "SELECT string_agg(id || ':' || tags::text || ':' || coalesce(m::text, 'NULL'), ' ' ORDER BY id) "
                              "FROM ins_array.t"),
              "1:{a,\"b c\",NULL,\"{x}\",\"q\\\"\\\\\"}:{1,2} 2:{}:NULL");
  }
}

TEST(LoadInsert, RowLargerThanOneMessageIsRejectedWithWhatToDo) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  run_sql(conn, "DROP SCHEMA IF EXISTS ins_big CASCADE; CREATE SCHEMA ins_big; CREATE TABLE ins_big.t(id int, v text)");
  TempDir dir;
  const auto input = write_file(dir.path / "in.jsonl", "{\"id\":1,\"v\":\"small\"}\n{\"id\":2,\"v\":\"" +
                                                           std::string(3u << 20, 'x') + "\"}\n{\"id\":3,\"v\":\"small\"}\n");
  auto o = insert_options(dir, input, "ins_big.t");
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->rows_loaded, 2u);
  EXPECT_EQ(report->rows_rejected, 1u);
  const std::string rec = reject_of(read_file(dir.path / "rejects.jsonl"), 2);
  EXPECT_NE(rec.find("--mode copy"), std::string::npos) << rec.substr(0, 300);
  EXPECT_EQ(one_value(conn, "SELECT string_agg(id::text, ',' ORDER BY id) FROM ins_big.t"), "1,3");
}

// An INSERT the server refuses as a statement (not because of a row): one clear error, not every
// line rejected one by one.
TEST(LoadInsert, RefusedStatementStopsTheLoadWithTheServersReason) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  run_sql(conn, "DROP SCHEMA IF EXISTS ins_refused CASCADE; CREATE SCHEMA ins_refused; "
                "CREATE TABLE ins_refused.t(id int GENERATED ALWAYS AS IDENTITY, v text)");
  TempDir dir;
  const auto input = write_file(dir.path / "in.jsonl", "{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n");
  auto o = insert_options(dir, input, "ins_refused.t");
  auto report = load::run_load(admin_builder(), o);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().category(), ErrorCategory::config);
  EXPECT_NE(report.error().message().find("428C9"), std::string::npos) << report.error().to_string();
  EXPECT_FALSE(fs::exists(dir.path / "rejects.jsonl"));
  EXPECT_EQ(one_value(conn, "SELECT count(*) FROM ins_refused.t"), "0");
}

TEST(LoadInsert, UpsertWithBackendsTerminatedEvery200msEqualsTheMerge) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  constexpr int n = 200'000;
  run_sql(conn, "DROP SCHEMA IF EXISTS ins_term CASCADE; CREATE SCHEMA ins_term; "
                "CREATE TABLE ins_term.t(id int8 PRIMARY KEY, v text); "
                "INSERT INTO ins_term.t SELECT g, 'old' FROM generate_series(1, " + std::to_string(n / 2) + ") g");
  TempDir dir;
  std::string text;
  for (int i = 1; i <= n; ++i) text += "{\"id\":" + std::to_string(i) + ",\"v\":\"new" + std::to_string(i) + "\"}\n";
  auto o = insert_options(dir, write_file(dir.path / "in.jsonl", text), "ins_term.t");
  o.on_conflict = load::InsertMode::update;
  o.connections = 3;
  o.batch_rows = 2'000;
  o.retry_initial_backoff = std::chrono::milliseconds(20);
  o.retry_max_backoff = std::chrono::milliseconds(200);
  o.state_required = true;
  auto builder = admin_builder();
  builder.application_name("ins-term");
  BackendKiller killer("ins-term", 3, std::chrono::milliseconds(200));
  auto report = load::run_load(builder, o);
  killer.stop();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_GT(killer.terminated(), 0);
  EXPECT_EQ(report->rows_rejected, 0u);
  EXPECT_EQ(report->rows_loaded, static_cast<std::uint64_t>(n));
  EXPECT_EQ(report->rows_inserted + report->rows_updated + report->rows_uncounted, static_cast<std::uint64_t>(n));
  EXPECT_EQ(one_value(conn, "SELECT count(*) FILTER (WHERE v = 'new' || id) || '/' || count(*) FROM ins_term.t"),
            std::to_string(n) + "/" + std::to_string(n));
}

}  // namespace
}  // namespace pgstream::testing
