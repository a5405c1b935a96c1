#include <gtest/gtest.h>

#include <array>

#include "pgstream/auth/md5.hpp"

namespace pgstream::auth {
namespace {

// Expected values computed independently with Python's hashlib:
//   "md5" + md5(md5(password + user).hexdigest() + salt).hexdigest()
TEST(AuthMd5, MatchesPostgresFormulaForAsciiCredentials) {
  const std::array<std::byte, 4> salt{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  auto r = md5_password_response("postgres", "secret", salt);
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(*r, "md5bb41a296aab6baccb36ff243a562abff");
}

TEST(AuthMd5, UsesRawUtf8BytesAndBinarySalt) {
  const std::array<std::byte, 4> salt{std::byte{0xFF}, std::byte{0x00}, std::byte{0x7F}, std::byte{0x80}};
  auto r = md5_password_response("alice", "pa\u00DFw\u00F6rd", salt);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "md58e99cc709336ec610f6a320645c19de1");
}

TEST(AuthMd5, EmptyUserAndPasswordStillHash) {
  const std::array<std::byte, 4> salt{};
  auto r = md5_password_response("", "", salt);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "md591b86670dcd47857d222fa05653500aa");
  EXPECT_EQ(r->size(), 35U);
}

}  // namespace
}  // namespace pgstream::auth
