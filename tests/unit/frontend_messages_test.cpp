// Byte-exact frontend messages, written by hand from the "Message Formats" section of the
// PostgreSQL protocol documentation, and the errors that must leave the sink untouched.

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
struct TestNullableInt {
  std::optional<std::int32_t> v;
};
// A value whose bytes are never stored: for the message-length limit with CountingSink.
struct TestHuge {
  std::size_t size;
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
struct Bindable<TestNullableInt> {
  static constexpr Oid oid = 23;
  static constexpr Format format = Format::binary;
  static bool is_null(const TestNullableInt& x) noexcept { return !x.v; }
  template <ByteSink S>
  static void encode(S& s, const TestNullableInt& x) {
    put_i32(s, *x.v);
  }
};
template <>
struct Bindable<TestHuge> {
  static constexpr Oid oid = 17;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& s, const TestHuge& x) {
    static constexpr char chunk[64] = {};
    std::size_t left = x.size;
    while (left > 0) {
      const std::size_t n = left < (std::size_t{1} << 30) ? left : (std::size_t{1} << 30);
      s.append(chunk, n);  // CountingSink reads at most 64 bytes of it
      left -= n;
    }
  }
};
}  // namespace pgstream::protocol

namespace {

namespace pp = pgstream::protocol;
namespace fe = pgstream::protocol::frontend;
using pgstream::ErrorCategory;
using pp::Format;

// "42 00 0a" -> the bytes; spaces are ignored.
std::string hex(std::string_view text) {
  std::string out;
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\n') continue;
    const int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) throw std::invalid_argument("bad hex digit");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high * 16 + v));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// Compares as hex so a mismatch shows where it is.
#define EXPECT_BYTES(actual, expected_hex) EXPECT_EQ(to_hex(actual), to_hex(hex(expected_hex)))

// Counts bytes, stores only the first 64: lets a test reach the 2 GiB message limit cheaply.
class CountingSink {
 public:
  using value_type = char;
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] char* data() noexcept { return head_.data(); }
  void append(const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n && size_ + i < head_.size(); ++i) head_[size_ + i] = p[i];
    size_ += n;
  }
  void resize(std::size_t n) { size_ = n; }

 private:
  std::array<char, 64> head_{};
  std::size_t size_ = 0;
};
static_assert(pp::ByteSink<CountingSink>);

const std::string kPrefix = hex("de ad");  // something already in the sink

// ---------------------------------------------------------------- start-up packets

TEST(FrontendStartup, StartupMessageWithUserAndDatabase) {
  std::string buf;
  ASSERT_TRUE(fe::startup_message(buf, {{"user", "alice"}, {"database", "db"}}));
  EXPECT_BYTES(buf,
               "00 00 00 20  00 03 00 00"
               "75 73 65 72 00  61 6c 69 63 65 00"
               "64 61 74 61 62 61 73 65 00  64 62 00"
               "00");
}

TEST(FrontendStartup, StartupMessageProtocol32WithoutParameters) {
  std::string buf;
  ASSERT_TRUE(fe::startup_message(buf, {}, pp::protocol_3_2));
  EXPECT_BYTES(buf, "00 00 00 09  00 03 00 02  00");
  EXPECT_EQ(pp::protocol_3_0, 196608);
  EXPECT_EQ(pp::protocol_3_2, 196610);
}

TEST(FrontendStartup, StartupMessageEmptyValueIsAllowed) {
  std::string buf;
  ASSERT_TRUE(fe::startup_message(buf, {{"options", ""}}));
  EXPECT_BYTES(buf, "00 00 00 12  00 03 00 00  6f 70 74 69 6f 6e 73 00  00  00");
}

TEST(FrontendStartup, StartupMessageRejectsEmptyNameAndNulBytes) {
  std::string buf = kPrefix;
  auto empty = fe::startup_message(buf, {{"user", "a"}, {"", "x"}});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().category(), ErrorCategory::encode);
  EXPECT_EQ(empty.error().message(), "StartupMessage: parameter 2 has an empty name");

  using namespace std::string_view_literals;
  auto nul_value = fe::startup_message(buf, {{"user", "al\0ce"sv}});
  ASSERT_FALSE(nul_value);
  EXPECT_EQ(nul_value.error().message(),
            "StartupMessage: parameter 1 (user) value contains a NUL byte at offset 2");

  auto nul_name = fe::startup_message(buf, {{"user", "a"}, {"x\0"sv, "b"}});
  ASSERT_FALSE(nul_name);
  EXPECT_EQ(nul_name.error().message(),
            "StartupMessage: parameter 2 name contains a NUL byte at offset 1");
  EXPECT_EQ(buf, kPrefix);
}

TEST(FrontendStartup, SslAndGssEncRequests) {
  std::string buf;
  fe::ssl_request(buf);
  fe::gssenc_request(buf);
  EXPECT_BYTES(buf, "00 00 00 08 04 d2 16 2f  00 00 00 08 04 d2 16 30");
}

TEST(FrontendStartup, CancelRequestWithFourByteKey) {
  std::string buf;
  const std::array<std::byte, 4> key = {std::byte{0xde}, std::byte{0xad}, std::byte{0xbe},
                                        std::byte{0xef}};
  ASSERT_TRUE(fe::cancel_request(buf, 0x1234, key));
  EXPECT_BYTES(buf, "00 00 00 10  04 d2 16 2e  00 00 12 34  de ad be ef");
}

TEST(FrontendStartup, CancelRequestWithLongProtocol32Key) {
  std::string buf;
  std::vector<std::byte> key(256);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::byte>(i);
  ASSERT_TRUE(fe::cancel_request(buf, -2, key));
  ASSERT_EQ(buf.size(), 12u + 256u);
  EXPECT_BYTES(buf.substr(0, 16), "00 00 01 0c  04 d2 16 2e  ff ff ff fe  00 01 02 03");
  EXPECT_EQ(static_cast<unsigned char>(buf.back()), 0xff);
}

TEST(FrontendStartup, CancelRequestRejectsEmptyAndOversizedKeys) {
  std::string buf = kPrefix;
  std::vector<std::byte> key(257);
  auto too_long = fe::cancel_request(buf, 1, key);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().category(), ErrorCategory::encode);
  EXPECT_EQ(
      too_long.error().message(),
      "CancelRequest: the secret key is 257 bytes; it must be 1 to 256 bytes, exactly as received "
      "in BackendKeyData");
  EXPECT_FALSE(fe::cancel_request(buf, 1, {}));
  EXPECT_EQ(buf, kPrefix);
}

// ---------------------------------------------------------------- authentication

TEST(FrontendAuth, PasswordMessage) {
  std::string buf;
  ASSERT_TRUE(fe::password_message(buf, "secret"));
  EXPECT_BYTES(buf, "70 00 00 00 0b  73 65 63 72 65 74 00");
}

TEST(FrontendAuth, PasswordMessageRejectsNul) {
  std::string buf = kPrefix;
  using namespace std::string_view_literals;
  auto r = fe::password_message(buf, "se\0cret"sv);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "PasswordMessage: the password contains a NUL byte at offset 2");
  EXPECT_EQ(buf, kPrefix);
}

TEST(FrontendAuth, SaslInitialResponseWithData) {
  std::string buf;
  ASSERT_TRUE(fe::sasl_initial_response(buf, "SCRAM-SHA-256", std::string_view("n,,n=,r=abc")));
  EXPECT_BYTES(buf,
               "70 00 00 00 21"
               "53 43 52 41 4d 2d 53 48 41 2d 32 35 36 00"
               "00 00 00 0b  6e 2c 2c 6e 3d 2c 72 3d 61 62 63");
}

TEST(FrontendAuth, SaslInitialResponseWithoutDataSendsMinusOne) {
  std::string buf;
  ASSERT_TRUE(fe::sasl_initial_response(buf, "SCRAM-SHA-256", std::nullopt));
  EXPECT_BYTES(buf, "70 00 00 00 16  53 43 52 41 4d 2d 53 48 41 2d 32 35 36 00  ff ff ff ff");
}

TEST(FrontendAuth, SaslInitialResponseWithEmptyDataSendsZeroLength) {
  std::string buf;
  ASSERT_TRUE(fe::sasl_initial_response(buf, "X", std::string_view()));
  EXPECT_BYTES(buf, "70 00 00 00 0a  58 00  00 00 00 00");
}

TEST(FrontendAuth, SaslResponseAndGssResponse) {
  std::string buf;
  ASSERT_TRUE(fe::sasl_response(buf, std::string_view("c=biws")));
  const std::array<std::byte, 3> token = {std::byte{1}, std::byte{2}, std::byte{3}};
  ASSERT_TRUE(fe::gss_response(buf, token));
  EXPECT_BYTES(buf, "70 00 00 00 0a  63 3d 62 69 77 73   70 00 00 00 07  01 02 03");
}

// ---------------------------------------------------------------- simple query

TEST(FrontendQuery, Query) {
  std::string buf;
  ASSERT_TRUE(fe::query(buf, "SELECT 1"));
  EXPECT_BYTES(buf, "51 00 00 00 0d  53 45 4c 45 43 54 20 31 00");
}

TEST(FrontendQuery, QueryRejectsNulAndLeavesSinkAlone) {
  std::string buf = kPrefix;
  using namespace std::string_view_literals;
  auto r = fe::query(buf, "SELECT 1;\0DROP TABLE t"sv);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), ErrorCategory::encode);
  EXPECT_EQ(r.error().message(), "Query: query text contains a NUL byte at offset 9");
  EXPECT_EQ(buf, kPrefix);
}

// ---------------------------------------------------------------- extended query

TEST(FrontendParse, NamedWithOneParameterType) {
  std::string buf;
  ASSERT_TRUE(fe::parse(buf, "s1", "SELECT $1", {23}));
  EXPECT_BYTES(buf, "50 00 00 00 17  73 31 00  53 45 4c 45 43 54 20 24 31 00  00 01  00 00 00 17");
}

TEST(FrontendParse, UnnamedWithoutParameterTypes) {
  std::string buf;
  ASSERT_TRUE(fe::parse(buf, "", "SELECT 1"));
  EXPECT_BYTES(buf, "50 00 00 00 10  00  53 45 4c 45 43 54 20 31 00  00 00");
}

TEST(FrontendParse, OidsFromBindableTypes) {
  std::string buf;
  ASSERT_TRUE(fe::parse(buf, "", "", pp::param_oids<TestInt, TestText>));
  EXPECT_BYTES(buf, "50 00 00 00 10  00 00  00 02  00 00 00 17  00 00 00 19");
}

TEST(FrontendParse, RejectsNulInQueryWithOffset) {
  std::string buf = kPrefix;
  using namespace std::string_view_literals;
  auto r = fe::parse(buf, "s", "SELECT $1::int4 \0"sv);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), ErrorCategory::encode);
  EXPECT_EQ(r.error().message(), "Parse: query text contains a NUL byte at offset 16");
  auto name = fe::parse(buf, "s\0"sv, "SELECT 1");
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error().message(), "Parse: statement name contains a NUL byte at offset 1");
  EXPECT_EQ(buf, kPrefix);
}

TEST(FrontendParse, AcceptsExactly65535OidsAndRejectsOneMore) {
  std::string buf;
  std::vector<pp::Oid> oids(65535, 23);
  ASSERT_TRUE(fe::parse(buf, "", "q", oids));
  EXPECT_EQ(buf.size(), 1 + 4 + 1 + 2 + 2 + 4 * 65535u);
  EXPECT_BYTES(buf.substr(8, 2), "ff ff");

  buf = kPrefix;
  oids.push_back(23);
  auto r = fe::parse(buf, "", "q", oids);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "Parse: 65536 parameter type oids, more than the protocol's limit of 65535");
  EXPECT_EQ(buf, kPrefix);
}

TEST(FrontendBind, TypedMixedFormatsSendOneCodePerParameter) {
  std::string buf;
  ASSERT_TRUE(fe::bind(buf, "", "s1", {Format::binary}, TestInt{1}, TestText{"hi"}));
  EXPECT_BYTES(buf,
               "42 00 00 00 22  00  73 31 00"
               "00 02  00 01  00 00"       // two parameter formats: binary, text
               "00 02"                     // two parameters
               "00 00 00 04  00 00 00 01"  // int4 1
               "00 00 00 02  68 69"        // text "hi"
               "00 01  00 01");            // one result format for all: binary
}

TEST(FrontendBind, TypedUniformBinarySendsOneCodeAndNullAsMinusOne) {
  std::string buf;
  ASSERT_TRUE(fe::bind(buf, "p", "", {}, TestInt{-1}, TestNullableInt{}));
  EXPECT_BYTES(buf,
               "42 00 00 00 1b  70 00  00"
               "00 01  00 01"
               "00 02  00 00 00 04 ff ff ff ff  ff ff ff ff"
               "00 00");
}

TEST(FrontendBind, TypedAllTextSendsNoFormatCodes) {
  std::string buf;
  ASSERT_TRUE(fe::bind(buf, "", "", {}, TestText{"a"}));
  EXPECT_BYTES(buf, "42 00 00 00 11  00  00  00 00  00 01  00 00 00 01 61  00 00");
}

TEST(FrontendBind, NoParametersPerColumnResultFormats) {
  std::string buf;
  ASSERT_TRUE(fe::bind(buf, "", "", {Format::text, Format::binary, Format::binary}));
  EXPECT_BYTES(buf, "42 00 00 00 12  00  00  00 00  00 00  00 03 00 00 00 01 00 01");
}

TEST(FrontendBind, EncodedValuesWithNullAndEmpty) {
  std::string buf;
  const std::vector<pp::EncodedValue> values = {pp::bytes_of("42"), std::nullopt, pp::bytes_of("")};
  ASSERT_TRUE(fe::bind_encoded(buf, "", "st", {Format::text}, values));
  EXPECT_BYTES(buf,
               "42 00 00 00 1e  00  73 74 00"
               "00 01 00 00"
               "00 03  00 00 00 02 34 32  ff ff ff ff  00 00 00 00"
               "00 00");
}

TEST(FrontendBind, RejectsNulInNamesAndLeavesSinkAlone) {
  std::string buf = kPrefix;
  using namespace std::string_view_literals;
  auto portal = fe::bind(buf, "p\0"sv, "", {}, TestInt{1});
  ASSERT_FALSE(portal);
  EXPECT_EQ(portal.error().message(), "Bind: portal name contains a NUL byte at offset 1");
  auto stmt = fe::bind_encoded(buf, "", "\0"sv, {}, {});
  ASSERT_FALSE(stmt);
  EXPECT_EQ(stmt.error().message(), "Bind: statement name contains a NUL byte at offset 0");
  EXPECT_EQ(buf, kPrefix);
}

TEST(FrontendBind, EncodedAccepts65535ParametersAndRejectsOneMore) {
  std::string buf;
  std::vector<pp::EncodedValue> values(65535, std::nullopt);
  ASSERT_TRUE(fe::bind_encoded(buf, "", "", {}, values));
  EXPECT_EQ(buf.size(), 5 + 1 + 1 + 2 + 2 + 4 * 65535u + 2);
  EXPECT_BYTES(buf.substr(9, 2), "ff ff");

  buf = kPrefix;
  values.emplace_back(std::nullopt);
  auto r = fe::bind_encoded(buf, "", "", {}, values);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), ErrorCategory::encode);
  EXPECT_EQ(r.error().message(), "Bind: 65536 parameters, more than the protocol's limit of 65535");
  EXPECT_EQ(buf, kPrefix);
}

TEST(FrontendBind, RejectsTooManyResultFormats) {
  std::string buf = kPrefix;
  std::vector<Format> formats(65536, Format::binary);
  auto r = fe::bind(buf, "", "", formats);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "Bind: 65536 result format codes, more than the protocol's limit of 65535");
  EXPECT_EQ(buf, kPrefix);
}

TEST(FrontendBind, RejectsFormatCountThatMatchesNeitherOneNorAll) {
  std::string buf = kPrefix;
  const std::vector<pp::EncodedValue> values = {pp::bytes_of("1"), pp::bytes_of("2"),
                                                pp::bytes_of("3")};
  auto r = fe::bind_encoded(buf, "", "", {Format::text, Format::binary}, values);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "Bind: 2 format codes for 3 values; give none (all text), one (for all) or exactly one "
            "per value");
  EXPECT_EQ(buf, kPrefix);
}

TEST(FrontendBind, MessageLongerThanInt32IsRejectedAndRolledBack) {
  CountingSink sink;
  sink.append("ab", 2);
  auto r = fe::bind(sink, "", "", {}, TestHuge{std::size_t{1} << 31});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), ErrorCategory::encode);
  EXPECT_EQ(r.error().message(),
            "Bind: message would be 2147483666 bytes long, more than the protocol's limit of "
            "2147483647 bytes");
  EXPECT_EQ(sink.size(), 2u);

  // Exactly the limit is fine: length 4, names 2, formats 4, count 2, value length 4, results 2.
  ASSERT_TRUE(fe::bind(sink, "", "", {}, TestHuge{2147483647u - 18u}));
  EXPECT_EQ(sink.size(), 2u + 1u + 2147483647u);
  EXPECT_BYTES(std::string_view(sink.data() + 2, 5), "42 7f ff ff ff");
}

TEST(FrontendExecute, UnnamedPortalAllRows) {
  std::string buf;
  ASSERT_TRUE(fe::execute(buf));
  EXPECT_BYTES(buf, "45 00 00 00 09  00  00 00 00 00");
}

TEST(FrontendExecute, NamedPortalWithRowLimit) {
  std::string buf;
  ASSERT_TRUE(fe::execute(buf, "p1", 100));
  EXPECT_BYTES(buf, "45 00 00 00 0b  70 31 00  00 00 00 64");
}

TEST(FrontendExecute, RejectsNulInPortal) {
  std::string buf = kPrefix;
  using namespace std::string_view_literals;
  auto r = fe::execute(buf, "ab\0"sv);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "Execute: portal name contains a NUL byte at offset 2");
  EXPECT_EQ(buf, kPrefix);
}

TEST(FrontendDescribeClose, StatementAndPortal) {
  std::string buf;
  ASSERT_TRUE(fe::describe_statement(buf, "s1"));
  ASSERT_TRUE(fe::describe_portal(buf));
  ASSERT_TRUE(fe::close_statement(buf, "s1"));
  ASSERT_TRUE(fe::close_portal(buf, ""));
  EXPECT_BYTES(buf,
               "44 00 00 00 08 53 73 31 00"
               "44 00 00 00 06 50 00"
               "43 00 00 00 08 53 73 31 00"
               "43 00 00 00 06 50 00");
}

TEST(FrontendDescribeClose, RejectNulInNames) {
  std::string buf = kPrefix;
  using namespace std::string_view_literals;
  auto d = fe::describe_portal(buf, "\0"sv);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(), "Describe: portal name contains a NUL byte at offset 0");
  auto c = fe::close_statement(buf, "x\0"sv);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), "Close: statement name contains a NUL byte at offset 1");
  EXPECT_EQ(buf, kPrefix);
}

TEST(FrontendFixed, FlushSyncTerminateCopyDone) {
  std::string buf;
  fe::flush(buf);
  fe::sync(buf);
  fe::terminate(buf);
  fe::copy_done(buf);
  EXPECT_BYTES(buf, "48 00 00 00 04  53 00 00 00 04  58 00 00 00 04  63 00 00 00 04");
}

// ---------------------------------------------------------------- COPY

TEST(FrontendCopy, CopyDataAndCopyFail) {
  std::string buf;
  ASSERT_TRUE(fe::copy_data(buf, std::string_view("ab\n")));
  ASSERT_TRUE(fe::copy_data(buf, pp::Bytes{}));
  ASSERT_TRUE(fe::copy_fail(buf, "bad"));
  EXPECT_BYTES(buf, "64 00 00 00 07 61 62 0a  64 00 00 00 04  66 00 00 00 08 62 61 64 00");
}

TEST(FrontendCopy, CopyFailRejectsNul) {
  std::string buf = kPrefix;
  using namespace std::string_view_literals;
  auto r = fe::copy_fail(buf, "bad\0"sv);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "CopyFail: the reason contains a NUL byte at offset 3");
  EXPECT_EQ(buf, kPrefix);
}

// ---------------------------------------------------------------- FunctionCall

TEST(FrontendFunctionCall, TypedArgument) {
  std::string buf;
  ASSERT_TRUE(fe::function_call(buf, 2748, Format::binary, TestInt{7}));
  EXPECT_BYTES(buf,
               "46 00 00 00 18  00 00 0a bc"
               "00 01 00 01  00 01  00 00 00 04 00 00 00 07"
               "00 01");
}

TEST(FrontendFunctionCall, EncodedArgumentsWithNull) {
  std::string buf;
  const std::vector<pp::EncodedValue> args = {pp::bytes_of("x"), std::nullopt};
  ASSERT_TRUE(fe::function_call_encoded(buf, 2748, {}, args, Format::text));
  EXPECT_BYTES(buf,
               "46 00 00 00 17  00 00 0a bc  00 00  00 02  00 00 00 01 78  ff ff ff ff  00 00");
}

TEST(FrontendFunctionCall, RejectsTooManyArguments) {
  std::string buf = kPrefix;
  std::vector<pp::EncodedValue> args(65536, std::nullopt);
  auto r = fe::function_call_encoded(buf, 1, {}, args, Format::text);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "FunctionCall: 65536 arguments, more than the protocol's limit of 65535");
  EXPECT_EQ(buf, kPrefix);
}

// ---------------------------------------------------------------- a realistic pipeline

TEST(FrontendPipeline, ParseBindExecuteSyncBackToBack) {
  std::string buf;
  ASSERT_TRUE(fe::parse(buf, "", "SELECT $1", {23}));
  ASSERT_TRUE(fe::bind(buf, "", "", {Format::binary}, TestInt{5}));
  ASSERT_TRUE(fe::execute(buf));
  fe::sync(buf);
  EXPECT_BYTES(buf,
               "50 00 00 00 15  00  53 45 4c 45 43 54 20 24 31 00  00 01 00 00 00 17"
               "42 00 00 00 18  00 00  00 01 00 01  00 01 00 00 00 04 00 00 00 05  00 01 00 01"
               "45 00 00 00 09  00 00 00 00 00"
               "53 00 00 00 04");
}

}  // namespace
