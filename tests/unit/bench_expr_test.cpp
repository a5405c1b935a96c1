#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "pgstream/bench/expression.hpp"

namespace pgstream::bench {
namespace {

struct Env {
  VariableTable names;
  Variables vars;
  Prng rng{42};
  std::FILE* debug_out = nullptr;

  Result<Value> eval(std::string_view text) {
    auto e = parse_expression(text, names);
    if (!e) return make_error(ErrorCategory::config, "parse error at " + std::to_string(e.error().offset) + ": " + e.error().message);
    vars.resize(names.size());
    EvalContext ctx{vars, names, rng, debug_out};
    return evaluate(*e, ctx);
  }
  std::int64_t integer(std::string_view text) {
    auto v = eval(text);
    EXPECT_TRUE(v.has_value()) << text << ": " << (v ? "" : v.error().message());
    if (!v) return 0;
    EXPECT_EQ(v->type, ValueType::integer) << text;
    return v->i;
  }
  double real(std::string_view text) {
    auto v = eval(text);
    EXPECT_TRUE(v.has_value()) << text << ": " << (v ? "" : v.error().message());
    if (!v) return 0;
    EXPECT_EQ(v->type, ValueType::real) << text;
    return v->d;
  }
  Value value(std::string_view text) {
    auto v = eval(text);
    EXPECT_TRUE(v.has_value()) << text << ": " << (v ? "" : v.error().message());
    return v ? *v : Value::integer(-424242);
  }
  std::string error(std::string_view text) {
    auto v = eval(text);
    EXPECT_FALSE(v.has_value()) << text;
    return v ? std::string() : v.error().message();
  }
};

TEST(BenchExpr, PrecedenceFollowsPgbench) {
  Env env;
  EXPECT_EQ(env.integer("1 + 2 * 3"), 7);
  EXPECT_EQ(env.integer("(1 + 2) * 3"), 9);
  EXPECT_EQ(env.integer("10 - 4 - 3"), 3);
  EXPECT_EQ(env.integer("100 / 10 / 5"), 2);
  EXPECT_EQ(env.integer("2 * 3 % 4"), 2);
  EXPECT_EQ(env.integer("-2 * 3"), -6);
  EXPECT_EQ(env.integer("- - 3"), 3);
  EXPECT_EQ(env.integer("+4"), 4);
  EXPECT_EQ(env.integer("1 << 2 + 1"), 8);    // + binds tighter than <<
  EXPECT_EQ(env.integer("1 | 2 & 3"), 3);     // same level, left to right: (1 | 2) & 3
  EXPECT_EQ(env.integer("6 & 3 # 1"), 3);     // (6 & 3) # 1
  EXPECT_EQ(env.integer("~ 1 + 2"), -4);      // ~ takes the sum: ~(3)
  EXPECT_EQ(env.integer("~ 1 | 2"), -2);      // but not the | on its level: (~1) | 2
  EXPECT_EQ(env.value("NOT 1 = 2"), Value::boolean(true));
  EXPECT_EQ(env.value("true OR false AND false"), Value::boolean(true));
  EXPECT_EQ(env.value("(true OR false) AND false"), Value::boolean(false));
  EXPECT_EQ(env.value("1 + 1 = 2 IS TRUE"), Value::boolean(true));
  EXPECT_EQ(env.value("NOT 1 IS NULL"), Value::boolean(true));
  EXPECT_EQ(env.value("1 < 2 AND 3 >= 3 OR 1 / 1 = 0"), Value::boolean(true));
}

TEST(BenchExpr, ComparisonsAreNotAssociativeAndSyntaxErrorsHaveOffsets) {
  VariableTable names;
  auto e = parse_expression("1 < 2 < 3", names);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().offset, 6u);
  auto f = parse_expression("1 + * 2", names);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().offset, 4u);
  EXPECT_FALSE(parse_expression("", names).has_value());
  EXPECT_FALSE(parse_expression("(1 + 2", names).has_value());
  EXPECT_FALSE(parse_expression("1 2", names).has_value());
  EXPECT_FALSE(parse_expression("1 IS 2", names).has_value());
  EXPECT_FALSE(parse_expression("1 IS NULL IS NULL", names).has_value());
  EXPECT_FALSE(parse_expression("CASE 1 WHEN 1 THEN 2 END", names).has_value());
  EXPECT_FALSE(parse_expression(": x", names).has_value());
  EXPECT_FALSE(parse_expression("1 ! 2", names).has_value());
  auto g = parse_expression("nosuch(1)", names);
  ASSERT_FALSE(g.has_value());
  EXPECT_NE(g.error().message.find("unexpected function name"), std::string::npos);
  auto h = parse_expression("random(1)", names);
  ASSERT_FALSE(h.has_value());
  EXPECT_NE(h.error().message.find("number of arguments"), std::string::npos);
  EXPECT_FALSE(parse_expression("pi(1)", names).has_value());
  EXPECT_FALSE(parse_expression("greatest()", names).has_value());
  EXPECT_FALSE(parse_expression("least(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17)", names).has_value());
  EXPECT_TRUE(parse_expression("least(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16)", names).has_value());
  std::string deep(300, '(');
  deep += "1" + std::string(300, ')');
  EXPECT_FALSE(parse_expression(deep, names).has_value());
}

TEST(BenchExpr, LiteralsAndTypes) {
  Env env;
  EXPECT_EQ(env.integer("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(env.integer("-9223372036854775808"), INT64_MIN);
  EXPECT_NE(env.error("9223372036854775808").find("bigint constant overflow"), std::string::npos);
  EXPECT_NE(env.error("99999999999999999999").find("bigint constant overflow"), std::string::npos);
  EXPECT_DOUBLE_EQ(env.real("1e3"), 1000.0);
  EXPECT_DOUBLE_EQ(env.real(".5"), 0.5);
  EXPECT_DOUBLE_EQ(env.real("2.5E-1"), 0.25);
  EXPECT_EQ(env.value("TRUE"), Value::boolean(true));
  EXPECT_EQ(env.value("false"), Value::boolean(false));
  EXPECT_EQ(env.value("NuLl"), Value::null());
  EXPECT_EQ(env.integer("5 / 2"), 2);
  EXPECT_EQ(env.integer("-7 / 2"), -3);
  EXPECT_DOUBLE_EQ(env.real("5.0 / 2"), 2.5);
  EXPECT_DOUBLE_EQ(env.real("1 + 2.5"), 3.5);
  EXPECT_EQ(env.integer("7 % 3"), 1);
  EXPECT_EQ(env.integer("-7 % 3"), -1);
  EXPECT_EQ(env.integer("-9223372036854775808 % -1"), 0);
}

TEST(BenchExpr, IntegerOverflowAndDivisionByZeroAreErrors) {
  Env env;
  EXPECT_NE(env.error("9223372036854775807 + 1").find("bigint out of range"), std::string::npos);
  EXPECT_NE(env.error("-9223372036854775808 - 1").find("bigint out of range"), std::string::npos);
  EXPECT_NE(env.error("4611686018427387904 * 2").find("bigint out of range"), std::string::npos);
  EXPECT_NE(env.error("-9223372036854775808 / -1").find("bigint out of range"), std::string::npos);
  EXPECT_NE(env.error("-(-9223372036854775808)").find("bigint out of range"), std::string::npos);
  EXPECT_NE(env.error("1 / 0").find("division by zero"), std::string::npos);
  EXPECT_NE(env.error("1.5 / 0").find("division by zero"), std::string::npos);
  EXPECT_NE(env.error("1 % 0").find("division by zero"), std::string::npos);
  EXPECT_NE(env.error("mod(1, 0)").find("division by zero"), std::string::npos);
  EXPECT_NE(env.error("true + 1").find("cannot coerce boolean"), std::string::npos);
  EXPECT_NE(env.error("int(1e30)").find("double to int overflow"), std::string::npos);
  EXPECT_NE(env.error("1 << 64").find("shift count"), std::string::npos);
  EXPECT_NE(env.error("1 >> -1").find("shift count"), std::string::npos);
}

TEST(BenchExpr, ComparisonsAndBitOperators) {
  Env env;
  EXPECT_EQ(env.value("1 = 1.0"), Value::boolean(true));
  EXPECT_EQ(env.value("2 <> 3"), Value::boolean(true));
  EXPECT_EQ(env.value("2 != 2"), Value::boolean(false));
  EXPECT_EQ(env.value("3 >= 3"), Value::boolean(true));
  EXPECT_EQ(env.value("2 > 3"), Value::boolean(false));
  EXPECT_EQ(env.value("2 <= 1"), Value::boolean(false));
  EXPECT_EQ(env.value("1.5 < 2"), Value::boolean(true));
  EXPECT_EQ(env.integer("5 & 3"), 1);
  EXPECT_EQ(env.integer("5 | 3"), 7);
  EXPECT_EQ(env.integer("5 # 3"), 6);
  EXPECT_EQ(env.integer("~0"), -1);
  EXPECT_EQ(env.integer("1 << 62"), std::int64_t{1} << 62);
  EXPECT_EQ(env.integer("-8 >> 1"), -4);
}

TEST(BenchExpr, NullsAndThreeValuedLogic) {
  Env env;
  EXPECT_EQ(env.value("NULL + 1"), Value::null());
  EXPECT_EQ(env.value("abs(NULL)"), Value::null());
  EXPECT_EQ(env.value("NOT NULL"), Value::null());
  EXPECT_EQ(env.value("NULL AND false"), Value::boolean(false));
  EXPECT_EQ(env.value("NULL AND true"), Value::null());
  EXPECT_EQ(env.value("NULL OR true"), Value::boolean(true));
  EXPECT_EQ(env.value("NULL OR false"), Value::null());
  EXPECT_EQ(env.value("false AND 1 / 0 = 1"), Value::boolean(false));  // lazy
  EXPECT_EQ(env.value("true OR 1 / 0 = 1"), Value::boolean(true));
  EXPECT_EQ(env.value("NULL IS NULL"), Value::boolean(true));
  EXPECT_EQ(env.value("NULL ISNULL"), Value::boolean(true));
  EXPECT_EQ(env.value("1 NOTNULL"), Value::boolean(true));
  EXPECT_EQ(env.value("1 IS NOT NULL"), Value::boolean(true));
  EXPECT_EQ(env.value("true IS TRUE"), Value::boolean(true));
  EXPECT_EQ(env.value("1 IS TRUE"), Value::boolean(false));  // only a boolean is TRUE
  EXPECT_EQ(env.value("false IS NOT FALSE"), Value::boolean(false));
  EXPECT_EQ(env.value("least(1, NULL)"), Value::null());
}

TEST(BenchExpr, CaseWhen) {
  Env env;
  EXPECT_EQ(env.integer("CASE WHEN 1 > 2 THEN 10 WHEN 2 > 1 THEN 20 ELSE 30 END"), 20);
  EXPECT_EQ(env.integer("case when false then 1 else 2 end"), 2);
  EXPECT_EQ(env.value("CASE WHEN false THEN 1 END"), Value::null());
  EXPECT_EQ(env.integer("CASE WHEN NULL THEN 1 ELSE 2 END"), 2);   // NULL is not true
  EXPECT_EQ(env.integer("CASE WHEN 1.0 THEN 1 ELSE 2 END"), 1);    // a non-zero number is
  EXPECT_EQ(env.integer("CASE WHEN 0 = 0 THEN -1 ELSE 1 / 0 END"), -1);  // lazy
}

TEST(BenchExpr, Variables) {
  Env env;
  const VarSlot x = env.names.intern("x");
  const VarSlot t = env.names.intern("t");
  env.vars.resize(env.names.size());
  env.vars.set(x, Value::integer(20));
  env.vars.set_text(t, " 7 ");
  EXPECT_EQ(env.integer(":x * 2 + :t"), 47);
  env.vars.set_text(t, "2.5");
  EXPECT_DOUBLE_EQ(env.real(":t * 2"), 5.0);
  env.vars.set_text(t, "off");
  EXPECT_EQ(env.value("NOT :t"), Value::boolean(true));
  env.vars.set_text(t, "abc");
  EXPECT_NE(env.error(":t + 1").find("malformed variable \"t\" value: \"abc\""), std::string::npos);
  EXPECT_NE(env.error(":nope + 1").find("undefined variable \"nope\""), std::string::npos);
  env.vars.set_text(t, "two\nlines \"q\"");  // text from the server stays on one line in messages
  EXPECT_NE(env.error(":t").find("value: \"two\\x0alines \\\"q\\\"\""), std::string::npos);
}

TEST(BenchExpr, VariableTextIsReadLikePgbench) {
  EXPECT_EQ(parse_variable_text("42"), Value::integer(42));
  EXPECT_EQ(parse_variable_text("-42"), Value::integer(-42));
  EXPECT_EQ(parse_variable_text("+42"), Value::integer(42));
  EXPECT_EQ(parse_variable_text("1.5"), Value::real(1.5));
  EXPECT_EQ(parse_variable_text("NULL"), Value::null());
  EXPECT_EQ(parse_variable_text("t"), Value::boolean(true));
  EXPECT_EQ(parse_variable_text("Yes"), Value::boolean(true));
  EXPECT_EQ(parse_variable_text("on"), Value::boolean(true));
  EXPECT_EQ(parse_variable_text("of"), Value::boolean(false));
  EXPECT_EQ(parse_variable_text("fal"), Value::boolean(false));
  EXPECT_EQ(parse_variable_text("o"), std::nullopt);
  EXPECT_EQ(parse_variable_text(""), std::nullopt);
  EXPECT_EQ(parse_variable_text("12abc"), std::nullopt);
  EXPECT_EQ(parse_variable_text("++1"), std::nullopt);
}

TEST(BenchExpr, Functions) {
  Env env;
  EXPECT_EQ(env.integer("abs(-5)"), 5);
  EXPECT_DOUBLE_EQ(env.real("abs(-2.5)"), 2.5);
  EXPECT_NE(env.error("abs(-9223372036854775808)").find("bigint out of range"), std::string::npos);
  EXPECT_DOUBLE_EQ(env.real("double(3)"), 3.0);
  EXPECT_NE(env.error("double(true)").find("cannot coerce boolean to double"), std::string::npos);
  EXPECT_DOUBLE_EQ(env.real("exp(0)"), 1.0);
  EXPECT_DOUBLE_EQ(env.real("ln(exp(2))"), 2.0);
  EXPECT_DOUBLE_EQ(env.real("sqrt(16)"), 4.0);
  EXPECT_NEAR(env.real("pi()"), 3.14159265358979, 1e-12);
  EXPECT_DOUBLE_EQ(env.real("pow(2, 10)"), 1024.0);
  EXPECT_DOUBLE_EQ(env.real("power(4, 0.5)"), 2.0);
  EXPECT_EQ(env.integer("greatest(5, 4, 3, 2)"), 5);  // pgbench documentation examples
  EXPECT_DOUBLE_EQ(env.real("least(5, 4, 3, 2.1)"), 2.1);
  EXPECT_EQ(env.integer("int(5.4 + 3.8)"), 9);
  EXPECT_EQ(env.integer("greatest(7)"), 7);
  EXPECT_DOUBLE_EQ(env.real("greatest(1, 2.5)"), 2.5);
  EXPECT_EQ(env.integer("least(4, 2, 9)"), 2);
  EXPECT_EQ(env.integer("int(-2.7)"), -3);
  EXPECT_EQ(env.integer("mod(10, 3)"), 1);
  EXPECT_EQ(env.integer("ABS(-1)"), 1);  // names are case-insensitive
  // Documented values, so scripts hashing keys compare with pgbench.
  EXPECT_EQ(env.integer("hash(10, 5432)"), -5817877081768721676LL);
  EXPECT_EQ(env.integer("hash_murmur2(10, 5432)"), -5817877081768721676LL);
  EXPECT_EQ(env.integer("hash_fnv1a(10, 5432)"), -7793829335365542153LL);
  env.names.intern("default_seed");
  env.vars.resize(env.names.size());
  env.vars.set(VariableTable::default_seed, Value::integer(99));
  EXPECT_EQ(env.integer("hash(10)"), env.integer("hash(10, 99)"));
  EXPECT_EQ(env.integer("hash_fnv1a(10)"), env.integer("hash_fnv1a(10, 99)"));
  EXPECT_EQ(env.integer("permute(3, 10)"), env.integer("permute(3, 10, 99)"));
}

TEST(BenchExpr, DebugPrintsAndReturnsItsArgument) {
  Env env;
  env.debug_out = std::tmpfile();
  ASSERT_NE(env.debug_out, nullptr);
  EXPECT_EQ(env.integer("debug(2 + 3) * 2"), 10);
  EXPECT_EQ(env.value("debug(NULL)"), Value::null());
  std::rewind(env.debug_out);
  char buf[128] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, env.debug_out);
  std::fclose(env.debug_out);
  EXPECT_EQ(std::string(buf, n), "debug: int 5\ndebug: null\n");
}

TEST(BenchExpr, PermuteIsABijectionOfTheRange) {
  for (std::int64_t size : {1, 2, 3, 10, 100, 1000, 4096, 4097}) {
    for (std::int64_t seed : {0, 1, 12345}) {
      std::vector<bool> seen(static_cast<std::size_t>(size), false);
      for (std::int64_t i = 0; i < size; ++i) {
        auto p = permute(i, size, seed);
        ASSERT_TRUE(p.has_value());
        ASSERT_GE(*p, 0);
        ASSERT_LT(*p, size);
        ASSERT_FALSE(seen[static_cast<std::size_t>(*p)]) << "size " << size << " seed " << seed << " i " << i;
        seen[static_cast<std::size_t>(*p)] = true;
      }
    }
  }
  EXPECT_EQ(*permute(-1, 10, 5), *permute(9, 10, 5));  // taken modulo size
  EXPECT_EQ(*permute(13, 10, 5), *permute(3, 10, 5));
  EXPECT_NE(*permute(0, 1000000, 1), *permute(0, 1000000, 2));  // the seed chooses the permutation
  EXPECT_FALSE(permute(0, 0, 1).has_value());
  EXPECT_GE(*permute(INT64_MAX, INT64_MAX, 3), 0);
}

TEST(BenchExpr, RandomArgumentChecks) {
  Env env;
  for (int k = 0; k < 100; ++k) {
    const auto v = env.integer("random(1, 10)");
    EXPECT_GE(v, 1);
    EXPECT_LE(v, 10);
  }
  EXPECT_EQ(env.integer("random(5, 5)"), 5);
  EXPECT_NE(env.error("random(5, 1)").find("empty range"), std::string::npos);
  EXPECT_NE(env.error("random(-9223372036854775808, 9223372036854775807)").find("too large"), std::string::npos);
  EXPECT_NE(env.error("random(0, 9223372036854775807)").find("too large"), std::string::npos);
  EXPECT_TRUE(env.eval("random(1, 9223372036854775807)").has_value());
  EXPECT_NE(env.error("random_exponential(1, 10, 0)").find("exponential parameter must be greater than zero"), std::string::npos);
  EXPECT_NE(env.error("random_exponential(1, 10, -1.5)").find("greater than zero"), std::string::npos);
  EXPECT_NE(env.error("random_gaussian(1, 10, 1.99)").find("gaussian parameter must be at least 2.0"), std::string::npos);
  EXPECT_TRUE(env.eval("random_gaussian(1, 10, 2.0)").has_value());
  EXPECT_NE(env.error("random_zipfian(1, 10, 1.0)").find("zipfian parameter must be in range [1.001, 1000]"), std::string::npos);
  EXPECT_NE(env.error("random_zipfian(1, 10, 1000.5)").find("[1.001, 1000]"), std::string::npos);
  EXPECT_TRUE(env.eval("random_zipfian(1, 10, 1.001)").has_value());
  EXPECT_TRUE(env.eval("random_zipfian(1, 10, 1000)").has_value());
  EXPECT_NE(env.error("random_zipfian(10, 1, 2)").find("empty range"), std::string::npos);
  EXPECT_NE(env.error("random(1, true)").find("cannot coerce boolean"), std::string::npos);
}

}  // namespace
}  // namespace pgstream::bench
