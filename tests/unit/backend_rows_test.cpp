#include <gtest/gtest.h>

#include <iterator>
#include <ranges>
#include <string>
#include <vector>

#include "pgstream/protocol/backend.hpp"
#include "vectors/vectors.hpp"

namespace pgstream::protocol {
namespace {

using namespace std::string_view_literals;
using testing::append;
using testing::append_i16;
using testing::append_i32;
using testing::Bytes;
using testing::frame_of;
using testing::load_vector;
using testing::make_frame;

static_assert(std::forward_iterator<DataRow::iterator>);
static_assert(std::forward_iterator<RowDescription::iterator>);

// "NULL" for NULL, else the text.
std::vector<std::string> texts(const DataRow& row) {
  std::vector<std::string> out;
  for (FieldValue v : row) out.push_back(v.is_null() ? "NULL" : std::string(v.text()));
  return out;
}

TEST(DataRow, CapturedRowWithTrailingNull) {
  const Bytes b = load_vector("data_row_people_1");
  auto row = DataRow::parse(frame_of(b));
  ASSERT_TRUE(row.has_value()) << row.error().message();
  EXPECT_EQ(row->size(), 7u);
  EXPECT_EQ(texts(*row), (std::vector<std::string>{"1", "ada", "ada@example.com", "9.5", "1815-12-10", "t", "NULL"}));
}

TEST(DataRow, NullIsDistinguishedFromEmpty) {
  const Bytes b = load_vector("data_row_people_2");
  auto row = DataRow::parse(frame_of(b));
  ASSERT_TRUE(row.has_value()) << row.error().message();
  EXPECT_EQ(texts(*row), (std::vector<std::string>{"2", "bob", "NULL", "NULL", "NULL", "f", ""}));
  EXPECT_TRUE((*row)[2].is_null());
  EXPECT_EQ((*row)[2].wire_length(), -1);
  EXPECT_FALSE((*row)[6].is_null());
  EXPECT_EQ((*row)[6].size(), 0u);
  EXPECT_EQ((*row)[6].wire_length(), 0);
}

TEST(DataRow, CapturedLiteralsIncludeUtf8) {
  const Bytes b = load_vector("data_row_literals");
  auto row = DataRow::parse(frame_of(b));
  ASSERT_TRUE(row.has_value()) << row.error().message();
  EXPECT_EQ(texts(*row), (std::vector<std::string>{"1", "NULL", "", "h\xc3\xa9llo"}));
}

TEST(DataRow, CapturedBinaryValue) {
  const Bytes b = load_vector("data_row_binary");
  auto row = DataRow::parse(frame_of(b));
  ASSERT_TRUE(row.has_value()) << row.error().message();
  ASSERT_EQ(row->size(), 2u);
  EXPECT_EQ(testing::hex((*row)[0].bytes()), "0000002a");  // 41 + 1 as a binary int4
  EXPECT_TRUE((*row)[1].is_null());
}

TEST(DataRow, CapturedWideValue) {
  const Bytes b = load_vector("data_row_wide");
  auto row = DataRow::parse(frame_of(b));
  ASSERT_TRUE(row.has_value()) << row.error().message();
  EXPECT_EQ((*row)[0].text(), std::string(300, 'x'));
  EXPECT_EQ((*row)[1].text(), "1");
}

TEST(DataRow, RandomAccessMatchesIteration) {
  const Bytes b = load_vector("data_row_people_1");
  auto row = DataRow::parse(frame_of(b));
  ASSERT_TRUE(row.has_value());
  std::size_t i = 0;
  for (FieldValue v : *row) {
    EXPECT_EQ(v.wire_length(), (*row)[i].wire_length()) << i;
    EXPECT_EQ(v.bytes().data(), (*row)[i].bytes().data()) << i;
    ++i;
  }
  EXPECT_EQ(i, row->size());
  EXPECT_EQ(std::ranges::distance(row->begin(), row->end()), 7);
}

TEST(DataRow, ValuesPointIntoTheFrame) {
  const Bytes b = load_vector("data_row_people_1");
  auto row = DataRow::parse(frame_of(b));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ((*row)[0].bytes().data(), b.data() + 5 + 2 + 4);
}

TEST(DataRow, ZeroColumns) {
  Bytes body;
  append_i16(body, 0);
  const Bytes b = make_frame('D', body);
  auto row = DataRow::parse(frame_of(b));
  ASSERT_TRUE(row.has_value());
  EXPECT_TRUE(row->empty());
  EXPECT_EQ(row->begin(), row->end());
}

std::string data_row_error(const Bytes& body) {
  const Bytes b = make_frame('D', body);
  auto row = DataRow::parse(frame_of(b));
  if (row.has_value()) return "parsed";
  EXPECT_EQ(row.error().category(), ErrorCategory::protocol);
  return row.error().message();
}

TEST(DataRow, MalformedBodiesAreErrors) {
  EXPECT_EQ(data_row_error(Bytes{std::byte{0}}),
            "server sent a malformed DataRow message: body shorter than its 2-byte column count");
  Bytes too_many;  // 3 columns announced, room for 2 lengths
  append_i16(too_many, 3);
  append_i32(too_many, 0);
  append_i32(too_many, 0);
  EXPECT_EQ(data_row_error(too_many), "server sent a malformed DataRow message: column count 3 does not fit in the body");

  Bytes cut_length;  // second length cut off after the first value's bytes
  append_i16(cut_length, 2);
  append_i32(cut_length, 3);
  append(cut_length, "abc\0\0"sv);
  EXPECT_EQ(data_row_error(cut_length),
            "server sent a malformed DataRow message: column 1 has its length cut off by the end of the body");

  Bytes negative;
  append_i16(negative, 1);
  append_i32(negative, -2);
  EXPECT_EQ(data_row_error(negative),
            "server sent a malformed DataRow message: column 0 has a negative length other than -1 (NULL)");

  Bytes past_end;
  append_i16(past_end, 1);
  append_i32(past_end, 5);
  append(past_end, "abcd");
  EXPECT_EQ(data_row_error(past_end), "server sent a malformed DataRow message: column 0 runs past the end of the body");

  Bytes huge;
  append_i16(huge, 1);
  append_i32(huge, 2147483647);
  EXPECT_EQ(data_row_error(huge), "server sent a malformed DataRow message: column 0 runs past the end of the body");

  Bytes trailing;
  append_i16(trailing, 1);
  append_i32(trailing, -1);
  append(trailing, "x");
  EXPECT_EQ(data_row_error(trailing),
            "server sent a malformed DataRow message: bytes left over after the last of 1 columns");
}

TEST(DataRow, EveryTruncationOfACapturedRowIsAnError) {
  const Bytes b = load_vector("data_row_people_2");
  for (std::size_t n = 0; n + 5 < b.size(); ++n) {
    const Bytes body(b.begin() + 5, b.begin() + 5 + static_cast<std::ptrdiff_t>(n));
    EXPECT_NE(data_row_error(body), "parsed") << n;
  }
}

TEST(DataRow, WrongFrameTypeIsRefused) {
  const Bytes b = load_vector("row_description_people");
  auto row = DataRow::parse(frame_of(b));
  ASSERT_FALSE(row.has_value());
  EXPECT_EQ(row.error().message(),
            "expected DataRow but the frame is RowDescription; the caller dispatched on the wrong type byte");
}

// ---- RowDescription ----

TEST(RowDescription, CapturedTableColumns) {
  const Bytes b = load_vector("row_description_people");
  auto desc = RowDescription::parse(frame_of(b));
  ASSERT_TRUE(desc.has_value()) << desc.error().message();
  ASSERT_EQ(desc->size(), 7u);
  struct Want {
    std::string_view name;
    Oid type;
    std::int16_t size;
  };
  const Want want[] = {{"id", 23, 4},     {"name", 25, -1}, {"email", 25, -1}, {"score", 701, 8},
                       {"born", 1082, 4}, {"active", 16, 1}, {"note", 25, -1}};
  std::int16_t attr = 1;
  std::size_t i = 0;
  for (ColumnDescription c : *desc) {
    EXPECT_EQ(c.name, want[i].name);
    EXPECT_EQ(c.table_oid, 16443u);  // the temp table of the captured session
    EXPECT_EQ(c.column_attr, attr++);
    EXPECT_EQ(c.type_oid, want[i].type);
    EXPECT_EQ(c.type_size, want[i].size);
    EXPECT_EQ(c.type_modifier, -1);
    EXPECT_EQ(c.format, Format::text);
    ++i;
  }
  EXPECT_EQ(i, 7u);
  EXPECT_EQ((*desc)[4].name, "born");
}

TEST(RowDescription, CapturedExpressionsHaveNoTable) {
  const Bytes b = load_vector("row_description_literals");
  auto desc = RowDescription::parse(frame_of(b));
  ASSERT_TRUE(desc.has_value()) << desc.error().message();
  ASSERT_EQ(desc->size(), 4u);
  EXPECT_EQ((*desc)[0].name, "one");
  EXPECT_EQ((*desc)[0].type_oid, 23u);
  EXPECT_EQ((*desc)[0].table_oid, 0u);
  EXPECT_EQ((*desc)[0].column_attr, 0);
  EXPECT_EQ((*desc)[3].name, "greeting");
  EXPECT_EQ((*desc)[3].type_oid, 25u);
}

TEST(RowDescription, CapturedStatementDescription) {
  const Bytes b = load_vector("row_description_extended");
  auto desc = RowDescription::parse(frame_of(b));
  ASSERT_TRUE(desc.has_value()) << desc.error().message();
  ASSERT_EQ(desc->size(), 2u);
  EXPECT_EQ((*desc)[0].name, "n");
  EXPECT_EQ((*desc)[1].name, "t");
  EXPECT_EQ((*desc)[1].type_oid, 25u);
}

Bytes column(std::string_view name, std::int16_t format) {
  Bytes b;
  append(b, name);
  b.push_back(std::byte{0});
  append_i32(b, 0);
  append_i16(b, 0);
  append_i32(b, 23);
  append_i16(b, 4);
  append_i32(b, -1);
  append_i16(b, format);
  return b;
}

std::string row_description_error(const Bytes& body) {
  const Bytes b = make_frame('T', body);
  auto desc = RowDescription::parse(frame_of(b));
  if (desc.has_value()) return "parsed";
  EXPECT_EQ(desc.error().category(), ErrorCategory::protocol);
  return desc.error().message();
}

TEST(RowDescription, BinaryFormatIsRead) {
  Bytes body;
  append_i16(body, 1);
  const Bytes c = column("x", 1);
  body.insert(body.end(), c.begin(), c.end());
  const Bytes b = make_frame('T', body);
  auto desc = RowDescription::parse(frame_of(b));
  ASSERT_TRUE(desc.has_value());
  EXPECT_EQ((*desc)[0].format, Format::binary);
}

TEST(RowDescription, MalformedBodiesAreErrors) {
  EXPECT_EQ(row_description_error(Bytes{}),
            "server sent a malformed RowDescription message: body shorter than its 2-byte column count");
  Bytes too_many;
  append_i16(too_many, 2);
  const Bytes c = column("a", 0);
  too_many.insert(too_many.end(), c.begin(), c.end());
  EXPECT_EQ(row_description_error(too_many),
            "server sent a malformed RowDescription message: column count 2 does not fit in the body");

  Bytes no_nul;
  append_i16(no_nul, 1);
  append(no_nul, std::string(30, 'a'));
  EXPECT_EQ(row_description_error(no_nul),
            "server sent a malformed RowDescription message: column 0 has no NUL after its name");

  Bytes cut = too_many;  // one full column, then a second cut inside its fixed fields
  append(cut, "b\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"sv);
  EXPECT_EQ(row_description_error(cut),
            "server sent a malformed RowDescription message: column 1 is cut off by the end of the body");

  Bytes bad_format;
  append_i16(bad_format, 1);
  const Bytes c2 = column("a", 2);
  bad_format.insert(bad_format.end(), c2.begin(), c2.end());
  EXPECT_EQ(row_description_error(bad_format),
            "server sent a malformed RowDescription message: column 0 has format code 2 (not 0 or 1)");

  Bytes trailing;
  append_i16(trailing, 1);
  trailing.insert(trailing.end(), c.begin(), c.end());
  trailing.push_back(std::byte{0});
  EXPECT_EQ(row_description_error(trailing),
            "server sent a malformed RowDescription message: bytes left over after the last of 1 columns");
}

TEST(RowDescription, EveryTruncationOfACapturedDescriptionIsAnError) {
  const Bytes b = load_vector("row_description_people");
  for (std::size_t n = 0; n + 5 < b.size(); ++n) {
    const Bytes body(b.begin() + 5, b.begin() + 5 + static_cast<std::ptrdiff_t>(n));
    EXPECT_NE(row_description_error(body), "parsed") << n;
  }
}

}  // namespace
}  // namespace pgstream::protocol
