// pgstream load's engine against the real server: every input line is loaded or rejected with
// its reason, absent keys take column defaults, and the rejects file is private.
#include "pgstream/load/loader.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "pgstream/tls/tls_session.hpp"
#include "support/load_support.hpp"

namespace pgstream::testing {
namespace {

TEST(Load, EveryLineIsLoadedOrRejectedWithItsReason) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  ASSERT_TRUE(conn.simple_query("DROP SCHEMA IF EXISTS load_accounting CASCADE; CREATE SCHEMA load_accounting;"
                                "CREATE TABLE load_accounting.items(id int PRIMARY KEY, name text NOT NULL, "
                                "tags text[], attrs jsonb, active boolean DEFAULT true, seen timestamptz)"));
  TempDir dir;
  const std::string input_text =
                                       "{\"id\":1,\"name\":\"a\\tb\",\"tags\":[\"x\",\"y z\",null],\"attrs\":{\"k\":[1,2]}}\n"
                                       "{\"id\":2,\"name\":\"Zoë 🎉\",\"seen\":\"2024-02-29T12:00:00Z\",\"unknown\":1}\n"
                                       "not json\n"
                                       "\n"
                                       "{\"id\":\"x\",\"name\":\"bad int\"}\n"
                                       "{\"id\":1,\"name\":\"duplicate\"}\n"
                                       "{\"id\":3,\"name\":null}\n"
                                       "{\"id\":4,\"name\":\"obj\",\"active\":{\"a\":1}}\n"
                                       "{\"id\":5,\"name\":\"five\",\"active\":false}\n";
  const std::string input = write_file(dir.path / "items.jsonl", input_text);
  load::LoadOptions o;
  o.files = {input};
  o.table = "load_accounting.items";
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  o.connections = 1;  // input order decides which of two duplicate keys loads
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->copy_format, "binary");
  EXPECT_EQ(report->lines_read, 9u);
  EXPECT_EQ(report->blank_lines, 1u);
  EXPECT_EQ(report->rows_loaded, 3u);
  EXPECT_EQ(report->rows_rejected, 5u);
  EXPECT_EQ(report->rows_loaded + report->rows_rejected + report->blank_lines, report->lines_read);
  EXPECT_EQ(report->ignored_keys.at("unknown"), 1u);

  auto rows = conn.simple_query("SELECT id, name, tags::text, attrs::text, active, seen IS NOT NULL "
                                "FROM load_accounting.items ORDER BY id");
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->rows.size(), 3u);
  EXPECT_EQ(rows->rows[0][1], "a\tb");
  EXPECT_EQ(rows->rows[0][2], "{x,\"y z\",NULL}");
  EXPECT_EQ(rows->rows[0][3], "{\"k\": [1, 2]}");
  EXPECT_EQ(rows->rows[0][4], "t");  // absent key: the column default
  EXPECT_EQ(rows->rows[1][1], "Zoë 🎉");
  EXPECT_EQ(rows->rows[1][5], "t");
  EXPECT_EQ(rows->rows[2][4], "f");

  std::ifstream in(o.rejects_path);
  std::stringstream all;
  all << in.rdbuf();
  const std::string rejects = all.str();
  EXPECT_NE(reject_of(rejects, 3).find("\"error\":\"the line is not a JSON object\""), std::string::npos) << rejects;
  // Caught before the server: the binary encoder parses "x" as int4 itself.
  EXPECT_NE(reject_of(rejects, 5).find("\"column\":\"id\",\"error\":\"not a valid"), std::string::npos) << rejects;
  EXPECT_NE(reject_of(rejects, 6).find("\"sqlstate\":\"23505\""), std::string::npos) << rejects;
  EXPECT_NE(reject_of(rejects, 7).find("\"column\":\"name\",\"sqlstate\":\"23502\""), std::string::npos) << rejects;
  EXPECT_NE(reject_of(rejects, 8).find("\"column\":\"active\""), std::string::npos) << rejects;
  // The byte offset of line 3 in the file: the lengths of lines 1 and 2 with their newlines.
  EXPECT_NE(reject_of(rejects, 3).find("\"offset\":" + std::to_string(input_text.find("not json"))), std::string::npos)
      << rejects;
  struct stat st{};
  ASSERT_EQ(::stat(o.rejects_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Load, MaxErrorsStopsTheLoad) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  ASSERT_TRUE(conn.simple_query("DROP SCHEMA IF EXISTS load_max_errors CASCADE; CREATE SCHEMA load_max_errors;"
                                "CREATE TABLE load_max_errors.t(id int)"));
  TempDir dir;
  load::LoadOptions o;
  o.files = {write_file(dir.path / "in.jsonl", "{\"id\":1}\nbad\nbad\n{\"id\":2}\n")};
  o.table = "load_max_errors.t";
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  o.max_errors = 0;
  auto report = load::run_load(admin_builder(), o);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(report->stopped);
  EXPECT_EQ(report->rows_rejected, 1u);
}

TEST(Load, MissingTableIsAClearError) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  TempDir dir;
  load::LoadOptions o;
  o.files = {write_file(dir.path / "in.jsonl", "{}\n")};
  o.table = "no_such_schema.no_such_table";
  auto report = load::run_load(admin_builder(), o);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message().find("no_such_schema.no_such_table"), std::string::npos);
}

}  // namespace
}  // namespace pgstream::testing

namespace pgstream::testing {
namespace {

// Lines parsed on several threads come back in input order: the same rows load and the same lines
// are rejected (the earlier of two lines with one key loads), whatever the number of parse threads.
TEST(Load, ParseThreadsKeepTheInputOrder) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  ASSERT_TRUE(conn.simple_query("DROP SCHEMA IF EXISTS load_threads CASCADE; CREATE SCHEMA load_threads;"
                                "CREATE TABLE load_threads.t(id int PRIMARY KEY, v text, n int)"));
  TempDir dir;
  std::string text;
  for (int i = 1; i <= 60'000; ++i) {
    if (i % 997 == 0) text += "{\"id\":" + std::to_string(i - 1) + ",\"v\":\"duplicate of the line before\"}\n";
    else if (i % 1009 == 0) text += "{\"id\":" + std::to_string(i) + ",\"n\":\"not a number\"}\n";
    else if (i % 4001 == 0) text += "\n";
    else if (i % 2 == 0) text += "{\"id\":" + std::to_string(i) + ",\"v\":\"even " + std::to_string(i) + "\"}\n";
    else text += "{\"n\":" + std::to_string(i) + ",\"id\":" + std::to_string(i) + "}\n";  // another key set
  }
  const std::string input = write_file(dir.path / "in.jsonl", text);
  std::string first_rejects, first_rows;
  for (unsigned threads : {0u, 1u, 4u}) {
    SCOPED_TRACE("parse threads: " + std::to_string(threads));
    ASSERT_TRUE(conn.simple_query("TRUNCATE load_threads.t"));
    load::LoadOptions o;
    o.files = {input};
    o.table = "load_threads.t";
    o.connections = 1;
    o.parse_threads = threads;
    o.batch_rows = 3'000;
    o.rejects_path = (dir.path / ("rejects-" + std::to_string(threads) + ".jsonl")).string();
    auto report = load::run_load(admin_builder(), o);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(report->lines_read, 60'000u);
    EXPECT_EQ(report->blank_lines, 14u);
    EXPECT_EQ(report->rows_rejected, 60u + 59u);
    EXPECT_EQ(report->rows_loaded + report->rows_rejected + report->blank_lines, report->lines_read);
    auto rows = conn.simple_query("SELECT count(*), sum(id), sum(n), count(v) FROM load_threads.t");
    ASSERT_TRUE(rows) << rows.error().to_string();
    const std::string table = *rows->rows[0][0] + "/" + *rows->rows[0][1] + "/" + *rows->rows[0][2] + "/" + *rows->rows[0][3];
    // The same records; their order mixes the encoder's rejects with the server's as batches
    // commit, which depends on timing, not on the threads.
    std::vector<std::string> records;
    std::istringstream in(read_file(o.rejects_path));
    for (std::string line; std::getline(in, line);) records.push_back(line);
    std::sort(records.begin(), records.end());
    std::string rejects;
    for (const auto& r : records) rejects += r + "\n";
    if (threads == 0) {
      first_rejects = rejects;
      first_rows = table;
      continue;
    }
    EXPECT_EQ(table, first_rows);
    EXPECT_EQ(rejects, first_rejects);
  }
}

// COPY data far larger than the reactor's send half goes over TLS: the loader waits for room in
// the send buffer, which under TLS must be signalled once the ciphertext is out (it once hung).
TEST(Load, OverTlsRowsFarLargerThanTheSendBufferAllArrive) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = admin();
  ASSERT_TRUE(conn.simple_query("DROP SCHEMA IF EXISTS load_tls CASCADE; CREATE SCHEMA load_tls;"
                                "CREATE TABLE load_tls.t(id int PRIMARY KEY, v text)"));
  TempDir dir;
  std::string text;
  const std::string filler(300, 'x');
  for (int i = 1; i <= 20'000; ++i) text += "{\"id\":" + std::to_string(i) + ",\"v\":\"" + filler + "\"}\n";
  load::LoadOptions o;
  o.files = {write_file(dir.path / "in.jsonl", text)};  // 6 MB: many times the 256 KiB send half
  o.table = "load_tls.t";
  o.connections = 2;
  o.retries = 0;  // so that terminating a hung load's backends ends it
  o.rejects_path = (dir.path / "rejects.jsonl").string();
  std::string dsn = admin_dsn();
  dsn.replace(dsn.find("sslmode=disable"), 15, "sslmode=require");
  auto builder = client::ConnectionBuilder::from_conninfo(dsn);
  ASSERT_TRUE(builder) << builder.error().to_string();
  std::optional<Result<load::LoadReport>> report;
  std::thread runner([&] {
    report = load::run_load(*builder, o);
    tls::release_thread_caches();  // wolfSSL's per-thread ECC cache outlives a thread otherwise
  });
  // A hang must fail the test, not stall the suite: give up on the server side after a while.
  for (int i = 0; i < 600 && !report; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!report) {
    ADD_FAILURE() << "the load over TLS did not finish in 60 s";
    ASSERT_TRUE(conn.simple_query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE query LIKE 'COPY load_tls%' AND pid <> pg_backend_pid()"));
  }
  runner.join();
  ASSERT_TRUE(*report) << (*report).error().to_string();
  EXPECT_EQ((*report)->rows_loaded, 20'000u);
  auto rows = conn.simple_query("SELECT count(*), sum(id), sum(length(v)) FROM load_tls.t");
  ASSERT_TRUE(rows) << rows.error().to_string();
  EXPECT_EQ(*rows->rows[0][0], "20000");
  EXPECT_EQ(*rows->rows[0][1], "200010000");
  EXPECT_EQ(*rows->rows[0][2], "6000000");
}

}  // namespace
}  // namespace pgstream::testing
