#include <gtest/gtest.h>

#include <string>

#include "pgstream/protocol/backend.hpp"
#include "vectors/vectors.hpp"

namespace pgstream::protocol {
namespace {

using namespace std::string_view_literals;
using testing::append_i16;
using testing::Bytes;
using testing::frame_of;
using testing::load_vector;
using testing::make_frame;

TEST(CopyResponse, CapturedTextCopyOut) {
  const Bytes b = load_vector("copy_out_response_text");
  auto r = CopyResponse::parse(frame_of(b));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->direction(), CopyDirection::out);
  EXPECT_EQ(r->overall_format(), Format::text);
  ASSERT_EQ(r->column_count(), 7u);
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(r->column_format(i), Format::text);
}

TEST(CopyResponse, CapturedBinaryCopyOut) {
  const Bytes b = load_vector("copy_out_response_binary");
  auto r = CopyResponse::parse(frame_of(b));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->direction(), CopyDirection::out);
  EXPECT_EQ(r->overall_format(), Format::binary);
  ASSERT_EQ(r->column_count(), 2u);
  EXPECT_EQ(r->column_format(0), Format::binary);
  EXPECT_EQ(r->column_format(1), Format::binary);
}

TEST(CopyResponse, CapturedCopyIn) {
  const Bytes b = load_vector("copy_in_response");
  auto r = CopyResponse::parse(frame_of(b));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->direction(), CopyDirection::in);
  EXPECT_EQ(r->overall_format(), Format::text);
  EXPECT_EQ(r->column_count(), 2u);
}

TEST(CopyResponse, CopyBothAsSentByStartReplication) {
  // What a walsender sends for START_REPLICATION: binary overall, no columns.
  Bytes body{std::byte{0}};
  append_i16(body, 0);
  const Bytes b = make_frame('W', body);
  auto r = CopyResponse::parse(frame_of(b));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->direction(), CopyDirection::both);
  EXPECT_EQ(r->column_count(), 0u);
}

std::string copy_error(char type, const Bytes& body) {
  const Bytes b = make_frame(type, body);
  auto r = CopyResponse::parse(frame_of(b));
  if (r.has_value()) return "parsed";
  EXPECT_EQ(r.error().category(), ErrorCategory::protocol);
  return r.error().message();
}

TEST(CopyResponse, MalformedBodiesAreErrors) {
  EXPECT_EQ(copy_error('H', Bytes(2, std::byte{0})),
            "server sent a malformed CopyOutResponse message: body shorter than its format and column count");
  Bytes bad_overall{std::byte{2}};
  append_i16(bad_overall, 0);
  EXPECT_EQ(copy_error('G', bad_overall),
            "server sent a malformed CopyInResponse message: overall format 2 is not 0 (text) or 1 (binary)");
  Bytes short_formats{std::byte{1}};
  append_i16(short_formats, 2);
  append_i16(short_formats, 1);
  EXPECT_EQ(copy_error('H', short_formats),
            "server sent a malformed CopyOutResponse message: 2 column formats need 7 body bytes, got 5");
  Bytes bad_column{std::byte{1}};
  append_i16(bad_column, 1);
  append_i16(bad_column, 3);
  EXPECT_EQ(copy_error('W', bad_column),
            "server sent a malformed CopyBothResponse message: column 0 has format code 3 (not 0 or 1)");
  Bytes binary_in_text{std::byte{0}};
  append_i16(binary_in_text, 1);
  append_i16(binary_in_text, 1);
  EXPECT_EQ(copy_error('H', binary_in_text),
            "server sent a malformed CopyOutResponse message: column 0 is binary in a text COPY");
  Bytes trailing{std::byte{0}};
  append_i16(trailing, 0);
  trailing.push_back(std::byte{0});
  EXPECT_NE(copy_error('H', trailing), "parsed");
}

TEST(CopyResponse, OtherTypesAreRefused) {
  const Bytes b = load_vector("copy_data_text_row");
  auto r = CopyResponse::parse(frame_of(b));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "expected CopyInResponse, CopyOutResponse or CopyBothResponse but the frame is "
                                 "CopyData; the caller dispatched on the wrong type byte");
}

TEST(CopyData, CapturedTextRow) {
  const Bytes b = load_vector("copy_data_text_row");
  auto d = CopyData::parse(frame_of(b));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->text(), "1\tada\tada@example.com\t9.5\t1815-12-10\tt\t\\N\n");
  EXPECT_EQ(d->data().data(), b.data() + 5);
}

TEST(CopyData, EmptyChunkIsValid) {
  const Bytes b = make_frame('d', ""sv);
  auto d = CopyData::parse(frame_of(b));
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->data().empty());
}

}  // namespace
}  // namespace pgstream::protocol
