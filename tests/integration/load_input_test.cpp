// pgstream load against hostile and varied input: compressed files, several files in one run, a
// corpus of bad lines, --map and --rest-column, and server refusals with and without a line to
// blame. Every test checks read == loaded + rejected (+ blank) and the exact lines rejected.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "pgstream/load/loader.hpp"
#include "support/load_support.hpp"

namespace pgstream::testing {
namespace {

void write_gzip(const fs::path& p, const std::string& text) {
  gzFile f = gzopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

void write_zstd(const fs::path& p, const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  ASSERT_FALSE(ZSTD_isError(n));
  out.resize(n);
  write_file(p, out);
}

std::string numbered_lines(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += "{\"id\":" + std::to_string(i) + ",\"v\":\"row " + std::to_string(i) + "\"}\n";
  return s;
}

std::vector<std::uint64_t> rejected_lines(const std::string& rejects) {
  std::vector<std::uint64_t> out;
  std::istringstream in(rejects);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find("\"line\":");
    if (at != std::string::npos) out.push_back(std::stoull(line.substr(at + 7)));
  }
  std::sort(out.begin(), out.end());  // batches finish in any order
  return out;
}

std::string one_value(client::PgConnection& conn, const std::string& sql) {
  auto r = conn.simple_query(sql);
  EXPECT_TRUE(r) << r.error().to_string();
  if (!r || r->rows.empty() || r->rows[0].empty()) return "<none>";
  return r->rows[0][0].value_or("NULL");
}

TEST(LoadInput, PlainGzipAndZstdFilesLoadInOneRun) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  ASSERT_TRUE(conn.simple_query("DROP SCHEMA IF EXISTS load_files CASCADE; CREATE SCHEMA load_files;"
                                "CREATE TABLE load_files.t(id int PRIMARY KEY, v text)"));
  TempDir dir;
  load::LoadOptions o;
  o.files = {write_file(dir.path / "a.jsonl", numbered_lines(1, 1000))};
  write_gzip(dir.path / "b.jsonl.gz", numbered_lines(1001, 2000));
  // A bad line in the middle of the compressed file is blamed on that file and its line.
  write_zstd(dir.path / "c.jsonl.zst", numbered_lines(2001, 2500) + "{\"id\":\n" + numbered_lines(2501, 3000));
  o.files.push_back((dir.path / "b.jsonl.gz").string());
  o.files.push_back((dir.path / "c.jsonl.zst").string());
  o.table = "load_files.t";
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  o.batch_rows = 300;
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->files, 3u);
  EXPECT_EQ(report->lines_read, 3001u);
  EXPECT_EQ(report->rows_loaded, 3000u);
  EXPECT_EQ(report->rows_rejected, 1u);
  EXPECT_EQ(one_value(conn, "SELECT count(*) || ' ' || sum(id) || ' ' || count(DISTINCT v) FROM load_files.t"),
            "3000 4501500 3000");
  const std::string rejects = read_file(o.rejects_path);
  EXPECT_NE(reject_of(rejects, 501).find("c.jsonl.zst"), std::string::npos) << rejects;
}

TEST(LoadInput, BadInputCorpusIsAccountedLineByLine) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  ASSERT_TRUE(conn.simple_query(
      "DROP SCHEMA IF EXISTS load_corpus CASCADE; CREATE SCHEMA load_corpus;"
      "CREATE TABLE load_corpus.t(id int2 NOT NULL UNIQUE, big int8, flag bool, doc jsonb, note text)"));
  TempDir dir;
  const std::string huge(10u << 20, 'x');
  auto nested = [](int depth) { return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']'); };
  const std::vector<std::string> lines = {
      "\xEF\xBB\xBF{\"id\":1,\"note\":\"after a byte order mark\"}\r",  // 1 loaded (BOM, CRLF)
      "{\"id\":2,\"note\":\"trunc",                                      // 2 truncated JSON
      "{\"id\":3,\"note\":\"bad \xC3\x28 utf8\"}",                       // 3 invalid UTF-8
      "{\"id\":4,\"note\":\"" + huge + "\"}",                            // 4 loaded: a 10 MB line
      "{\"id\":5,\"note\":\"" + huge + "\",}",                           // 5 a 10 MB bad line
      "{\"id\":40000}",                                                  // 6 out of range for int2
      "{\"id\":7,\"big\":9223372036854775808}",                          // 7 out of range for int8
      "{\"id\":8,\"flag\":[true]}",                                      // 8 wrong type
      "{\"id\":1,\"note\":\"duplicate of line 1\"}",                     // 9 UNIQUE
      "{\"note\":\"no id\"}",                                            // 10 NOT NULL
      "{\"id\":11,\"doc\":" + nested(5000) + "}",                        // 11 loaded: deep nesting
      "",                                                                // 12 blank
      "[1,2,3]",                                                         // 13 not an object
      "{\"id\":14,\"doc\":{\"ok\":[1,{\"a\":null}]},\"flag\":true}",     // 14 loaded
      "{\"id\":15} {\"id\":16}",                                         // 15 two objects
      "{\"id\":17,\"id\":18}",                                           // 16 duplicate key
      "{\"id\":19,\"doc\":" + nested(300000) + "}",                      // 17 too deep for the server
  };
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  load::LoadOptions o;
  o.files = {write_file(dir.path / "corpus.jsonl", text)};
  o.table = "load_corpus.t";
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  o.connections = 1;  // input order decides which of two equal keys loads
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->lines_read, lines.size());
  EXPECT_EQ(report->blank_lines, 1u);
  EXPECT_EQ(report->rows_loaded, 4u);
  EXPECT_EQ(report->rows_loaded + report->rows_rejected + report->blank_lines, report->lines_read);
  EXPECT_EQ(one_value(conn, "SELECT string_agg(id || ':' || coalesce(length(note)::text, 'NULL'), ',' ORDER BY id) FROM load_corpus.t"),
            "1:23,4:" + std::to_string(huge.size()) + ",11:NULL,14:NULL");
  EXPECT_EQ(one_value(conn, "SELECT doc::text || flag FROM load_corpus.t WHERE id = 14"),
            "{\"ok\": [1, {\"a\": null}]}true");
  const std::string rejects = read_file(o.rejects_path);
  EXPECT_EQ(rejected_lines(rejects), (std::vector<std::uint64_t>{2, 3, 5, 6, 7, 8, 9, 10, 13, 15, 16, 17}));
  EXPECT_NE(reject_of(rejects, 17).find("\"sqlstate\":\"54001\""), std::string::npos) << reject_of(rejects, 17).substr(0, 300);
  EXPECT_NE(reject_of(rejects, 6).find("out of range"), std::string::npos) << reject_of(rejects, 6);
  EXPECT_NE(reject_of(rejects, 9).find("\"sqlstate\":\"23505\""), std::string::npos) << reject_of(rejects, 9);
  EXPECT_NE(reject_of(rejects, 10).find("\"sqlstate\":\"23502\""), std::string::npos) << reject_of(rejects, 10);
  EXPECT_NE(reject_of(rejects, 16).find("duplicate key"), std::string::npos) << reject_of(rejects, 16);
  // The original line is kept untouched, even the 10 MB one.
  EXPECT_GT(reject_of(rejects, 5).size(), huge.size());
}

TEST(LoadInput, MapTakesColumnsFromNestedPathsAndRestKeepsTheOtherKeys) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  ASSERT_TRUE(conn.simple_query("DROP SCHEMA IF EXISTS load_map CASCADE; CREATE SCHEMA load_map;"
                                "CREATE TABLE load_map.t(id int8 PRIMARY KEY, name text DEFAULT 'anon', "
                                "first_tag text, extra jsonb)"));
  TempDir dir;
  load::LoadOptions o;
  o.files = {write_file(dir.path / "in.jsonl",
                        "{\"user\":{\"id\":1,\"profile\":{\"name\":\"Ann\"}},\"tags\":[\"a\",\"b\"],\"x\":1,\"id\":99}\n"
                        "{\"user\":{\"id\":2},\"y\":{\"k\":\"v\"}}\n"
                        "{\"user\":\"not an object\"}\n"
                        "{\"user\":{\"id\":4,\"profile\":{\"name\":null}},\"tags\":[]}\n")};
  o.table = "load_map.t";
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  o.maps = {"id=/user/id", "name=/user/profile/name", "first_tag=/tags/0"};
  o.rest_column = "extra";
  o.connections = 1;
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->rows_loaded, 3u);
  EXPECT_EQ(report->rows_rejected, 1u);
  auto rows = conn.simple_query("SELECT id, name, first_tag, extra::text FROM load_map.t ORDER BY id");
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->rows.size(), 3u);
  // The top-level "id" no longer fills id (the map does): it is kept with the other keys.
  EXPECT_EQ(rows->rows[0][1], "Ann");
  EXPECT_EQ(rows->rows[0][2], "a");
  EXPECT_EQ(rows->rows[0][3], "{\"x\": 1, \"id\": 99}");
  EXPECT_EQ(rows->rows[1][1], "anon");  // a path that is not there: the DEFAULT
  EXPECT_EQ(rows->rows[1][2], std::nullopt);
  EXPECT_EQ(rows->rows[1][3], "{\"y\": {\"k\": \"v\"}}");
  EXPECT_EQ(rows->rows[2][0], "4");
  EXPECT_EQ(rows->rows[2][1], std::nullopt);  // JSON null at the path: NULL
  EXPECT_EQ(rows->rows[2][3], "{}");
  EXPECT_NE(reject_of(read_file(o.rejects_path), 3).find("not an object"), std::string::npos);

  o.maps = {"nope=/a"};
  auto bad = load::run_load(admin_builder(), o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("--map nope=/a: no column nope"), std::string::npos) << bad.error().message();
  o.maps = {"id=user/id"};
  bad = load::run_load(admin_builder(), o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("starts with '/'"), std::string::npos) << bad.error().message();
}

TEST(LoadInput, ForeignKeyViolationsRejectExactlyTheOrphans) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  ASSERT_TRUE(conn.simple_query("DROP SCHEMA IF EXISTS load_fk CASCADE; CREATE SCHEMA load_fk;"
                                "CREATE TABLE load_fk.parent(id int PRIMARY KEY);"
                                "INSERT INTO load_fk.parent SELECT generate_series(1, 10);"
                                "CREATE TABLE load_fk.child(id int PRIMARY KEY, parent int REFERENCES load_fk.parent)"));
  TempDir dir;
  std::string text;
  for (int i = 1; i <= 200; ++i)
    text += "{\"id\":" + std::to_string(i) + ",\"parent\":" + std::to_string(i % 50 == 7 ? 999 : i % 10 + 1) + "}\n";
  load::LoadOptions o;
  o.files = {write_file(dir.path / "in.jsonl", text)};
  o.table = "load_fk.child";
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->rows_loaded, 196u);
  EXPECT_EQ(rejected_lines(read_file(o.rejects_path)), (std::vector<std::uint64_t>{7, 57, 107, 157}));
  EXPECT_EQ(one_value(conn, "SELECT count(*) FROM load_fk.child WHERE id % 50 = 7"), "0");
}

TEST(LoadInput, RowsRefusedAtCommitAreIsolatedByBisection) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  // A deferred constraint fails at COMMIT, with no COPY line to blame.
  ASSERT_TRUE(conn.simple_query("DROP SCHEMA IF EXISTS load_deferred CASCADE; CREATE SCHEMA load_deferred;"
                                "CREATE TABLE load_deferred.t(id int, k int, "
                                "CONSTRAINT k_unique UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)"));
  TempDir dir;
  std::string text;
  for (int i = 1; i <= 1000; ++i) text += "{\"id\":" + std::to_string(i) + ",\"k\":" + std::to_string(i == 613 ? 5 : i) + "}\n";
  load::LoadOptions o;
  o.files = {write_file(dir.path / "in.jsonl", text)};
  o.table = "load_deferred.t";
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  o.connections = 1;
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->rows_loaded, 999u);
  EXPECT_EQ(rejected_lines(read_file(o.rejects_path)), (std::vector<std::uint64_t>{613}));
  // log2(1000) rounds of halving, not a thousand single-row batches.
  EXPECT_LT(report->retries, 40u);
  EXPECT_EQ(one_value(conn, "SELECT count(*) FROM load_deferred.t WHERE k = 5"), "1");
}

}  // namespace
}  // namespace pgstream::testing
