// Insert mode's statements and batches against the real server: rows encoded by the RowEncoder
// arrive as they would through COPY, upserts merge (last row of a key wins inside a batch), and
// the inserted / updated / skipped / superseded counts match what the table shows.
#include "pgstream/load/insert_batch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgstream/load/conflict_key.hpp"
#include "pgstream/load/insert_statement.hpp"
#include "pgstream/load/row_encoder.hpp"
#include "pgstream/load/table_schema.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/protocol/types/oid.hpp"
#include "support/load_support.hpp"

namespace pgstream::testing {
namespace {

using load::InsertCounts;
using load::InsertMode;
using load::InsertShape;

void exec(client::PgConnection& conn, const std::string& sql) {
  auto r = conn.simple_query(sql);
  ASSERT_TRUE(r) << sql << ": " << r.error().to_string();
}

std::vector<std::string> column_of(client::PgConnection& conn, const std::string& sql) {
  auto r = conn.simple_query(sql);
  EXPECT_TRUE(r) << sql << ": " << r.error().to_string();
  std::vector<std::string> out;
  if (r)
    for (const auto& row : r->rows) out.push_back(row[0].value_or("NULL"));
  return out;
}

// A table, its encoder, and the statement for the columns every line of a test has.
struct Loader {
  load::TableSchema schema;
  load::CopyFormat format = load::CopyFormat::binary;
  load::InsertTarget target;
  std::optional<load::RowEncoder> encoder;
  std::vector<std::uint64_t> signature;

  Loader(client::PgConnection& conn, const std::string& table, InsertMode mode,
         const std::vector<std::string>& key = {}) {
    auto s = load::read_table_schema(conn, table);
    EXPECT_TRUE(s) << s.error().to_string();
    if (!s) return;
    schema = std::move(*s);
    format = load::RowEncoder::binary_supported(schema) ? load::CopyFormat::binary : load::CopyFormat::text;
    auto t = load::resolve_insert_target(conn, schema, format, mode, key);
    EXPECT_TRUE(t) << t.error().to_string();
    if (t) target = std::move(*t);
    encoder.emplace(schema, load::EncoderOptions{format});
  }

  void learn_signature(const std::string& line) {
    std::string padded = line;
    padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
    auto rej = encoder->encode(std::string_view(padded.data(), line.size()), padded.size());
    ASSERT_FALSE(rej) << line << ": " << rej->reason;
    signature = encoder->signature();
  }

  // Encodes `lines` (all with the same keys) into `batch`, the statement's signature checked.
  void fill(load::InsertBatch& batch, const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      std::string padded = line;
      padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
      auto rej = encoder->encode(std::string_view(padded.data(), line.size()), padded.size());
      ASSERT_FALSE(rej) << line << ": " << rej->column << ": " << rej->reason;
      if (signature.empty()) signature = encoder->signature();
      ASSERT_EQ(signature, encoder->signature()) << line;
      encoder->append_row(batch.row_sink());
      auto r = batch.commit_row();
      ASSERT_TRUE(r) << r.error().to_string();
    }
  }

  // The statement for the signature learnt last.
  load::InsertStatement statement_for(InsertShape shape = InsertShape::automatic) {
    auto st = load::make_insert_statement(target, signature, shape);
    EXPECT_TRUE(st) << st.error().to_string();
    return st ? *st : load::InsertStatement{};
  }
};

// Parse (when asked), the batch, Sync; the tally of its replies.
load::InsertReplyTally send(client::PgConnection& conn, const load::InsertStatement& st, const load::InsertBatch& batch,
                            const std::string& name, bool parse = true) {
  namespace fe = protocol::frontend;
  std::string& out = conn.send_buffer();
  if (parse) {
    EXPECT_TRUE(fe::parse(out, name, st.sql));
  }
  auto r = batch.encode(out, name);
  EXPECT_TRUE(r) << r.error().to_string();
  fe::sync(out);
  EXPECT_TRUE(conn.flush());
  load::InsertReplyTally tally(st);
  while (!tally.done()) {
    auto f = conn.recv();
    EXPECT_TRUE(f) << f.error().to_string();
    if (!f) break;
    EXPECT_TRUE(tally.add(*f));
  }
  return tally;
}

TEST(InsertBatch, UnnestFormLoadsEveryTypeAsCopyWould) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  exec(conn,
       "DROP SCHEMA IF EXISTS ib_types CASCADE; CREATE SCHEMA ib_types;"
       "CREATE DOMAIN ib_types.posint AS int4 CHECK (VALUE > 0);"
       "CREATE TABLE ib_types.t(id int8 PRIMARY KEY, name text, score float8, ok bool, at timestamptz, "
       "doc jsonb, amount numeric(12,2), uid uuid, n ib_types.posint, code varchar(5), ch char(3), d date)");
  Loader l(conn, "ib_types.t", InsertMode::insert);
  ASSERT_EQ(l.format, load::CopyFormat::binary);
  std::vector<std::string> lines = {
      R"({"id":1,"name":"a\tb\\c","score":1.5,"ok":true,"at":"2024-02-29T12:00:00Z","doc":{"k":[1,2]},"amount":12.345,"uid":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","n":7,"code":"abc","ch":"x","d":"2024-01-02"})",
      R"({"id":2,"name":null,"score":null,"ok":null,"at":null,"doc":null,"amount":null,"uid":null,"n":null,"code":null,"ch":null,"d":null})",
      R"({"id":3,"name":"Zoë 🎉","score":-0.25,"ok":false,"at":"1999-12-31T23:59:59.5+02:00","doc":"s","amount":-7,"uid":"00000000-0000-0000-0000-000000000000","n":1,"code":"","ch":"abc","d":"1970-01-01"})",
  };
  l.learn_signature(lines[0]);
  const auto st = l.statement_for();
  EXPECT_EQ(st.shape, InsertShape::unnest);
  EXPECT_NE(st.sql.find("unnest("), std::string::npos) << st.sql;
  EXPECT_NE(st.sql.find("$9::pg_catalog.int4[]"), std::string::npos) << "a domain goes as its base type: " << st.sql;
  EXPECT_NE(st.sql.find("$10::pg_catalog.\"varchar\"[]"), std::string::npos) << "no typmod in the cast: " << st.sql;
  EXPECT_NE(st.sql.find("$11::pg_catalog.bpchar[]"), std::string::npos) << st.sql;
  load::InsertBatch batch(st);
  l.fill(batch, lines);
  auto tally = send(conn, st, batch, "ib_types_1");
  ASSERT_FALSE(tally.error()) << tally.error()->to_string();
  EXPECT_EQ(tally.counts(batch.rows()), (InsertCounts{3, 0, 0, 0}));

  auto rows = conn.simple_query("SELECT id, name, score, ok, at AT TIME ZONE 'UTC', doc::text, amount, uid, n, code, ch, d "
                                "FROM ib_types.t ORDER BY id");
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->rows.size(), 3u);
  using R = std::vector<std::optional<std::string>>;
  EXPECT_EQ(rows->rows[0], (R{"1", "a\tb\\c", "1.5", "t", "2024-02-29 12:00:00", "{\"k\": [1, 2]}", "12.35",
                              "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "7", "abc", "x  ", "2024-01-02"}));
  EXPECT_EQ(rows->rows[1], (R{"2", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                              std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
  EXPECT_EQ(rows->rows[2], (R{"3", "Zoë 🎉", "-0.25", "f", "1999-12-31 21:59:59.5", "\"s\"", "-7.00",
                              "00000000-0000-0000-0000-000000000000", "1", "", "abc", "1970-01-01"}));
}

TEST(InsertBatch, ColumnChecksApplyAsInCopy) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  exec(conn,
       "DROP SCHEMA IF EXISTS ib_checks CASCADE; CREATE SCHEMA ib_checks;"
       "CREATE DOMAIN ib_checks.posint AS int4 CHECK (VALUE > 0);"
       "CREATE TABLE ib_checks.t(id int8, code varchar(3), n ib_checks.posint)");
  for (const auto& [line, sqlstate] : std::vector<std::pair<std::string, std::string>>{
           {R"({"id":1,"code":"abcd","n":1})", "22001"},  // too long: refused, not truncated
           {R"({"id":1,"code":"abc","n":0})", "23514"},   // the domain's CHECK
       }) {
    for (auto shape : {InsertShape::unnest, InsertShape::values}) {
      Loader l(conn, "ib_checks.t", InsertMode::insert);
      l.learn_signature(line);
      const auto st = l.statement_for(shape);
      load::InsertBatch batch(st);
      l.fill(batch, {R"({"id":9,"code":"ok","n":5})", line});
      auto tally = send(conn, st, batch, "");
      ASSERT_TRUE(tally.error()) << line;
      EXPECT_EQ(tally.error()->sqlstate(), sqlstate) << line << ": " << tally.error()->to_string();
      if (shape == InsertShape::values) {
        EXPECT_EQ(tally.failed_row(), 1u);  // the second row's Execute failed
      } else {
        EXPECT_FALSE(tally.failed_row());
      }
    }
  }
  EXPECT_EQ(column_of(conn, "SELECT count(*) FROM ib_checks.t"), std::vector<std::string>{"0"});
}

TEST(InsertBatch, ArrayColumnsGoOneBindPerRow) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  exec(conn,
       "DROP SCHEMA IF EXISTS ib_arrays CASCADE; CREATE SCHEMA ib_arrays;"
       "CREATE TABLE ib_arrays.t(id int4 PRIMARY KEY, tags text[], nums int8[])");
  Loader l(conn, "ib_arrays.t", InsertMode::update);
  const std::vector<std::string> lines = {
      R"({"id":1,"tags":["x","y z",null],"nums":[1,2,3]})",
      R"({"id":2,"tags":[],"nums":null})",
      R"({"id":1,"tags":["again"],"nums":[4]})",
  };
  l.learn_signature(lines[0]);
  EXPECT_FALSE(load::make_insert_statement(l.target, l.signature, InsertShape::unnest))
      << "unnest would flatten the arrays";
  const auto st = l.statement_for();
  EXPECT_EQ(st.shape, InsertShape::values);
  load::InsertBatch batch(st);
  l.fill(batch, lines);
  EXPECT_EQ(batch.dedupe(), 1u);
  auto tally = send(conn, st, batch, "ib_arrays_1");
  ASSERT_FALSE(tally.error()) << tally.error()->to_string();
  EXPECT_EQ(tally.counts(batch.rows()), (InsertCounts{2, 0, 0, 0}));
  EXPECT_EQ(column_of(conn, "SELECT id || ' ' || tags::text || ' ' || coalesce(nums::text, 'NULL') FROM ib_arrays.t ORDER BY id"),
            (std::vector<std::string>{"1 {again} {4}", "2 {} NULL"}));
}

TEST(InsertBatch, TextFormatTablesCastEachElement) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  exec(conn,
       "DROP SCHEMA IF EXISTS ib_text CASCADE; CREATE SCHEMA ib_text;"
       "CREATE TYPE ib_text.mood AS ENUM ('sad', 'ok', 'happy');"
       "CREATE TABLE ib_text.t(id int4 PRIMARY KEY, m ib_text.mood, note text, code varchar(3))");
  for (auto shape : {InsertShape::unnest, InsertShape::values}) {
    exec(conn, "TRUNCATE ib_text.t; INSERT INTO ib_text.t VALUES (1, 'sad', 'old', 'old')");
    Loader l(conn, "ib_text.t", InsertMode::update);
    ASSERT_EQ(l.format, load::CopyFormat::text) << "an enum has no binary codec in the encoder";
    const std::vector<std::string> lines = {
        R"({"id":1,"m":"happy","note":"tab\there\nnew \\ line","code":"abc"})",
        R"({"id":2,"m":null,"note":"\\N","code":null})",
    };
    l.learn_signature(lines[0]);
    const auto st = l.statement_for(shape);
    load::InsertBatch batch(st);
    l.fill(batch, lines);
    auto tally = send(conn, st, batch, "");
    ASSERT_FALSE(tally.error()) << tally.error()->to_string();
    EXPECT_EQ(tally.counts(batch.rows()), (InsertCounts{1, 1, 0, 0}));
    auto rows = conn.simple_query("SELECT id, m, note, code FROM ib_text.t ORDER BY id");
    ASSERT_TRUE(rows);
    using R = std::vector<std::optional<std::string>>;
    ASSERT_EQ(rows->rows.size(), 2u);
    EXPECT_EQ(rows->rows[0], (R{"1", "happy", "tab\there\nnew \\ line", "abc"}));
    EXPECT_EQ(rows->rows[1], (R{"2", std::nullopt, "\\N", std::nullopt})) << "the string \\N is not NULL";
  }
}

// 10 rows hold keys 1..10; the batch brings keys 6..15, keys 7 and 12 twice.
std::vector<std::string> upsert_lines() {
  std::vector<std::string> lines;
  for (int k = 6; k <= 15; ++k) {
    if (k == 7) lines.push_back(R"({"k":7,"v":"first"})");
    if (k == 12) lines.push_back(R"({"k":12,"v":"first"})");
    lines.push_back("{\"k\":" + std::to_string(k) + ",\"v\":\"" + (k == 7 || k == 12 ? "last" : "new") + "\"}");
  }
  return lines;
}

class InsertBatchShapes : public ::testing::TestWithParam<InsertShape> {};

TEST_P(InsertBatchShapes, UpsertMergesAndTheLastRowOfAKeyWins) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  exec(conn,
       "DROP SCHEMA IF EXISTS ib_upsert CASCADE; CREATE SCHEMA ib_upsert;"
       "CREATE TABLE ib_upsert.t(k int8 PRIMARY KEY, v text NOT NULL);"
       "INSERT INTO ib_upsert.t SELECT g, 'old' FROM generate_series(1, 10) g");
  Loader l(conn, "ib_upsert.t", InsertMode::update);
  const auto lines = upsert_lines();
  l.learn_signature(lines[0]);
  const auto st = l.statement_for(GetParam());
  load::InsertBatch batch(st);
  l.fill(batch, lines);
  ASSERT_EQ(batch.rows(), 12u);
  InsertCounts counts;
  counts.superseded = batch.dedupe();
  EXPECT_EQ(batch.rows(), 10u);
  EXPECT_EQ(batch.origin(1), 2u) << "the kept key 7 is the third line";
  auto tally = send(conn, st, batch, "ib_upsert_1");
  ASSERT_FALSE(tally.error()) << tally.error()->to_string();
  counts += tally.counts(batch.rows());
  EXPECT_EQ(counts, (InsertCounts{5, 5, 0, 2}));
  std::vector<std::string> expected;
  for (int k = 1; k <= 15; ++k)
    expected.push_back(std::to_string(k) + "=" + (k <= 5 ? "old" : k == 7 || k == 12 ? "last" : "new"));
  EXPECT_EQ(column_of(conn, "SELECT k || '=' || v FROM ib_upsert.t ORDER BY k"), expected);
}

TEST_P(InsertBatchShapes, DoNothingSkipsExistingKeysAndLaterDuplicates) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  exec(conn,
       "DROP SCHEMA IF EXISTS ib_nothing CASCADE; CREATE SCHEMA ib_nothing;"
       "CREATE TABLE ib_nothing.t(k int8 PRIMARY KEY, v text NOT NULL);"
       "INSERT INTO ib_nothing.t SELECT g, 'old' FROM generate_series(1, 10) g");
  Loader l(conn, "ib_nothing.t", InsertMode::do_nothing);
  const auto lines = upsert_lines();
  l.learn_signature(lines[0]);
  const auto st = l.statement_for(GetParam());
  EXPECT_EQ(st.mode, InsertMode::do_nothing);
  load::InsertBatch batch(st);
  l.fill(batch, lines);
  EXPECT_EQ(batch.dedupe(), 0u) << "DO NOTHING keeps the first row of a key; the server skips the rest";
  auto tally = send(conn, st, batch, "ib_nothing_1");
  ASSERT_FALSE(tally.error()) << tally.error()->to_string();
  EXPECT_EQ(tally.counts(batch.rows()), (InsertCounts{5, 0, 7, 0}));
  std::vector<std::string> expected;
  for (int k = 1; k <= 15; ++k)
    expected.push_back(std::to_string(k) + "=" + (k <= 10 ? "old" : k == 12 ? "first" : "new"));
  EXPECT_EQ(column_of(conn, "SELECT k || '=' || v FROM ib_nothing.t ORDER BY k"), expected);
}

INSTANTIATE_TEST_SUITE_P(Shapes, InsertBatchShapes, ::testing::Values(InsertShape::unnest, InsertShape::values),
                         [](const auto& p) { return p.param == InsertShape::unnest ? "Unnest" : "Values"; });

TEST(InsertBatch, WithoutDedupeTheServerRefusesAKeyTwice) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  exec(conn,
       "DROP SCHEMA IF EXISTS ib_twice CASCADE; CREATE SCHEMA ib_twice;"
       "CREATE TABLE ib_twice.t(k int8 PRIMARY KEY, v text NOT NULL)");
  Loader l(conn, "ib_twice.t", InsertMode::update);
  l.learn_signature(R"({"k":1,"v":"a"})");
  const auto st = l.statement_for(InsertShape::unnest);
  load::InsertBatch batch(st);
  l.fill(batch, {R"({"k":1,"v":"a"})", R"({"k":1,"v":"b"})"});
  auto tally = send(conn, st, batch, "");
  ASSERT_TRUE(tally.error());
  EXPECT_EQ(tally.error()->sqlstate(), "21000") << tally.error()->to_string();
}

TEST(InsertBatch, UpdatesInTheSameTransactionCountAsUpdates) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  exec(conn,
       "DROP SCHEMA IF EXISTS ib_tx CASCADE; CREATE SCHEMA ib_tx;"
       "CREATE TABLE ib_tx.t(k int8 PRIMARY KEY, v text NOT NULL)");
  Loader l(conn, "ib_tx.t", InsertMode::update);
  l.learn_signature(R"({"k":1,"v":"a"})");
  const auto st = l.statement_for(InsertShape::unnest);
  exec(conn, "BEGIN");
  load::InsertBatch first(st), second(st);
  l.fill(first, {R"({"k":1,"v":"a"})", R"({"k":2,"v":"a"})", R"({"k":3,"v":"a"})"});
  l.fill(second, {R"({"k":2,"v":"b"})", R"({"k":3,"v":"b"})", R"({"k":4,"v":"b"})"});
  auto t1 = send(conn, st, first, "ib_tx_1");
  auto t2 = send(conn, st, second, "ib_tx_1", false);
  exec(conn, "COMMIT");
  ASSERT_FALSE(t1.error()) << t1.error()->to_string();
  ASSERT_FALSE(t2.error()) << t2.error()->to_string();
  EXPECT_EQ(t1.counts(3), (InsertCounts{3, 0, 0, 0}));
  EXPECT_EQ(t2.counts(3), (InsertCounts{1, 2, 0, 0}));
}

TEST(InsertBatch, NullKeysAreNotMergedAndOnlyKeyColumnsMeanDoNothing) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  exec(conn,
       "DROP SCHEMA IF EXISTS ib_nullkey CASCADE; CREATE SCHEMA ib_nullkey;"
       "CREATE TABLE ib_nullkey.t(a int4, b text, v text, UNIQUE (a, b))");
  Loader l(conn, "ib_nullkey.t", InsertMode::update, {"b", "a"});
  l.learn_signature(R"({"a":1,"b":"x","v":"1"})");
  const auto st = l.statement_for();
  ASSERT_EQ(st.key_positions, (std::vector<std::size_t>{1, 0}));
  load::InsertBatch batch(st);
  l.fill(batch, {R"({"a":1,"b":null,"v":"1"})", R"({"a":1,"b":null,"v":"2"})", R"({"a":1,"b":"x","v":"3"})",
                 R"({"a":1,"b":"x","v":"4"})", R"({"a":2,"b":"x","v":"5"})"});
  EXPECT_EQ(batch.dedupe(), 1u);
  auto tally = send(conn, st, batch, "");
  ASSERT_FALSE(tally.error()) << tally.error()->to_string();
  EXPECT_EQ(tally.counts(batch.rows()), (InsertCounts{4, 0, 0, 0}));
  EXPECT_EQ(column_of(conn, "SELECT string_agg(v, ',' ORDER BY v) FROM ib_nullkey.t"), std::vector<std::string>{"1,2,4,5"});

  // Rows of key columns only have nothing to update.
  Loader keys_only(conn, "ib_nullkey.t", InsertMode::update, {"a", "b"});
  keys_only.learn_signature(R"({"a":1,"b":"x"})");
  const auto st2 = keys_only.statement_for();
  EXPECT_EQ(st2.mode, InsertMode::do_nothing);
  load::InsertBatch batch2(st2);
  keys_only.fill(batch2, {R"({"a":1,"b":"x"})", R"({"a":3,"b":"x"})"});
  auto tally2 = send(conn, st2, batch2, "");
  ASSERT_FALSE(tally2.error()) << tally2.error()->to_string();
  EXPECT_EQ(tally2.counts(batch2.rows()), (InsertCounts{1, 0, 1, 0}));
}

// No server needed: the same bytes whatever the sink, and a registered buffer that is too small
// holds no partial message.
TEST(InsertBatch, EncodesTheSameIntoAFixedBufferAndDropsWhatDoesNotFit) {
  for (auto shape : {InsertShape::unnest, InsertShape::values}) {
    load::InsertStatement st;
    st.shape = shape;
    st.columns = {0, 1};
    st.element_oids = {protocol::oid::int8, protocol::oid::text};
    load::InsertBatch batch(st);
    for (std::int64_t k = 1; k <= 3; ++k) {
      std::string& row = batch.row_sink();
      protocol::put_i16(row, 2);
      protocol::put_i32(row, 8);
      protocol::put_i64(row, k);
      if (k == 2) {
        protocol::put_i32(row, -1);
      } else {
        protocol::put_i32(row, 3);
        row += "abc";
      }
      ASSERT_TRUE(batch.commit_row());
    }
    batch.row_sink() += std::string("\x00\x02\x00", 3);  // a torn tuple is refused and dropped
    EXPECT_FALSE(batch.commit_row());
    EXPECT_EQ(batch.rows(), 3u);

    std::string grown;
    ASSERT_TRUE(batch.encode(grown, "s1"));
    std::vector<std::byte> region(grown.size());
    protocol::SpanSink fixed(region);
    ASSERT_TRUE(batch.encode(fixed, "s1"));
    EXPECT_FALSE(fixed.overflowed());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(region.data()), fixed.size()), grown);

    std::vector<std::byte> small(grown.size() - 1);
    protocol::SpanSink tight(small);
    ASSERT_TRUE(batch.encode(tight, "s1"));
    EXPECT_TRUE(tight.overflowed());
    EXPECT_EQ(tight.size(), 0u) << "a batch goes whole or not at all";

    const std::uint32_t last[] = {2};
    std::string one;
    ASSERT_TRUE(batch.encode(one, "s1", std::span<const std::uint32_t>(last)));
    EXPECT_LT(one.size(), grown.size());
    EXPECT_NE(one.find("abc"), std::string::npos);
  }
}

TEST(InsertBatch, ConflictKeyIsThePrimaryKeyOrAUniqueIndexOnExactlyTheColumns) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  exec(conn,
       "DROP SCHEMA IF EXISTS ib_keys CASCADE; CREATE SCHEMA ib_keys;"
       "CREATE TABLE ib_keys.t(id int4, a int4, b text, c text, d text, e text, PRIMARY KEY (b, id));"
       "CREATE UNIQUE INDEX t_ab ON ib_keys.t (a, b);"
       "CREATE UNIQUE INDEX t_c_partial ON ib_keys.t (c) WHERE c <> '';"
       "CREATE UNIQUE INDEX t_d_lower ON ib_keys.t (lower(d));"
       "CREATE UNIQUE INDEX t_e_incl ON ib_keys.t (e) INCLUDE (a);"
       "CREATE TABLE ib_keys.nopk(x int4)");
  auto schema = load::read_table_schema(conn, "ib_keys.t");
  ASSERT_TRUE(schema);
  auto pk = load::resolve_conflict_key(conn, *schema, {});
  ASSERT_TRUE(pk) << pk.error().to_string();
  EXPECT_EQ(pk->columns, (std::vector<std::size_t>{2, 0}));
  EXPECT_EQ(pk->index_name, "t_pkey");

  auto ab = load::resolve_conflict_key(conn, *schema, {"b", "a"});
  ASSERT_TRUE(ab) << ab.error().to_string();
  EXPECT_EQ(ab->columns, (std::vector<std::size_t>{2, 1}));
  EXPECT_EQ(ab->index_name, "t_ab");
  auto e = load::resolve_conflict_key(conn, *schema, {"e"});
  ASSERT_TRUE(e) << "INCLUDE columns are not part of the key: " << e.error().to_string();

  auto expect_error = [&](const std::vector<std::string>& names, const std::string& part) {
    auto r = load::resolve_conflict_key(conn, *schema, names);
    ASSERT_FALSE(r) << names.front();
    EXPECT_EQ(r.error().category(), ErrorCategory::config);
    EXPECT_NE(r.error().message().find(part), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("ib_keys.t"), std::string::npos) << r.error().message();
  };
  expect_error({"a"}, "no unique index");
  expect_error({"id"}, "no unique index");
  expect_error({"c"}, "partial");
  expect_error({"d"}, "no unique index");
  expect_error({"nope"}, "no column \"nope\"");
  expect_error({"e", "a"}, "no unique index");

  auto nopk = load::read_table_schema(conn, "ib_keys.nopk");
  ASSERT_TRUE(nopk);
  auto none = load::resolve_insert_target(conn, *nopk, load::CopyFormat::binary, InsertMode::update, {});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("ib_keys.nopk has no primary key"), std::string::npos) << none.error().message();
  auto any = load::resolve_insert_target(conn, *nopk, load::CopyFormat::binary, InsertMode::do_nothing, {});
  ASSERT_TRUE(any) << any.error().to_string();
  const std::uint64_t sig = 1;
  auto st = load::make_insert_statement(*any, std::span(&sig, 1));
  ASSERT_TRUE(st);
  EXPECT_NE(st->sql.find("ON CONFLICT DO NOTHING"), std::string::npos) << st->sql;

  auto keys = load::split_column_list(" a, b ");
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(load::split_column_list("a,,b"));
}

}  // namespace
}  // namespace pgstream::testing
