#include <gtest/gtest.h>

#include "pgstream/result.hpp"

namespace pgstream {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return make_error(ErrorCategory::config, "value must be positive, got " + std::to_string(v));
  return v;
}

TEST(Result, CarriesValueOrCategorisedError) {
  ASSERT_TRUE(parse_positive(3).has_value());
  EXPECT_EQ(*parse_positive(3), 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().category(), ErrorCategory::config);
  EXPECT_EQ(bad.error().to_string(), "config: value must be positive, got -1");
  EXPECT_EQ(bad.error().server(), nullptr);
}

TEST(Result, ServerErrorKeepsSqlstateAndFields) {
  ServerErrorFields f;
  f.severity = "ERROR";
  f.sqlstate = "23505";
  f.message = "duplicate key value violates unique constraint \"t_pkey\"";
  f.constraint = "t_pkey";
  Error e(std::move(f));
  EXPECT_EQ(e.category(), ErrorCategory::server);
  EXPECT_EQ(e.sqlstate(), "23505");
  ASSERT_NE(e.server(), nullptr);
  EXPECT_EQ(e.server()->constraint, "t_pkey");
  EXPECT_EQ(e.to_string(), "ERROR 23505: duplicate key value violates unique constraint \"t_pkey\"");
  Error copy = e;  // copies share the immutable fields
  EXPECT_EQ(copy.server(), e.server());
}

}  // namespace
}  // namespace pgstream
