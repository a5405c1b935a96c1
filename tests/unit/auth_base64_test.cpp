#include <gtest/gtest.h>

#include <random>
#include <string>

#include "pgstream/auth/base64.hpp"

namespace pgstream::auth {
namespace {

std::string decode_to_string(std::string_view text) {
  auto r = base64_decode(text);
  EXPECT_TRUE(r.has_value()) << text;
  if (!r) return "<error>";
  return {reinterpret_cast<const char*>(r->data()), r->size()};
}

TEST(AuthBase64, EncodesRfc4648TestVectors) {
  EXPECT_EQ(base64_encode(std::string_view("")), "");
  EXPECT_EQ(base64_encode(std::string_view("f")), "Zg==");
  EXPECT_EQ(base64_encode(std::string_view("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(std::string_view("foob")), "Zm9vYg==");
  EXPECT_EQ(base64_encode(std::string_view("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64_encode(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string_view("n,,")), "biws");
}

TEST(AuthBase64, DecodesRfc4648TestVectors) {
  EXPECT_EQ(decode_to_string(""), "");
  EXPECT_EQ(decode_to_string("Zg=="), "f");
  EXPECT_EQ(decode_to_string("Zm8="), "fo");
  EXPECT_EQ(decode_to_string("Zm9vYmFy"), "foobar");
  EXPECT_EQ(decode_to_string("+/+/"), "\xFB\xFF\xBF");
}

TEST(AuthBase64, RejectsMalformedInput) {
  for (std::string_view bad : {"Zg=", "Zg", "Z===", "Zg==Zg==", "Zm9v YmFy", "Zm9v\nYmFy", "Zm9*", "=Zm9", "Zm=v"}) {
    auto r = base64_decode(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().category(), ErrorCategory::protocol);
  }
}

TEST(AuthBase64, RoundTripsRandomBytes) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int n = 0; n < 200; ++n) {
    std::vector<std::byte> data(static_cast<std::size_t>(n % 67));
    for (auto& b : data) b = static_cast<std::byte>(rng());
    auto decoded = base64_decode(base64_encode(data));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, data);
  }
}

}  // namespace
}  // namespace pgstream::auth
