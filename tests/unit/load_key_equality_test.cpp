// Which conflict keys the loader may spread over connections by a hash of their bytes: only those
// whose equal values are always equal bytes in the COPY format it writes.
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

TEST(KeyEquality, IntegersUuidsTimesAndTextAreBytewiseInBinary) {
  const auto s = schema_of({20, 23, 21, 2950, 1184, 1114, 1082, 25, 1043, 16, 17});
  std::vector<std::size_t> all(s.columns.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  EXPECT_TRUE(key_equality_is_bytewise(s, all, CopyFormat::binary));
}

TEST(KeyEquality, NumericFloatsAndCharNeedOneLane) {
  for (std::uint32_t t : {1700u /*numeric*/, 701u /*float8*/, 700u /*float4*/, 1042u /*char(n)*/, 3802u /*jsonb*/,
                          1186u /*interval*/, 869u /*inet*/}) {
    const auto s = schema_of({20, t});
    EXPECT_FALSE(key_equality_is_bytewise(s, std::vector<std::size_t>{0, 1}, CopyFormat::binary)) << t;
    EXPECT_TRUE(key_equality_is_bytewise(s, std::vector<std::size_t>{0}, CopyFormat::binary)) << t;
  }
}

TEST(KeyEquality, InCopyTextOnlyTextIsBytewise) {
  const auto s = schema_of({25, 1043, 20, 2950});
  EXPECT_TRUE(key_equality_is_bytewise(s, std::vector<std::size_t>{0, 1}, CopyFormat::text));
  EXPECT_FALSE(key_equality_is_bytewise(s, std::vector<std::size_t>{2}, CopyFormat::text));
  EXPECT_FALSE(key_equality_is_bytewise(s, std::vector<std::size_t>{3}, CopyFormat::text));  // case of hex digits
}

TEST(KeyEquality, AColumnOutsideTheTableIsNotBytewise) {
  EXPECT_FALSE(key_equality_is_bytewise(schema_of({20}), std::vector<std::size_t>{3}, CopyFormat::binary));
}

}  // namespace
}  // namespace pgstream::load
