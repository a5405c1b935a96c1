// FrontendWriter and its Parse / Bind builders: the same bytes as the message functions, and a
// Bind chain that is all-or-nothing.

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
struct TestNullableText {
  std::optional<std::string_view> v;
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
template <>
struct Bindable<TestNullableText> {
  static constexpr Oid oid = 25;
  static constexpr Format format = Format::text;
  static bool is_null(const TestNullableText& x) noexcept { return !x.v; }
  template <ByteSink S>
  static void encode(S& s, const TestNullableText& x) {
    put_string(s, *x.v);
  }
};
}  // namespace pgstream::protocol

namespace {

namespace pp = pgstream::protocol;
namespace fe = pgstream::protocol::frontend;
using pgstream::ErrorCategory;
using pgstream::Result;
using pp::Format;
using pp::FrontendWriter;
using namespace std::string_view_literals;

std::string hex(std::string_view text) {
  std::string out;
  int high = -1;
  for (char c : text) {
    if (c == ' ') continue;
    const int v = (c >= '0' && c <= '9') ? c - '0' : c - 'a' + 10;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high * 16 + v));
      high = -1;
    }
  }
  return out;
}

TEST(FrontendWriter, ParseBuilderWritesParse) {
  std::string buf;
  FrontendWriter w(buf);
  ASSERT_TRUE(w.parse("stmt").query("SELECT $1::int").param_types({23}).finish());
  std::string expected;
  ASSERT_TRUE(fe::parse(expected, "stmt", "SELECT $1::int", {23}));
  EXPECT_EQ(buf, expected);
}

TEST(FrontendWriter, ParseBuilderTakesOidsFromBindableTypes) {
  std::string buf;
  FrontendWriter w(buf);
  ASSERT_TRUE((w.parse().query("q").param_types_of<TestInt, TestText>().finish()));
  EXPECT_EQ(buf, hex("50 00 00 00 11  00  71 00  00 02  00 00 00 17  00 00 00 19"));
}

TEST(FrontendWriter, ParseBuilderReportsNulInQuery) {
  std::string buf = "x";
  FrontendWriter w(buf);
  auto r = w.parse("s").query("SELECT 1 -- \0"sv).finish();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "Parse: query text contains a NUL byte at offset 12");
  EXPECT_EQ(buf, "x");
}

TEST(FrontendWriter, BindExecuteSyncChainWritesThreeMessages) {
  std::string buf;
  FrontendWriter w(buf);
  Result<void> r = w.bind("", "stmt")
                       .result_format(Format::binary)
                       .finish(TestInt{1}, TestText{"hi"})
                       .execute()
                       .sync();
  ASSERT_TRUE(r);

  std::string expected;
  ASSERT_TRUE(fe::bind(expected, "", "stmt", {Format::binary}, TestInt{1}, TestText{"hi"}));
  ASSERT_TRUE(fe::execute(expected));
  fe::sync(expected);
  EXPECT_EQ(buf, expected);
}

TEST(FrontendWriter, BindResultFormatsPerColumnAndRowLimit) {
  std::string buf;
  FrontendWriter w(buf);
  auto done = w.bind("p", "s")
                  .result_formats({Format::text, Format::binary})
                  .finish(TestNullableText{})
                  .execute("p", 5);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(buf, hex("42 00 00 00 16  70 00 73 00  00 00  00 01 ff ff ff ff  00 02 00 00 00 01"
                     "45 00 00 00 0a  70 00  00 00 00 05"));
}

TEST(FrontendWriter, BindEncodedUsesParamFormats) {
  std::string buf;
  FrontendWriter w(buf);
  const std::vector<pp::EncodedValue> values = {pp::bytes_of("12"), std::nullopt};
  ASSERT_TRUE(w.bind().param_formats({Format::text}).finish_encoded(values).sync().ok());
  std::string expected;
  ASSERT_TRUE(fe::bind_encoded(expected, "", "", {Format::text}, values));
  fe::sync(expected);
  EXPECT_EQ(buf, expected);
}

TEST(FrontendWriter, ParamFormatsWithTypedValuesIsAnError) {
  std::string buf;
  FrontendWriter w(buf);
  Result<void> r = w.bind().param_formats({Format::binary}).finish(TestInt{1}).sync();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), ErrorCategory::encode);
  EXPECT_EQ(
      r.error().message(),
      "Bind: param_formats() applies only to finish_encoded(); typed values carry their formats in "
      "Bindable<T>::format");
  EXPECT_TRUE(buf.empty());
}

TEST(FrontendWriter, FailedBindSkipsTheRestOfTheChain) {
  std::string buf = "keep";
  FrontendWriter w(buf);
  auto done = w.bind("bad\0"sv, "").finish(TestInt{1}).execute().sync();
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.result().error().message(), "Bind: portal name contains a NUL byte at offset 3");
  EXPECT_EQ(buf, "keep");
}

TEST(FrontendWriter, FailedExecuteTakesTheBindBackOut) {
  std::string buf = "keep";
  FrontendWriter w(buf);
  Result<void> r = w.bind("", "s").finish(TestInt{1}).execute("p\0"sv).sync();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "Execute: portal name contains a NUL byte at offset 1");
  EXPECT_EQ(buf, "keep");
}

TEST(FrontendWriter, ChainThatOverflowsASpanSinkIsDroppedWhole) {
  std::array<std::byte, 30> region{};
  pp::SpanSink sink(region);
  FrontendWriter w(sink);
  w.sync();
  // Bind (23 bytes) fits after the Sync; Execute (10) does not: the Bind must go too.
  auto done = w.bind().finish(TestInt{1}).execute().sync();
  EXPECT_TRUE(done.ok());
  EXPECT_TRUE(sink.overflowed());
  EXPECT_EQ(sink.size(), 5u);
}

TEST(FrontendWriter, EveryMethodMatchesItsMessageFunction) {
  std::string via_writer;
  std::string direct;
  FrontendWriter w(via_writer);
  const std::array<std::byte, 4> key = {std::byte{9}, std::byte{8}, std::byte{7}, std::byte{6}};
  const std::vector<pp::EncodedValue> args = {pp::bytes_of("a")};

  ASSERT_TRUE(w.startup({{"user", "u"}}));
  ASSERT_TRUE(fe::startup_message(direct, {{"user", "u"}}));
  w.ssl_request();
  fe::ssl_request(direct);
  w.gssenc_request();
  fe::gssenc_request(direct);
  ASSERT_TRUE(w.cancel_request(7, key));
  ASSERT_TRUE(fe::cancel_request(direct, 7, key));
  ASSERT_TRUE(w.password("pw"));
  ASSERT_TRUE(fe::password_message(direct, "pw"));
  ASSERT_TRUE(w.sasl_initial_response("SCRAM-SHA-256", std::nullopt));
  ASSERT_TRUE(fe::sasl_initial_response(direct, "SCRAM-SHA-256", std::nullopt));
  ASSERT_TRUE(w.sasl_initial_response("SCRAM-SHA-256", "data"sv));
  ASSERT_TRUE(fe::sasl_initial_response(direct, "SCRAM-SHA-256", "data"sv));
  ASSERT_TRUE(w.sasl_response("c=biws"sv));
  ASSERT_TRUE(fe::sasl_response(direct, "c=biws"sv));
  ASSERT_TRUE(w.gss_response(key));
  ASSERT_TRUE(fe::gss_response(direct, key));
  ASSERT_TRUE(w.query("SELECT 1"));
  ASSERT_TRUE(fe::query(direct, "SELECT 1"));
  ASSERT_TRUE(w.parse("s", "SELECT $1", {23}));
  ASSERT_TRUE(fe::parse(direct, "s", "SELECT $1", {23}));
  ASSERT_TRUE(w.execute("p", 3));
  ASSERT_TRUE(fe::execute(direct, "p", 3));
  ASSERT_TRUE(w.describe_statement("s"));
  ASSERT_TRUE(fe::describe_statement(direct, "s"));
  ASSERT_TRUE(w.describe_portal("p"));
  ASSERT_TRUE(fe::describe_portal(direct, "p"));
  ASSERT_TRUE(w.close_statement("s"));
  ASSERT_TRUE(fe::close_statement(direct, "s"));
  ASSERT_TRUE(w.close_portal("p"));
  ASSERT_TRUE(fe::close_portal(direct, "p"));
  w.flush();
  fe::flush(direct);
  w.sync();
  fe::sync(direct);
  ASSERT_TRUE(w.copy_data("row\n"sv));
  ASSERT_TRUE(fe::copy_data(direct, "row\n"sv));
  w.copy_done();
  fe::copy_done(direct);
  ASSERT_TRUE(w.copy_fail("why"));
  ASSERT_TRUE(fe::copy_fail(direct, "why"));
  ASSERT_TRUE(w.function_call(99, Format::text, TestText{"t"}));
  ASSERT_TRUE(fe::function_call(direct, 99, Format::text, TestText{"t"}));
  ASSERT_TRUE(w.function_call_encoded(99, {}, args, Format::binary));
  ASSERT_TRUE(fe::function_call_encoded(direct, 99, {}, args, Format::binary));
  w.terminate();
  fe::terminate(direct);

  EXPECT_EQ(via_writer, direct);
  EXPECT_EQ(&w.sink(), &via_writer);
}

}  // namespace
