#include <gtest/gtest.h>

#include <string>

#include "pgstream/bench/builtin_scripts.hpp"
#include "pgstream/bench/script.hpp"

namespace pgstream::bench {
namespace {

Script parse_ok(std::string_view text, VariableTable& names) {
  auto s = parse_script("test.sql", text, names);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message());
  return s ? std::move(*s) : Script{};
}

std::string parse_error(std::string_view text) {
  VariableTable names;
  auto s = parse_script("test.sql", text, names);
  EXPECT_FALSE(s.has_value()) << text;
  return s ? std::string() : s.error().message();
}

TEST(BenchScript, EveryBuiltinParses) {
  struct Expect {
    std::string_view name;
    std::size_t commands;
    std::size_t sql;
  };
  for (const Expect e : {Expect{"tpcb-like", 11, 7}, Expect{"simple-update", 9, 5}, Expect{"select-only", 2, 1},
                         Expect{"insert", 5, 1}}) {
    VariableTable names;
    auto s = parse_builtin(e.name, names);
    ASSERT_TRUE(s.has_value()) << e.name << ": " << s.error().message();
    EXPECT_EQ(s->commands.size(), e.commands) << e.name;
    EXPECT_EQ(s->sql_count(), e.sql) << e.name;
  }
  VariableTable names;
  auto tpcb = parse_builtin("tpcb-like", names);
  ASSERT_TRUE(tpcb.has_value());
  EXPECT_EQ(tpcb->name, "<builtin: TPC-B (sort of)>");
  const SqlCommand& update = tpcb->commands[5].sql;
  EXPECT_EQ(update.text, "UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;");
  EXPECT_EQ(update.parameterized, "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;");
  ASSERT_EQ(update.params.size(), 2u);
  EXPECT_EQ(names.name(update.params[0]), "delta");
  EXPECT_EQ(names.name(update.params[1]), "aid");
  EXPECT_EQ(tpcb->commands[5].line, 6u);
  const SqlCommand& insert = tpcb->commands[9].sql;
  EXPECT_EQ(insert.parameterized,
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP);");
}

TEST(BenchScript, BuiltinNamesMayBeAbbreviated) {
  EXPECT_EQ((*find_builtin("tpcb"))->name, "tpcb-like");
  EXPECT_EQ((*find_builtin("si"))->name, "simple-update");
  EXPECT_EQ((*find_builtin("i"))->name, "insert");
  auto ambiguous = find_builtin("s");
  ASSERT_FALSE(ambiguous.has_value());
  EXPECT_NE(ambiguous.error().message().find("ambiguous"), std::string::npos);
  EXPECT_FALSE(find_builtin("nope").has_value());
  EXPECT_FALSE(find_builtin("").has_value());
}

TEST(BenchScript, SqlEndsAtSemicolonOutsideQuotesCommentsAndParentheses) {
  VariableTable names;
  const Script s = parse_ok(
      "-- a comment line\n"
      "SELECT 1\n"
      "  + 2;\n"
      "SELECT ';', \"a;b\", $$x;y$$, $t$ ; $t$ /* ; /* nested ; */ */ -- ;\n"
      ";\n"
      "SELECT (1;2);\n"
      "SELECT E'it\\'s; fine', 'it''s; fine';\n"
      "SELECT 'last' -- without a semicolon\n",
      names);
  ASSERT_EQ(s.commands.size(), 5u);
  EXPECT_EQ(s.commands[0].sql.text, "SELECT 1\n  + 2;");
  EXPECT_EQ(s.commands[0].line, 2u);
  EXPECT_EQ(s.commands[1].sql.text, "SELECT ';', \"a;b\", $$x;y$$, $t$ ; $t$ /* ; /* nested ; */ */ -- ;\n;");
  EXPECT_EQ(s.commands[1].line, 4u);
  EXPECT_EQ(s.commands[2].sql.text, "SELECT (1;2);");
  EXPECT_EQ(s.commands[3].sql.text, "SELECT E'it\\'s; fine', 'it''s; fine';");
  EXPECT_EQ(s.commands[4].sql.text, "SELECT 'last' -- without a semicolon");
  EXPECT_EQ(s.commands[4].line, 8u);
}

TEST(BenchScript, VariableReferencesSkipQuotesCommentsAndCasts) {
  VariableTable names;
  const Script s = parse_ok(
      "SELECT :a, ':b', \":c\", :d::int, E'\\':e', $$:f$$, x:::g, /* :h */ $1, :_j, :2k, '::';\n", names);
  ASSERT_EQ(s.commands.size(), 1u);
  const SqlCommand& q = s.commands[0].sql;
  EXPECT_EQ(q.parameterized,
            "SELECT $1, ':b', \":c\", $2::int, E'\\':e', $$:f$$, x:::g, /* :h */ $1, $3, :2k, '::';");
  ASSERT_EQ(q.params.size(), 3u);
  EXPECT_EQ(names.name(q.params[0]), "a");
  EXPECT_EQ(names.name(q.params[1]), "d");
  EXPECT_EQ(names.name(q.params[2]), "_j");
  EXPECT_FALSE(names.find("b").has_value());
  EXPECT_FALSE(names.find("g").has_value());
  EXPECT_FALSE(names.find("h").has_value());
}

TEST(BenchScript, EachReferenceIsItsOwnParameter) {
  VariableTable names;
  const Script s = parse_ok("SELECT :x::int, :x::text;", names);
  EXPECT_EQ(s.commands[0].sql.parameterized, "SELECT $1::int, $2::text;");
  ASSERT_EQ(s.commands[0].sql.params.size(), 2u);
  EXPECT_EQ(s.commands[0].sql.params[0], s.commands[0].sql.params[1]);
}

TEST(BenchScript, BackslashSemicolonMakesACompoundQuery) {
  VariableTable names;
  const Script s = parse_ok("SELECT 1 \\; SELECT 2 \\; SELECT \\:x;\nSELECT 3;", names);
  ASSERT_EQ(s.commands.size(), 2u);
  EXPECT_EQ(s.commands[0].sql.text, "SELECT 1 ; SELECT 2 ; SELECT :x;");
  EXPECT_EQ(s.commands[0].sql.statements, 3u);
  EXPECT_TRUE(s.commands[0].sql.params.empty());  // "\:" is a literal colon
  EXPECT_EQ(s.commands[1].sql.statements, 1u);
}

TEST(BenchScript, MetaCommands) {
  VariableTable names;
  const Script s = parse_ok(
      "\\set nbranches 10 * :scale\n"
      "\\set x 1 + \\\n"
      "   2\n"
      "\\sleep 10 ms\n"
      "\\sleep :x us\n"
      "\\sleep 2\n"
      "SELECT abalance FROM pgbench_accounts WHERE aid = :x \\gset p_\n"
      "SELECT 1 \\; SELECT 2 AS two \\aset\n"
      "\\startpipeline\n"
      "SELECT 1;\n"
      "\\endpipeline\n",
      names);
  ASSERT_EQ(s.commands.size(), 10u);
  EXPECT_EQ(s.commands[0].kind, CommandKind::set);
  EXPECT_EQ(names.name(s.commands[0].target), "nbranches");
  EXPECT_EQ(s.commands[1].kind, CommandKind::set);
  EXPECT_EQ(s.commands[1].line, 2u);
  EXPECT_EQ(s.commands[2].kind, CommandKind::sleep);
  EXPECT_EQ(s.commands[2].line, 4u);
  EXPECT_EQ(s.commands[2].sleep.amount, 10);
  EXPECT_EQ(s.commands[2].sleep.unit_us, 1000);
  EXPECT_TRUE(s.commands[3].sleep.from_variable);
  EXPECT_EQ(names.name(s.commands[3].sleep.slot), "x");
  EXPECT_EQ(s.commands[3].sleep.unit_us, 1);
  EXPECT_EQ(s.commands[4].sleep.unit_us, 1000000);
  EXPECT_EQ(s.commands[5].sql.text, "SELECT abalance FROM pgbench_accounts WHERE aid = :x");
  EXPECT_EQ(s.commands[5].sql.capture, ResultCapture::gset);
  EXPECT_EQ(s.commands[5].sql.capture_prefix, "p_");
  EXPECT_EQ(s.commands[6].sql.capture, ResultCapture::aset);
  EXPECT_EQ(s.commands[6].sql.capture_prefix, "");
  EXPECT_EQ(s.commands[7].kind, CommandKind::start_pipeline);
  EXPECT_EQ(s.commands[9].kind, CommandKind::end_pipeline);
}

TEST(BenchScript, ConditionalsAreLinked) {
  VariableTable names;
  const Script s = parse_ok(
      "\\if :a\n"            // 0
      "SELECT 1;\n"          // 1
      "\\elif :b\n"          // 2
      "\\if :c\n"            // 3
      "\\endif\n"            // 4
      "\\else\n"             // 5
      "SELECT 3;\n"          // 6
      "\\endif\n",           // 7
      names);
  ASSERT_EQ(s.commands.size(), 8u);
  EXPECT_EQ(s.commands[0].next_branch, 2u);
  EXPECT_EQ(s.commands[2].next_branch, 5u);
  EXPECT_EQ(s.commands[5].next_branch, 7u);
  EXPECT_EQ(s.commands[0].endif, 7u);
  EXPECT_EQ(s.commands[2].endif, 7u);
  EXPECT_EQ(s.commands[5].endif, 7u);
  EXPECT_EQ(s.commands[3].next_branch, 4u);
  EXPECT_EQ(s.commands[3].endif, 4u);
}

TEST(BenchScript, ConditionalNestingErrorsNameTheLine) {
  EXPECT_EQ(parse_error("\\if 1\nSELECT 1;\n\\else\n\\else\n\\endif\n"),
            "script test.sql line 4 column 1: \\else after \\else");
  EXPECT_EQ(parse_error("\\if 1\n\\else\n\\elif 2\n\\endif\n"), "script test.sql line 3 column 1: \\elif after \\else");
  EXPECT_EQ(parse_error("SELECT 1;\n\\endif\n"), "script test.sql line 2 column 1: \\endif without matching \\if");
  EXPECT_EQ(parse_error("SELECT 1;\n  \\elif 1\n"), "script test.sql line 2 column 3: \\elif without matching \\if");
  EXPECT_EQ(parse_error("\\else\n"), "script test.sql line 1 column 1: \\else without matching \\if");
  EXPECT_EQ(parse_error("\\if 1\n\\if 2\n\\endif\nSELECT 1;\n"), "script test.sql line 1 column 1: \\if without matching \\endif");
  EXPECT_EQ(parse_error("\\if\n\\endif\n"), "script test.sql line 1 column 1: missing expression after \\if");
  EXPECT_EQ(parse_error("\\if 1\n\\endif x\n"), "script test.sql line 2 column 8: unexpected argument \"x\" to \\endif");
}

TEST(BenchScript, PipelinesArePairedAndKeepGsetOut) {
  EXPECT_NE(parse_error("\\startpipeline\nSELECT 1;\n").find("line 1 column 1: \\startpipeline without matching \\endpipeline"),
            std::string::npos);
  EXPECT_NE(parse_error("SELECT 1;\n\\endpipeline\n").find("line 2 column 1: \\endpipeline without matching"), std::string::npos);
  EXPECT_NE(parse_error("\\startpipeline\n\\startpipeline\n").find("line 2"), std::string::npos);
  EXPECT_NE(parse_error("\\startpipeline\nSELECT 1 \\gset\n\\endpipeline\n").find("cannot be used in pipeline mode"),
            std::string::npos);
  EXPECT_NE(parse_error("\\if 1\n\\startpipeline\n\\else\n\\endpipeline\n\\endif\n").find("line 3"), std::string::npos);
  EXPECT_NE(parse_error("\\startpipeline\n\\if 1\n\\endpipeline\n\\endif\n").find("line 3"), std::string::npos);
  VariableTable names;
  const Script ok = parse_ok("\\if 1\n\\startpipeline\nSELECT 1;\n\\endpipeline\n\\endif\n", names);
  EXPECT_EQ(ok.commands.size(), 5u);
}

TEST(BenchScript, MetaCommandErrors) {
  EXPECT_EQ(parse_error("\\set x 1 + * 2\n"), "script test.sql line 1 column 12: syntax error at \"*\"");
  EXPECT_EQ(parse_error("SELECT 1;\n\\set x 1 +\\\n  * 2\n"), "script test.sql line 3 column 3: syntax error at \"*\"");
  EXPECT_NE(parse_error("\\set 1x 2\n").find("column 6: invalid variable name"), std::string::npos);
  EXPECT_NE(parse_error("\\set x\n").find("missing argument"), std::string::npos);
  EXPECT_NE(parse_error("\\set\n").find("missing argument"), std::string::npos);
  EXPECT_NE(parse_error("\\sleep\n").find("missing argument"), std::string::npos);
  EXPECT_NE(parse_error("\\sleep x\n").find("invalid sleep time"), std::string::npos);
  EXPECT_NE(parse_error("\\sleep 1.5\n").find("invalid sleep time"), std::string::npos);
  EXPECT_NE(parse_error("\\sleep 1 h\n").find("column 10: unrecognized time unit"), std::string::npos);
  EXPECT_NE(parse_error("\\sleep 1 s s\n").find("too many arguments"), std::string::npos);
  EXPECT_NE(parse_error("\\gset\n").find("\\gset must follow an SQL command"), std::string::npos);
  EXPECT_NE(parse_error("SELECT 1;\n\\set x 1\n\\aset\n").find("line 3 column 1: \\aset must follow an SQL command"),
            std::string::npos);
  EXPECT_NE(parse_error("SELECT 1 \\gset\n\\gset\n").find("must follow"), std::string::npos);
  EXPECT_NE(parse_error("SELECT 1 \\gset a b\n").find("too many arguments"), std::string::npos);
  EXPECT_NE(parse_error("\\shell ls\n").find("\\shell is not supported"), std::string::npos);
  EXPECT_NE(parse_error("\\setshell x echo 1\n").find("\\setshell is not supported"), std::string::npos);
  EXPECT_NE(parse_error("\\foo\n").find("invalid command \"\\foo\""), std::string::npos);
  EXPECT_NE(parse_error("SELECT 'open\n").find("line 1 column 8: unterminated quoted string"), std::string::npos);
  EXPECT_NE(parse_error("SELECT $x$ open\n").find("unterminated dollar-quoted"), std::string::npos);
  EXPECT_NE(parse_error("SELECT /* open\n").find("unterminated /* comment"), std::string::npos);
  EXPECT_EQ(parse_error("  -- nothing\n\n"), "script test.sql contains no commands");
}

TEST(BenchScript, SpecsCarryWeights) {
  auto a = parse_script_spec("file.sql@5");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->name, "file.sql");
  EXPECT_EQ(a->weight, 5);
  auto b = parse_script_spec("tpcb-like");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->name, "tpcb-like");
  EXPECT_EQ(b->weight, 1);
  auto c = parse_script_spec("dir@x/f.sql@0");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->name, "dir@x/f.sql");
  EXPECT_EQ(c->weight, 0);
  EXPECT_NE(parse_script_spec("f.sql@-1").error().message().find("out of range"), std::string::npos);
  EXPECT_NE(parse_script_spec("f.sql@2147483648").error().message().find("out of range"), std::string::npos);
  EXPECT_NE(parse_script_spec("f.sql@abc").error().message().find("invalid weight"), std::string::npos);
  EXPECT_NE(parse_script_spec("f.sql@").error().message().find("invalid weight"), std::string::npos);
  EXPECT_FALSE(parse_script_spec("@3").has_value());

  std::vector<Script> scripts(2);
  scripts[0].weight = 0;
  scripts[1].weight = 0;
  EXPECT_NE(total_weight(scripts).error().message().find("must not be zero"), std::string::npos);
  scripts[1].weight = 3;
  EXPECT_EQ(*total_weight(scripts), 3);
}

TEST(BenchScript, DefinesFromTheCommandLine) {
  VariableTable names;
  EXPECT_TRUE(names.define("x=5").has_value());
  EXPECT_TRUE(names.define("x=6").has_value());  // the last one wins
  EXPECT_TRUE(names.define("empty=").has_value());
  ASSERT_EQ(names.defines().size(), 2u);
  EXPECT_EQ(names.defines()[0].second, "6");
  EXPECT_EQ(names.name(names.defines()[0].first), "x");
  EXPECT_FALSE(names.define("1x=5").has_value());
  EXPECT_FALSE(names.define("novalue").has_value());
  EXPECT_FALSE(names.define("=5").has_value());
  EXPECT_EQ(names.find("scale"), VariableTable::scale);
  EXPECT_EQ(names.find("client_id"), VariableTable::client_id);
}

}  // namespace
}  // namespace pgstream::bench
