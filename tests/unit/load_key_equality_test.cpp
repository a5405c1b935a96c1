// Which conflict keys the loader may spread over connections by a hash, and that the hash is equal
// for equal values spelled in other bytes (numeric scale, float -0 and NaN, char(n) padding).
#include <gtest/gtest.h>

#include <vector>

#include "pgstream/load/insert_batch.hpp"

namespace pgstream::load {
namespace {

TableSchema schema_of(std::vector<std::uint32_t> base_types) {
  TableSchema s;
  for (std::size_t i = 0; i < base_types.size(); ++i) {
    Column c;
    c.name = "c" + std::to_string(i);
    c.type_oid = c.base_type_oid = base_types[i];
    s.columns.push_back(c);
  }
  return s;
}

std::vector<std::size_t> all_of(const TableSchema& s) {
  std::vector<std::size_t> all(s.columns.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

TEST(KeyEquality, BinaryKeysHashByBytesOrByTheirTypesRule) {
  const auto s = schema_of({20, 23, 21, 2950, 1184, 1114, 1082, 25, 1043, 16, 17, 1700, 700, 701, 1042});
  auto h = key_hashing(s, all_of(s), CopyFormat::binary);
  ASSERT_TRUE(h);
  using K = KeyHashing;
  EXPECT_EQ(*h, (std::vector<K>{K::bytes, K::bytes, K::bytes, K::bytes, K::bytes, K::bytes, K::bytes, K::bytes,
                                K::bytes, K::bytes, K::bytes, K::numeric, K::float4, K::float8, K::bpchar}));
}

TEST(KeyEquality, OtherTypesAndNonTextInCopyTextHaveNoLaneHash) {
  for (std::uint32_t t : {3802u /*jsonb*/, 1186u /*interval*/, 869u /*inet*/, 1043u * 1000u /*an extension type*/})
    EXPECT_FALSE(key_hashing(schema_of({20, t}), std::vector<std::size_t>{0, 1}, CopyFormat::binary)) << t;
  const auto s = schema_of({25, 1043, 20, 2950});
  EXPECT_TRUE(key_hashing(s, std::vector<std::size_t>{0, 1}, CopyFormat::text));
  EXPECT_FALSE(key_hashing(s, std::vector<std::size_t>{2}, CopyFormat::text));
  EXPECT_FALSE(key_hashing(s, std::vector<std::size_t>{3}, CopyFormat::text));  // the case of hex digits
  EXPECT_FALSE(key_hashing(schema_of({20}), std::vector<std::size_t>{3}, CopyFormat::binary));
}

// A binary COPY tuple of one field.
std::string tuple_of(const std::string& field) {
  std::string t("\0\1", 2);
  const auto n = static_cast<std::uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) t += static_cast<char>((n >> shift) & 0xff);
  return t + field;
}

std::string be16s(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) {
    out += static_cast<char>((static_cast<unsigned>(v) >> 8) & 0xff);
    out += static_cast<char>(v & 0xff);
  }
  return out;
}

std::optional<std::uint64_t> hash_of(const std::string& field, KeyHashing how) {
  const std::size_t key[] = {0};
  const KeyHashing hashing[] = {how};
  return tuple_key_hash(tuple_of(field), CopyFormat::binary, key, hashing);
}

TEST(KeyEquality, NumericHashIgnoresScaleAndZeroDigitGroups) {
  // ndigits, weight, sign, dscale, digits
  const auto one_0 = be16s({1, 0, 0, 1, 1});            // 1.0
  const auto one_00 = be16s({1, 0, 0, 2, 1});           // 1.00
  const auto one_padded = be16s({3, 1, 0, 4, 0, 1, 0});  // 0001.0000 with zero groups kept
  const auto two = be16s({1, 0, 0, 0, 2});
  const auto minus_one = be16s({1, 0, 0x4000, 0, 1});
  EXPECT_EQ(hash_of(one_0, KeyHashing::numeric), hash_of(one_00, KeyHashing::numeric));
  EXPECT_EQ(hash_of(one_0, KeyHashing::numeric), hash_of(one_padded, KeyHashing::numeric));
  EXPECT_NE(hash_of(one_0, KeyHashing::numeric), hash_of(two, KeyHashing::numeric));
  EXPECT_NE(hash_of(one_0, KeyHashing::numeric), hash_of(minus_one, KeyHashing::numeric));
  EXPECT_EQ(hash_of(be16s({0, 0, 0, 0}), KeyHashing::numeric), hash_of(be16s({0, 0, 0x4000, 3}), KeyHashing::numeric));
  EXPECT_NE(hash_of(one_0, KeyHashing::bytes), hash_of(one_00, KeyHashing::bytes));  // why it is needed
}

TEST(KeyEquality, FloatHashTakesMinusZeroAsZeroAndOneNaN) {
  const std::string zero("\0\0\0\0\0\0\0\0", 8), minus_zero("\x80\0\0\0\0\0\0\0", 8);
  const std::string nan1("\x7f\xf8\0\0\0\0\0\0", 8), nan2("\xff\xf8\0\0\0\0\0\1", 8);
  const std::string one("\x3f\xf0\0\0\0\0\0\0", 8), inf("\x7f\xf0\0\0\0\0\0\0", 8);
  EXPECT_EQ(hash_of(zero, KeyHashing::float8), hash_of(minus_zero, KeyHashing::float8));
  EXPECT_EQ(hash_of(nan1, KeyHashing::float8), hash_of(nan2, KeyHashing::float8));
  EXPECT_NE(hash_of(one, KeyHashing::float8), hash_of(zero, KeyHashing::float8));
  EXPECT_NE(hash_of(inf, KeyHashing::float8), hash_of(nan1, KeyHashing::float8));
  EXPECT_EQ(hash_of(std::string("\x80\0\0\0", 4), KeyHashing::float4), hash_of(std::string(4, '\0'), KeyHashing::float4));
}

TEST(KeyEquality, CharHashIgnoresPadding) {
  EXPECT_EQ(hash_of("ab", KeyHashing::bpchar), hash_of("ab   ", KeyHashing::bpchar));
  EXPECT_NE(hash_of("ab", KeyHashing::bpchar), hash_of(" ab", KeyHashing::bpchar));
}

}  // namespace
}  // namespace pgstream::load
