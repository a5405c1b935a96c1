// The encoder writes the same bytes into every kind of sink, leaves each untouched on errors, and
// never leaves half a message in a SpanSink that ran out of room.

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/protocol/frontend.hpp"

namespace {

struct TestInt {
  std::int32_t v;
};
struct TestText {
  std::string_view v;
};

}  // namespace

namespace pgstream::protocol {
template <>
struct Bindable<TestInt> {
  static constexpr Oid oid = 23;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& s, const TestInt& x) {
    put_i32(s, x.v);
  }
};
template <>
struct Bindable<TestText> {
  static constexpr Oid oid = 25;
  static constexpr Format format = Format::text;
  template <ByteSink S>
  static void encode(S& s, const TestText& x) {
    put_string(s, x.v);
  }
};
}  // namespace pgstream::protocol

namespace {

namespace pp = pgstream::protocol;
namespace fe = pgstream::protocol::frontend;
using pp::Format;
using pp::SpanSink;
using namespace std::string_view_literals;

template <class S>
std::string bytes_of_sink(const S& sink) {
  const auto* p = reinterpret_cast<const char*>(sink.data());
  return std::string(p, p + sink.size());
}

// Every message once, so each sink type runs every encoder.
template <class S>
void encode_everything(S& sink) {
  const std::array<std::byte, 4> key = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  const std::vector<pp::EncodedValue> values = {pp::bytes_of("7"), std::nullopt};
  ASSERT_TRUE(fe::startup_message(sink, {{"user", "u"}, {"database", "d"}}));
  fe::ssl_request(sink);
  fe::gssenc_request(sink);
  ASSERT_TRUE(fe::cancel_request(sink, 42, key));
  ASSERT_TRUE(fe::password_message(sink, "pw"));
  ASSERT_TRUE(fe::sasl_initial_response(sink, "SCRAM-SHA-256", "n,,n=,r=x"sv));
  ASSERT_TRUE(fe::sasl_response(sink, "c=biws"sv));
  ASSERT_TRUE(fe::gss_response(sink, key));
  ASSERT_TRUE(fe::query(sink, "SELECT 1"));
  ASSERT_TRUE(fe::parse(sink, "s", "SELECT $1, $2", {23, 25}));
  ASSERT_TRUE(fe::bind(sink, "", "s", {Format::binary}, TestInt{9}, TestText{"abc"}));
  ASSERT_TRUE(fe::bind_encoded(sink, "p", "s", {Format::text}, values, {}));
  ASSERT_TRUE(fe::execute(sink, "p", 10));
  ASSERT_TRUE(fe::describe_statement(sink, "s"));
  ASSERT_TRUE(fe::close_portal(sink, "p"));
  fe::flush(sink);
  fe::sync(sink);
  ASSERT_TRUE(fe::copy_data(sink, "1\t2\n"sv));
  fe::copy_done(sink);
  ASSERT_TRUE(fe::copy_fail(sink, "stop"));
  ASSERT_TRUE(fe::function_call(sink, 1, Format::binary, TestInt{1}));
  {
    pp::CopyDataFrame frame(sink);
    ASSERT_TRUE(frame.header());
    ASSERT_TRUE(frame.tuple(TestInt{1}, TestText{"x"}).value());
    ASSERT_TRUE(frame.trailer());
  }
  fe::terminate(sink);
}

template <class S>
struct SinkHolder {
  S sink;
};
template <>
struct SinkHolder<SpanSink> {
  std::array<std::byte, 4096> region{};
  SpanSink sink{region};
};

template <class S>
class FrontendSinks : public ::testing::Test {};
using SinkTypes = ::testing::Types<std::string, std::vector<std::byte>, std::vector<unsigned char>,
                                   std::vector<char>, SpanSink>;
TYPED_TEST_SUITE(FrontendSinks, SinkTypes);

TYPED_TEST(FrontendSinks, WriteTheSameBytesAsStdString) {
  std::string reference;
  encode_everything(reference);
  ASSERT_GT(reference.size(), 200u);

  SinkHolder<TypeParam> h;
  encode_everything(h.sink);
  EXPECT_EQ(bytes_of_sink(h.sink), reference);
}

TYPED_TEST(FrontendSinks, ErrorsLeaveTheSinkUntouched) {
  SinkHolder<TypeParam> h;
  fe::sync(h.sink);
  const std::string before = bytes_of_sink(h.sink);
  const std::vector<pp::EncodedValue> too_many(65536, std::nullopt);

  EXPECT_FALSE(fe::query(h.sink, "a\0b"sv));
  EXPECT_FALSE(fe::parse(h.sink, "", "x\0"sv));
  EXPECT_FALSE(fe::bind(h.sink, "\0"sv, "", {}, TestInt{1}));
  EXPECT_FALSE(fe::bind_encoded(h.sink, "", "", {}, too_many));
  EXPECT_FALSE(fe::startup_message(h.sink, {{"", "x"}}));
  EXPECT_FALSE(fe::copy_fail(h.sink, "\0"sv));
  {
    pp::CopyDataFrame frame(h.sink);
    EXPECT_FALSE(frame.tuple_encoded(std::vector<pp::EncodedValue>(32768, std::nullopt)));
  }  // an empty frame is removed when it finishes

  EXPECT_EQ(bytes_of_sink(h.sink), before);
}

// ---------------------------------------------------------------- SpanSink overflow

// The messages of one pipelined round trip, and where each ends.
std::string pipeline_bytes(std::vector<std::size_t>& ends) {
  std::string out;
  fe::sync(out);
  ends.push_back(out.size());
  EXPECT_TRUE(fe::parse(out, "s", "SELECT $1", {23}));
  ends.push_back(out.size());
  EXPECT_TRUE(fe::bind(out, "", "s", {Format::binary}, TestInt{1}, TestText{"hello"}));
  ends.push_back(out.size());
  EXPECT_TRUE(fe::execute(out));
  ends.push_back(out.size());
  fe::sync(out);
  ends.push_back(out.size());
  return out;
}

TEST(FrontendSpanSink, AtEveryCapacityHoldsOnlyWholeMessagesAndFlagsOverflow) {
  std::vector<std::size_t> ends;
  const std::string full = pipeline_bytes(ends);

  for (std::size_t capacity = 0; capacity <= full.size(); ++capacity) {
    std::vector<std::byte> region(capacity);
    SpanSink sink(region);
    fe::sync(sink);
    ASSERT_TRUE(fe::parse(sink, "s", "SELECT $1", {23}));
    ASSERT_TRUE(fe::bind(sink, "", "s", {Format::binary}, TestInt{1}, TestText{"hello"}));
    ASSERT_TRUE(fe::execute(sink));
    fe::sync(sink);

    // Messages are dropped from the first one that did not fit: a prefix of whole messages.
    std::size_t fitted = 0;
    for (std::size_t end : ends) {
      if (end <= capacity)
        fitted = end;
      else
        break;
    }
    SCOPED_TRACE("capacity " + std::to_string(capacity));
    EXPECT_EQ(bytes_of_sink(sink), full.substr(0, fitted));
    EXPECT_EQ(sink.overflowed(), capacity < full.size());
  }
}

TEST(FrontendSpanSink, OverflowIsReportedOnlyThroughTheFlag) {
  std::array<std::byte, 8> region{};
  SpanSink sink(region);
  fe::sync(sink);
  auto r = fe::query(sink, "SELECT 1");  // 14 bytes, 3 left
  EXPECT_TRUE(r);
  EXPECT_TRUE(sink.overflowed());
  EXPECT_EQ(sink.size(), 5u);

  // After the batch was sent, clear() makes the region usable again.
  sink.clear();
  fe::flush(sink);
  EXPECT_FALSE(sink.overflowed());
  EXPECT_EQ(bytes_of_sink(sink), std::string("H\0\0\0\4", 5));
}

TEST(FrontendSpanSink, AnErrorOnAnOverflowedSinkKeepsTheFlag) {
  std::array<std::byte, 6> region{};
  SpanSink sink(region);
  fe::sync(sink);
  fe::sync(sink);  // does not fit
  ASSERT_TRUE(sink.overflowed());
  EXPECT_FALSE(fe::query(sink, "\0"sv));
  EXPECT_FALSE(fe::bind(sink, "", "", std::vector<Format>(70000), TestInt{1}));
  EXPECT_TRUE(sink.overflowed());
  EXPECT_EQ(sink.size(), 5u);
}

TEST(FrontendSpanSink, CancelRequestThatDoesNotFitLeavesNothing) {
  std::array<std::byte, 15> region{};
  SpanSink sink(region);
  const std::array<std::byte, 4> key{};
  ASSERT_TRUE(fe::cancel_request(sink, 1, key));  // 16 bytes
  EXPECT_TRUE(sink.overflowed());
  EXPECT_EQ(sink.size(), 0u);
}

}  // namespace
