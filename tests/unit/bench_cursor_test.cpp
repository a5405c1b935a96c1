#include <gtest/gtest.h>

#include <charconv>
#include <string>
#include <vector>

#include "pgstream/bench/builtin_scripts.hpp"
#include "pgstream/bench/script_cursor.hpp"

namespace pgstream::bench {
namespace {

struct ScriptRun {
  VariableTable names;
  std::vector<Script> scripts;

  void add(std::string_view text, int weight = 1) {
    auto s = parse_script("s" + std::to_string(scripts.size()), text, names);
    ASSERT_TRUE(s.has_value()) << s.error().message();
    s->weight = weight;
    scripts.push_back(std::move(*s));
  }
  ScriptCursor cursor(QueryMode mode, std::int64_t client = 0, std::uint64_t seed = 1) {
    CursorOptions o;
    o.mode = mode;
    o.scale = 2;
    o.client_id = client;
    o.random_seed = seed;
    o.debug_out = nullptr;
    return ScriptCursor(scripts, names, o);
  }
};

// The SQL texts of one pass through the current script.
std::vector<std::string> sql_of(ScriptCursor& c) {
  std::vector<std::string> out;
  for (;;) {
    auto st = c.next();
    EXPECT_TRUE(st.has_value()) << (st ? "" : st.error().message());
    if (!st || st->kind == StepKind::end_of_script) break;
    if (st->kind == StepKind::sql) out.emplace_back(st->sql);
  }
  return out;
}

std::int64_t as_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  EXPECT_TRUE(ec == std::errc{} && p == s.data() + s.size()) << s;
  return v;
}

TEST(BenchCursor, TpcbLikeBindsItsParameters) {
  ScriptRun run;
  auto s = parse_builtin("tpcb-like", run.names);
  ASSERT_TRUE(s.has_value());
  run.scripts.push_back(std::move(*s));
  ScriptCursor c = run.cursor(QueryMode::extended);
  for (int txn = 0; txn < 3; ++txn) {
    c.start(c.choose_script());
    std::vector<Step> steps;
    std::vector<std::vector<std::string>> params;
    for (;;) {
      auto st = c.next();
      ASSERT_TRUE(st.has_value()) << st.error().message();
      if (st->kind == StepKind::end_of_script) break;
      ASSERT_EQ(st->kind, StepKind::sql);
      steps.push_back(*st);
      params.emplace_back();
      for (const Param& p : st->params) {
        EXPECT_FALSE(p.null);
        params.back().emplace_back(p.text);
      }
    }
    ASSERT_EQ(steps.size(), 7u);
    EXPECT_EQ(steps[0].sql, "BEGIN;");
    EXPECT_TRUE(params[0].empty());
    EXPECT_EQ(steps[1].sql, "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;");
    EXPECT_EQ(steps[6].sql, "END;");
    ASSERT_EQ(params[1].size(), 2u);
    ASSERT_EQ(params[5].size(), 4u);
    const std::int64_t delta = as_int(params[1][0]), aid = as_int(params[1][1]);
    EXPECT_GE(aid, 1);
    EXPECT_LE(aid, 200000);  // scale 2
    EXPECT_GE(delta, -5000);
    EXPECT_LE(delta, 5000);
    EXPECT_EQ(params[2], std::vector<std::string>{params[1][1]});  // SELECT ... aid
    const std::int64_t tid = as_int(params[3][1]), bid = as_int(params[4][1]);
    EXPECT_GE(tid, 1);
    EXPECT_LE(tid, 20);
    EXPECT_GE(bid, 1);
    EXPECT_LE(bid, 2);
    // INSERT ... VALUES (:tid, :bid, :aid, :delta, ...)
    EXPECT_EQ(params[5], (std::vector<std::string>{params[3][1], params[4][1], params[1][1], params[1][0]}));
    EXPECT_EQ(c.variables().text(*run.names.find("aid")), params[1][1]);
  }
}

TEST(BenchCursor, SimpleModeSubstitutesValuesIntoTheText) {
  ScriptRun run;
  run.add("\\set a 41 + 1\n\\set d 2.5\n\\set n NULL\n\\set t true\nSELECT :a, :d, :n, :t, ':a', :a::text, :undefined;");
  ScriptCursor c = run.cursor(QueryMode::simple);
  c.start(0);
  EXPECT_EQ(sql_of(c), std::vector<std::string>{"SELECT 42, 2.5, NULL, true, ':a', 42::text, :undefined;"});
  // The buffer is reused: a second transaction gives the same text.
  c.start(0);
  EXPECT_EQ(sql_of(c), std::vector<std::string>{"SELECT 42, 2.5, NULL, true, ':a', 42::text, :undefined;"});
}

TEST(BenchCursor, ExtendedModeSendsNullsAndRefusesUndefinedVariables) {
  ScriptRun run;
  run.add("\\set n NULL\nSELECT :n, :scale, :client_id;\nSELECT :undefined;");
  ScriptCursor c = run.cursor(QueryMode::prepared, 7);
  c.start(0);
  auto st = c.next();
  ASSERT_TRUE(st.has_value());
  ASSERT_EQ(st->params.size(), 3u);
  EXPECT_TRUE(st->params[0].null);
  EXPECT_EQ(st->params[1].text, "2");
  EXPECT_EQ(st->params[2].text, "7");
  auto bad = c.next();
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "script s0 line 3: undefined variable \"undefined\"");
}

TEST(BenchCursor, ConditionalsChooseOneBranch) {
  ScriptRun run;
  run.add(
      "\\if :x = 1\n"
      "SELECT 1;\n"
      "\\elif :x = 2\n"
      "SELECT 2;\n"
      "\\if :x > 100\n"
      "SELECT 'never';\n"
      "\\else\n"
      "SELECT 'nested';\n"
      "\\endif\n"
      "\\elif :x = 3\n"
      "SELECT 3;\n"
      "\\else\n"
      "SELECT 'other';\n"
      "\\endif\n"
      "SELECT 'after';\n");
  const VarSlot x = *run.names.find("x");
  ScriptCursor c = run.cursor(QueryMode::simple);
  const auto with = [&](std::int64_t v) {
    c.variables().set(x, Value::integer(v));
    c.start(0);
    return sql_of(c);
  };
  EXPECT_EQ(with(1), (std::vector<std::string>{"SELECT 1;", "SELECT 'after';"}));
  EXPECT_EQ(with(2), (std::vector<std::string>{"SELECT 2;", "SELECT 'nested';", "SELECT 'after';"}));
  EXPECT_EQ(with(3), (std::vector<std::string>{"SELECT 3;", "SELECT 'after';"}));
  EXPECT_EQ(with(4), (std::vector<std::string>{"SELECT 'other';", "SELECT 'after';"}));
  c.variables().set(x, Value::null());  // NULL is false
  c.start(0);
  EXPECT_EQ(sql_of(c), (std::vector<std::string>{"SELECT 'other';", "SELECT 'after';"}));
}

TEST(BenchCursor, SleepAndPipelineSteps) {
  ScriptRun run;
  run.add("\\set d 5\n\\sleep :d ms\n\\sleep 3\n\\startpipeline\nSELECT 1;\n\\endpipeline\n\\set d -1\n\\sleep :d\n");
  ScriptCursor c = run.cursor(QueryMode::extended);
  c.start(0);
  std::vector<StepKind> kinds;
  std::vector<std::int64_t> sleeps;
  for (;;) {
    auto st = c.next();
    ASSERT_TRUE(st.has_value()) << st.error().message();
    kinds.push_back(st->kind);
    if (st->kind == StepKind::sleep) sleeps.push_back(st->sleep_us);
    if (st->kind == StepKind::start_pipeline) {
      EXPECT_TRUE(c.in_pipeline());
    }
    if (st->kind == StepKind::end_of_script) break;
  }
  EXPECT_EQ(kinds, (std::vector<StepKind>{StepKind::sleep, StepKind::sleep, StepKind::start_pipeline, StepKind::sql,
                                          StepKind::end_pipeline, StepKind::sleep, StepKind::end_of_script}));
  EXPECT_EQ(sleeps, (std::vector<std::int64_t>{5000, 3000000, 0}));
  EXPECT_FALSE(c.in_pipeline());
}

TEST(BenchCursor, GsetStoresTheRowIntoVariables) {
  ScriptRun run;
  run.add("SELECT 1 AS a, 2 AS b \\gset p_\n\\set c :p_a + :p_b\nSELECT :c;");
  ScriptCursor c = run.cursor(QueryMode::simple);
  c.start(0);
  auto st = c.next();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->capture, ResultCapture::gset);
  const ResultColumn row[] = {{"a", "1"}, {"b", "2"}, {"unused", "9"}};
  c.result_row(row);
  c.result_end(1);
  ASSERT_TRUE(c.results_done().has_value());
  auto next = c.next();
  ASSERT_TRUE(next.has_value()) << next.error().message();
  EXPECT_EQ(next->sql, "SELECT 3;");
}

TEST(BenchCursor, GsetNeedsExactlyOneRowAndValidNames) {
  ScriptRun run;
  run.add("SELECT x \\gset\n");
  ScriptCursor c = run.cursor(QueryMode::simple);
  c.start(0);
  ASSERT_TRUE(c.next().has_value());
  c.result_end(0);
  auto none = c.results_done();
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().message(), "script s0 line 1: \\gset: expected one row, got 0");

  c.start(0);
  ASSERT_TRUE(c.next().has_value());
  const ResultColumn r[] = {{"x", "1"}};
  c.result_row(r);
  c.result_row(r);
  c.result_end(2);
  EXPECT_NE(c.results_done().error().message().find("expected one row, got 2"), std::string::npos);

  c.start(0);
  ASSERT_TRUE(c.next().has_value());
  const ResultColumn bad[] = {{"?column?", "1"}};
  c.result_row(bad);
  c.result_end(1);
  EXPECT_NE(c.results_done().error().message().find("invalid variable name"), std::string::npos);
}

TEST(BenchCursor, AsetKeepsTheLastRowOfEveryResult) {
  ScriptRun run;
  run.add("SELECT 1 AS one \\; SELECT 2 AS two WHERE false \\; SELECT 3 AS three \\aset\nSELECT :one, :three;");
  ScriptCursor c = run.cursor(QueryMode::simple);
  c.start(0);
  auto st = c.next();
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->capture, ResultCapture::aset);
  const ResultColumn one[] = {{"one", "1"}};
  const ResultColumn three_a[] = {{"three", "30"}};
  const ResultColumn three_b[] = {{"three", "3"}};
  c.result_row(one);
  c.result_end(1);
  c.result_end(0);
  c.result_row(three_a);
  c.result_row(three_b);
  c.result_end(2);
  ASSERT_TRUE(c.results_done().has_value());
  EXPECT_EQ(sql_of(c), std::vector<std::string>{"SELECT 1, 3;"});
}

TEST(BenchCursor, RuntimeErrorsNameScriptAndLine) {
  ScriptRun run;
  run.add("SELECT 1;\n\\set x 1 / 0\n");
  ScriptCursor c = run.cursor(QueryMode::simple);
  c.start(0);
  ASSERT_TRUE(c.next().has_value());
  auto e = c.next();
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().message(), "script s0 line 2: division by zero");
}

TEST(BenchCursor, DefinesAndPredefinedVariables) {
  ScriptRun run;
  ASSERT_TRUE(run.names.define("who=abc").has_value());
  ASSERT_TRUE(run.names.define("scale=9").has_value());
  run.add("SELECT :who, :scale, :client_id;");
  ScriptCursor c = run.cursor(QueryMode::simple, 3);
  c.start(0);
  EXPECT_EQ(sql_of(c), std::vector<std::string>{"SELECT abc, 9, 3;"});
}

TEST(BenchCursor, ScriptsAreChosenByWeight) {
  ScriptRun run;
  run.add("SELECT 'a';", 1);
  run.add("SELECT 'b';", 3);
  run.add("SELECT 'never';", 0);
  ScriptCursor c = run.cursor(QueryMode::simple);
  int counts[3] = {};
  constexpr int n = 40000;
  for (int k = 0; k < n; ++k) ++counts[c.choose_script()];
  EXPECT_EQ(counts[2], 0);
  EXPECT_NEAR(static_cast<double>(counts[0]) / n, 0.25, 0.02);
  EXPECT_NEAR(static_cast<double>(counts[1]) / n, 0.75, 0.02);
}

TEST(BenchCursor, DrawsDependOnSeedAndClient) {
  ScriptRun run;
  run.add("\\set r random(1, 1000000000)\nSELECT :r, :default_seed;");
  const auto draw = [&](std::int64_t client, std::uint64_t seed) {
    ScriptCursor c = run.cursor(QueryMode::simple, client, seed);
    c.start(0);
    return sql_of(c).at(0);
  };
  EXPECT_EQ(draw(0, 5), draw(0, 5));
  EXPECT_NE(draw(0, 5), draw(1, 5));
  EXPECT_NE(draw(0, 5), draw(0, 6));
  // default_seed is shared by the clients of a run.
  const auto seed_part = [](const std::string& s) { return s.substr(s.find(',')); };
  EXPECT_EQ(seed_part(draw(0, 5)), seed_part(draw(1, 5)));
}

TEST(BenchCursor, ModeChecks) {
  ScriptRun run;
  run.add("\\startpipeline\nSELECT 1;\n\\endpipeline\n");
  EXPECT_NE(check_scripts_for_mode(run.scripts, QueryMode::simple).error().message().find("pipeline"), std::string::npos);
  EXPECT_TRUE(check_scripts_for_mode(run.scripts, QueryMode::extended).has_value());
  ScriptRun compound;
  compound.add("SELECT 1 \\; SELECT 2;");
  EXPECT_TRUE(check_scripts_for_mode(compound.scripts, QueryMode::simple).has_value());
  EXPECT_FALSE(check_scripts_for_mode(compound.scripts, QueryMode::prepared).has_value());
  EXPECT_EQ(*parse_query_mode("prepared"), QueryMode::prepared);
  EXPECT_FALSE(parse_query_mode("fast").has_value());
  EXPECT_EQ(prepared_statement_name(0, 4), "P0_4");
}

}  // namespace
}  // namespace pgstream::bench
