// pgstream bench against the real server: init builds pgbench's tables, the built-in scripts do
// pgbench's work (balances stay conserved), custom scripts with \gset and \if run, a rate-limited
// run measures a stalled server from the intended start, and a terminated backend costs errors,
// not the run.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "pgstream/bench/builtin_scripts.hpp"
#include "pgstream/bench/init.hpp"
#include "pgstream/bench/runner.hpp"
#include "support/load_support.hpp"

namespace pgstream::testing {
namespace {

std::string value(client::PgConnection& conn, const std::string& sql) {
  auto r = conn.simple_query(sql);
  EXPECT_TRUE(r) << sql << ": " << r.error().to_string();
  if (!r || r->rows.empty()) return "<none>";
  return r->rows[0][0].value_or("NULL");
}

// Each test has a database of its own: ctest runs tests as separate processes, in parallel,
// and the pgbench tables have fixed names.
std::string test_database() {
  std::string name = std::string("bench_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name.substr(0, 63);
}

client::ConnectionBuilder db_builder(const std::string& app) {
  const auto& s = *TestServer::instance();
  auto b = client::ConnectionBuilder::from_conninfo("host=127.0.0.1 sslmode=disable port=" + std::to_string(s.port()) +
                                                    " user=" + s.admin_user() + " dbname=" + test_database());
  EXPECT_TRUE(b) << b.error().to_string();
  b->application_name(app);
  return *b;
}

client::PgConnection db_admin() {
  auto conn = client::PgConnection::connect(db_builder("bench test"));
  EXPECT_TRUE(conn) << conn.error().to_string();
  return std::move(*conn);
}

client::ConnectionBuilder bench_builder(const std::string& app) { return db_builder(app); }

// Runs built-in or custom scripts with the given options.
struct BenchRun {
  bench::VariableTable names;
  bench::RunOptions o;
  BenchRun() { o.names = &names; }
  void builtin(const char* name) {
    auto s = bench::parse_builtin(name, names);
    ASSERT_TRUE(s) << s.error().to_string();
    o.scripts.push_back(std::move(*s));
  }
  void script(const char* name, const std::string& text) {
    auto s = bench::parse_script(name, text, names);
    ASSERT_TRUE(s) << s.error().to_string();
    o.scripts.push_back(std::move(*s));
  }
};

class Bench : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestServer::instance()) return;
    auto conn = admin();
    ASSERT_TRUE(conn.simple_query("DROP DATABASE IF EXISTS " + test_database() + " WITH (FORCE)"));
    ASSERT_TRUE(conn.simple_query("CREATE DATABASE " + test_database()));
    bench::InitOptions o;
    o.scale = 1;
    auto r = bench::run_init(db_builder("bench init"), o);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->accounts, 100'000u);
  }
  void TearDown() override {
    if (!TestServer::instance()) return;
    auto conn = admin();
    (void)conn.simple_query("DROP DATABASE IF EXISTS " + test_database() + " WITH (FORCE)");
  }
};

TEST_F(Bench, InitCreatesPgbenchTables) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = db_admin();
  EXPECT_EQ(value(conn, "SELECT count(*) || ' ' || sum(bid) || ' ' || min(octet_length(filler)) FROM pgbench_accounts"),
            "100000 100000 84");
  EXPECT_EQ(value(conn, "SELECT count(*) || ' ' || count(filler) FROM pgbench_tellers"), "10 0");
  EXPECT_EQ(value(conn, "SELECT count(*) FROM pgbench_branches"), "1");
  EXPECT_EQ(value(conn, "SELECT string_agg(conrelid::regclass::text, ',' ORDER BY conrelid::regclass::text) FROM pg_constraint "
                        "WHERE contype = 'p' AND conrelid::regclass::text LIKE 'pgbench%'"),
            "pgbench_accounts,pgbench_branches,pgbench_tellers");
}

TEST_F(Bench, TpcbLikeConservesBalancesAndCountsEveryTransaction) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = db_admin();
  const auto before = std::stoll(value(conn, "SELECT count(*) FROM pgbench_history"));
  for (auto mode : {bench::QueryMode::prepared, bench::QueryMode::extended, bench::QueryMode::simple}) {
    BenchRun run;
    run.builtin("tpcb-like");
    run.o.mode = mode;
    run.o.clients = 4;
    run.o.threads = 2;
    run.o.transactions = 50;
    run.o.max_tries = 10;
    auto r = bench::run_bench(bench_builder("bench tpcb"), run.o);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->transactions, 200u) << bench::to_string(mode);
    EXPECT_EQ(r->failed, 0u);
    EXPECT_EQ(r->latency.count(), 200u);
  }
  EXPECT_EQ(std::stoll(value(conn, "SELECT count(*) FROM pgbench_history")) - before, 600);
  const std::string sums = value(conn, "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' || "
                                       "(SELECT sum(bbalance) FROM pgbench_branches) || ' ' || "
                                       "(SELECT sum(tbalance) FROM pgbench_tellers) || ' ' || "
                                       "(SELECT sum(delta) FROM pgbench_history)");
  std::istringstream in(sums);
  std::string a, b, t, h;
  in >> a >> b >> t >> h;
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, t);
  EXPECT_EQ(a, h);
}

TEST_F(Bench, EveryBuiltinRunsAndTouchesWhatPgbenchWould) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = db_admin();
  for (const char* name : {"select-only", "simple-update", "insert"}) {
    const auto before = std::stoll(value(conn, "SELECT count(*) FROM pgbench_history"));
    BenchRun run;
    run.builtin(name);
    run.o.clients = 2;
    run.o.transactions = 25;
    run.o.per_statement = true;
    auto r = bench::run_bench(bench_builder("bench builtins"), run.o);
    ASSERT_TRUE(r) << name << ": " << r.error().to_string();
    EXPECT_EQ(r->transactions, 50u) << name;
    EXPECT_FALSE(r->statements.empty()) << name;
    for (const auto& st : r->statements) EXPECT_EQ(st.latency.count(), 50u) << name;
    const auto added = std::stoll(value(conn, "SELECT count(*) FROM pgbench_history")) - before;
    EXPECT_EQ(added, std::string(name) == "select-only" ? 0 : 50) << name;
  }
}

TEST_F(Bench, CustomScriptWithGsetIfAndWeights) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = db_admin();
  ASSERT_TRUE(conn.simple_query("DROP TABLE IF EXISTS bench_custom; CREATE TABLE bench_custom(v int, kind text)"));
  BenchRun run;
  run.script("branching", "\\set x random(1, 100)\n"
                          "SELECT :x * 2 AS doubled \\gset\n"
                          "\\if :doubled > 100\n"
                          "INSERT INTO bench_custom VALUES (:doubled, 'big');\n"
                          "\\else\n"
                          "INSERT INTO bench_custom VALUES (0 - :doubled, 'small');\n"
                          "\\endif\n");
  run.script("other", "INSERT INTO bench_custom VALUES (0, 'other');\n");
  run.o.scripts[0].weight = 3;
  run.o.scripts[1].weight = 1;
  run.o.clients = 3;
  run.o.transactions = 100;
  run.o.random_seed = 42;
  auto r = bench::run_bench(bench_builder("bench custom"), run.o);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->transactions, 300u);
  EXPECT_EQ(r->per_script_transactions[0] + r->per_script_transactions[1], 300u);
  EXPECT_GT(r->per_script_transactions[0], r->per_script_transactions[1]);  // weight 3 to 1
  EXPECT_EQ(value(conn, "SELECT count(*) FROM bench_custom"), "300");
  // \gset brought x*2 back, and \if chose the branch by it.
  EXPECT_EQ(value(conn, "SELECT count(*) FROM bench_custom WHERE (kind = 'big' AND v BETWEEN 102 AND 200) OR "
                        "(kind = 'small' AND v BETWEEN -100 AND -2 AND v % 2 = 0) OR (kind = 'other' AND v = 0)"),
            "300");
  EXPECT_EQ(value(conn, "SELECT count(*) FROM bench_custom WHERE kind = 'other'"),
            std::to_string(r->per_script_transactions[1]));
}

TEST_F(Bench, APipelineBlockIsOneImplicitTransactionUnderOneSync) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = db_admin();
  ASSERT_TRUE(conn.simple_query("CREATE TABLE bench_pipe(v int)"));
  for (auto mode : {bench::QueryMode::prepared, bench::QueryMode::extended}) {
    BenchRun run;
    run.script("pipe", "\\set x random(1, 10)\n\\startpipeline\nINSERT INTO bench_pipe VALUES (:x);\n"
                       "INSERT INTO bench_pipe VALUES (:x + 100);\nINSERT INTO bench_pipe VALUES (:x + 200);\n\\endpipeline\n");
    run.o.mode = mode;
    run.o.clients = 2;
    run.o.transactions = 20;
    run.o.per_statement = true;
    auto r = bench::run_bench(bench_builder("bench pipe"), run.o);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->transactions, 40u);
    for (const auto& st : r->statements) EXPECT_EQ(st.latency.count(), 40u);
  }
  EXPECT_EQ(value(conn, "SELECT count(*) || ' ' || count(*) FILTER (WHERE v > 200) FROM bench_pipe"), "240 80");

  // An error inside the block: the server skips the rest up to the Sync and the implicit
  // transaction rolls back, the statements before the error included.
  BenchRun bad;
  bad.script("bad", "\\startpipeline\nINSERT INTO bench_pipe VALUES (-1);\nSELECT 1/0;\nINSERT INTO bench_pipe VALUES (-2);\n"
                    "\\endpipeline\n");
  bad.o.clients = 1;
  bad.o.transactions = 5;
  bad.o.per_statement = true;
  auto r = bench::run_bench(bench_builder("bench pipe"), bad.o);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->failed, 5u);
  EXPECT_EQ(r->errors_by_sqlstate.at("22012"), 5u);
  EXPECT_EQ(r->statements.at(1).errors, 5u);
  EXPECT_EQ(value(conn, "SELECT count(*) FROM bench_pipe WHERE v < 0"), "0");
}

TEST_F(Bench, TransactionsSlowerThanTheLatencyLimitAreCountedLate) {
  PGSTREAM_REQUIRE_SERVER();
  for (double limit_ms : {5.0, 60'000.0}) {
    BenchRun run;
    run.script("slow", "SELECT pg_sleep(0.02);\n");
    run.o.clients = 2;
    run.o.transactions = 5;
    run.o.latency_limit_ms = limit_ms;
    auto r = bench::run_bench(bench_builder("bench late"), run.o);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->transactions, 10u);
    // Every transaction sleeps 20 ms: all above a 5 ms limit, none above a minute.
    EXPECT_EQ(r->late, limit_ms < 1000 ? 10u : 0u) << limit_ms;
    EXPECT_EQ(r->skipped, 0u);  // skipping is for -R only
  }
}

TEST_F(Bench, UnderARateTransactionsAlreadyLaterThanTheLimitAreSkipped) {
  PGSTREAM_REQUIRE_SERVER();
  BenchRun run;
  // One client, 200 tps asked, 20 ms a transaction: it falls behind its schedule at once, and
  // (as pgbench -R -L) a transaction already later than the limit when due is not sent at all.
  run.script("slow", "SELECT pg_sleep(0.02);\n");
  run.o.clients = 1;
  run.o.rate = 200;
  run.o.latency_limit_ms = 5;
  run.o.transactions = 20;
  run.o.random_seed = 7;
  auto r = bench::run_bench(bench_builder("bench skip"), run.o);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->failed, 0u);
  EXPECT_GT(r->skipped, 0u);
  EXPECT_GT(r->transactions, 0u);
  EXPECT_EQ(r->transactions + r->skipped, 20u);  // -t counts the skipped ones as started
  EXPECT_EQ(r->late, r->transactions);             // the ones sent still took 20 ms
  EXPECT_EQ(r->latency.count(), r->transactions);
}

TEST_F(Bench, TheWarmupRunsButIsLeftOutOfTheResults) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = db_admin();
  ASSERT_TRUE(conn.simple_query("CREATE TABLE bench_warm(v int)"));
  BenchRun run;
  run.script("warm", "INSERT INTO bench_warm VALUES (1);\nSELECT pg_sleep(0.005);\n");
  run.o.clients = 1;
  run.o.duration_seconds = 1;
  run.o.warmup_seconds = 1;
  run.o.per_statement = true;
  auto r = bench::run_bench(bench_builder("bench warmup"), run.o);
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->failed, 0u);
  const auto executed = std::stoull(value(conn, "SELECT count(*) FROM bench_warm"));
  // Every transaction that ran inserted a row; those that ended in the warm-up are not reported.
  EXPECT_GT(r->transactions, 0u);
  EXPECT_LT(r->transactions, executed);
  EXPECT_EQ(r->latency.count(), r->transactions);
  ASSERT_EQ(r->statements.size(), 2u);
  // The last statement ends with its transaction; the first may have ended just before the
  // warm-up did, in a transaction that ended after it.
  EXPECT_EQ(r->statements[1].latency.count(), r->transactions);
  EXPECT_LE(r->statements[0].latency.count(), r->transactions);
  EXPECT_GE(r->statements[0].latency.count() + 1, r->transactions);
}

// Repeatable-read transactions that all update one row: whoever commits second fails with a
// serialization failure (40001). With --max-tries 1 those are failures; with more tries they run
// again (from the same variables) until they commit, and every commit added exactly one.
TEST_F(Bench, SerializationFailuresAreRetriedUpToMaxTries) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = db_admin();
  ASSERT_TRUE(conn.simple_query("CREATE TABLE bench_hot(id int PRIMARY KEY, v int); INSERT INTO bench_hot VALUES (1, 0)"));
  const char* script = "BEGIN ISOLATION LEVEL REPEATABLE READ;\n"
                       "SELECT v FROM bench_hot WHERE id = 1;\n"
                       "SELECT pg_sleep(0.005);\n"
                       "UPDATE bench_hot SET v = v + 1 WHERE id = 1;\n"
                       "END;\n";
  {
    BenchRun run;
    run.script("hot", script);
    run.o.clients = 4;
    run.o.transactions = 10;
    run.o.max_tries = 1;
    auto r = bench::run_bench(bench_builder("bench hot"), run.o);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->transactions + r->failed, 40u);
    EXPECT_GT(r->failed, 0u);
    EXPECT_EQ(r->retried, 0u);
    ASSERT_EQ(r->errors_by_sqlstate.size(), 1u);
    EXPECT_EQ(r->errors_by_sqlstate.at("40001"), r->failed);
    EXPECT_EQ(value(conn, "SELECT v FROM bench_hot"), std::to_string(r->transactions));
  }
  ASSERT_TRUE(conn.simple_query("UPDATE bench_hot SET v = 0"));
  {
    BenchRun run;
    run.script("hot", script);
    run.o.clients = 4;
    run.o.transactions = 10;
    run.o.max_tries = 1000;
    auto r = bench::run_bench(bench_builder("bench hot"), run.o);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->transactions, 40u);
    EXPECT_EQ(r->failed, 0u);
    EXPECT_GT(r->retried, 0u);
    EXPECT_TRUE(r->errors_by_sqlstate.empty());
    EXPECT_EQ(value(conn, "SELECT v FROM bench_hot"), "40");
  }
}

std::vector<int> backend_pids(client::PgConnection& conn, const std::string& app) {
  auto r = conn.simple_query("SELECT pid FROM pg_stat_activity WHERE application_name = '" + app + "'");
  std::vector<int> pids;
  if (r)
    for (const auto& row : r->rows) pids.push_back(std::stoi(row[0].value_or("0")));
  return pids;
}

TEST_F(Bench, AStalledServerShowsInLatencyFromTheIntendedStart) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = db_admin();
  BenchRun run;
  run.builtin("select-only");
  run.o.clients = 2;
  run.o.rate = 200;
  run.o.duration_seconds = 3;
  std::atomic<bool> stalled{false};
  std::thread staller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    auto pids = backend_pids(conn, "bench stall");
    for (int pid : pids) ::kill(pid, SIGSTOP);
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    for (int pid : pids) ::kill(pid, SIGCONT);
    stalled = !pids.empty();
  });
  auto r = bench::run_bench(bench_builder("bench stall"), run.o);
  staller.join();
  ASSERT_TRUE(stalled) << "no backend to stop";
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->failed, 0u);
  // About a third of the run waited on the stall: from the intended start, the slowest
  // transactions waited most of a second; their service time (from the late send) did not.
  EXPECT_GT(r->latency.value_at_percentile(99.9), 500'000'000);
  EXPECT_GT(r->latency.value_at_percentile(90), 100'000'000);
  EXPECT_GT(r->schedule_lag.max(), 500'000'000);
  EXPECT_LT(r->service.value_at_percentile(50), r->latency.value_at_percentile(90));
  // The schedule still held: about 600 transactions in 3 s, the stalled ones sent late, not lost.
  EXPECT_GT(r->transactions, 450u);
}

TEST_F(Bench, ATerminatedBackendIsCountedAndTheRunCompletes) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = db_admin();
  BenchRun run;
  run.builtin("select-only");
  run.o.clients = 3;
  run.o.duration_seconds = 2.5;
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    auto pids = backend_pids(conn, "bench terminate");
    if (!pids.empty()) (void)conn.simple_query("SELECT pg_terminate_backend(" + std::to_string(pids[0]) + ")");
  });
  auto r = bench::run_bench(bench_builder("bench terminate"), run.o);
  killer.join();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_GE(r->failed, 1u);
  EXPECT_FALSE(r->errors_by_sqlstate.empty());
  EXPECT_GE(r->reconnects, 1u);
  EXPECT_GT(r->transactions, 100u);
  EXPECT_EQ(r->latency.count(), r->transactions);
}

}  // namespace
}  // namespace pgstream::testing
