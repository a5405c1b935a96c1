// Every type codec against the real server, both ways:
//   forward: our binary encoding bound to `SELECT $1::type, $1::type` (column 0 back in binary,
//            column 1 in text); the binary decodes to the value we sent, and the text is what the
//            server prints for the same value written as a literal. The text column is the type's
//            output function, not a ::text cast: the cast differs from it for bool ("true" vs
//            "t"), bpchar (drops trailing spaces) and inet (always shows the mask);
//   reverse: `SELECT 'literal'::type` in binary decodes to the C++ value we expect;
//   text:    our parse_text reads the server's output back to the value, and our format_text
//            prints exactly what the server prints (session: UTC, ISO dates, ISO 8601 intervals).
// Edge values throughout: extreme integers, NaN, ±infinity, -0, subnormals, huge numerics, leap
// days, BC dates, the last timestamp, 24:00, negative interval parts, all 256 byte values, 1 MB
// of text, unicode json, inet masks, empty arrays and NULL elements.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "pgstream/client/extended_query.hpp"
#include "pgstream/client/pg_connection.hpp"
#include "pgstream/protocol/types/text_util.hpp"
#include "pgstream/protocol/types/types.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

namespace pp = protocol;
using client::extended_query;
using client::PgConnection;
using pp::Format;
using pp::Oid;

// ---- session ----

class TypeRoundTrip : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!TestServer::instance()) return;
    const auto& s = *TestServer::instance();
    auto c = PgConnection::connect("host=127.0.0.1 port=" + std::to_string(s.port()) +
                                   " dbname=postgres sslmode=disable user=" + s.get("PGSTREAM_TEST_TRUST_USER"));
    ASSERT_TRUE(c) << c.error().to_string();
    conn_ = new PgConnection(std::move(*c));
    auto r = conn_->simple_query(
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'iso_8601';"
        " SET bytea_output = 'hex'; SET extra_float_digits = 1; SET client_encoding = 'UTF8'");
    ASSERT_TRUE(r) << r.error().to_string();
  }
  static void TearDownTestSuite() {
    delete conn_;
    conn_ = nullptr;
  }
  void SetUp() override {
    PGSTREAM_REQUIRE_SERVER();
    ASSERT_NE(conn_, nullptr);
  }
  static PgConnection& conn() { return *conn_; }

 private:
  static inline PgConnection* conn_ = nullptr;
};

// ---- comparing and showing values ----

template <class T> struct IsVector : std::false_type {};
template <class T> struct IsVector<std::vector<T>> : std::true_type {};
template <class T> struct IsOptional : std::false_type {};
template <class T> struct IsOptional<std::optional<T>> : std::true_type {};

// Floats compare by bits (so -0 differs from 0), except that any NaN equals any NaN.
template <class T>
bool same(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    return std::bit_cast<Bits>(a) == std::bit_cast<Bits>(b);
  } else if constexpr (IsOptional<T>::value) {
    if (!a || !b) return !a && !b;
    return same(*a, *b);
  } else if constexpr (IsVector<T>::value && !std::is_same_v<T, std::vector<std::byte>>) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i])) return false;
    return true;
  } else {
    return a == b;
  }
}

template <class T>
concept HasFormatText = requires(const T& v) {
  { pp::format_text(v) } -> std::same_as<std::string>;
};

// What the server prints for `v` under this session's settings, by our own formatting code;
// nullopt for types without such a formatter (arrays).
template <class T>
std::optional<std::string> our_text(const T& v) {
  if constexpr (std::is_same_v<T, pp::Json> || std::is_same_v<T, pp::Jsonb>) {
    return std::string(v.text);
  } else if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) {
    std::string out;
    pp::encode_text(out, v);
    return out;
  } else if constexpr (HasFormatText<T>) {
    return pp::format_text(v);
  } else {
    return std::nullopt;
  }
}

template <class T>
inline constexpr bool kHasParseText =
    std::is_same_v<T, bool> || std::is_same_v<T, std::int16_t> || std::is_same_v<T, std::int32_t> ||
    std::is_same_v<T, std::int64_t> || std::is_same_v<T, float> || std::is_same_v<T, double> ||
    std::is_same_v<T, pp::Numeric> || std::is_same_v<T, pp::Date> || std::is_same_v<T, pp::Time> ||
    std::is_same_v<T, pp::Timestamp> || std::is_same_v<T, pp::TimestampTz> || std::is_same_v<T, pp::Interval> ||
    std::is_same_v<T, pp::Uuid> || std::is_same_v<T, pp::Inet> || std::is_same_v<T, pp::Cidr> ||
    std::is_same_v<T, std::vector<std::byte>> || std::is_same_v<T, std::string>;

template <class T>
std::string encoded(const T& v) {
  std::string out;
  if (!pp::bindable_is_null(v)) pp::Bindable<T>::encode(out, v);
  return out;
}

std::string hex(std::string_view s) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::size_t n = std::min<std::size_t>(s.size(), 96);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[static_cast<unsigned char>(s[i]) >> 4];
    out += kHex[static_cast<unsigned char>(s[i]) & 15];
  }
  if (s.size() > n) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

template <class T>
std::string show(const T& v) {
  std::string out = "binary " + hex(encoded(v));
  if constexpr (!IsOptional<T>::value) {
    if (auto t = our_text(v)) out += " text '" + (t->size() > 200 ? t->substr(0, 200) + "..." : *t) + "'";
  }
  return out;
}

std::string quote(std::string_view literal) {
  std::string out = "'";
  for (char ch : literal) {
    out += ch;
    if (ch == '\'') out += '\'';
  }
  return out + "'";
}

std::string clip(std::string_view s) { return s.size() > 200 ? std::string(s.substr(0, 200)) + "..." : std::string(s); }

// ---- the round trip ----

// `literal`: the server's input text for the value (nullopt = NULL). `value`: what we bind, and
// what we expect back unless `expected` says the server normalises it (jsonb, cidr input, ...).
template <class T>
void round_trip(PgConnection& conn, std::string_view type, Oid param_oid, const std::optional<std::string>& literal,
                const T& value, const std::optional<T>& expected = std::nullopt) {
  SCOPED_TRACE("type " + std::string(type) + ", literal " + (literal ? clip(*literal) : std::string("NULL")));
  const T& want = expected ? *expected : value;
  const std::string t(type);

  // forward: our binary in, binary and text out
  const std::string bytes = encoded(value);
  const pp::EncodedValue param =
      pp::bindable_is_null(value) ? pp::EncodedValue() : pp::EncodedValue(pp::bytes_of(bytes));
  auto fwd = extended_query(conn, "SELECT $1::" + t + ", $1::" + t, {param_oid}, {param},
                            {Format::binary, Format::text});
  ASSERT_TRUE(fwd) << "server rejected our binary " << show(value) << ": " << fwd.error().to_string();
  ASSERT_EQ(fwd->rows.size(), 1u);
  ASSERT_EQ(fwd->columns.size(), 2u);
  ASSERT_EQ(fwd->columns[0].format, Format::binary);
  auto back = pp::decode_field<T>(fwd->columns[0].type_oid, fwd->field(0, 0));
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_TRUE(same(*back, want)) << "forward: got " << show(*back) << ", want " << show(want);

  // reverse: the server's value from the literal, in binary and text
  const std::string lit = literal ? quote(*literal) + "::" + t : "NULL::" + t;
  auto rev = extended_query(conn, "SELECT " + lit + ", " + lit, {}, {}, {Format::binary, Format::text});
  ASSERT_TRUE(rev) << rev.error().to_string();
  ASSERT_EQ(rev->rows.size(), 1u);
  auto from_literal = pp::decode_field<T>(rev->columns[0].type_oid, rev->field(0, 0));
  ASSERT_TRUE(from_literal) << from_literal.error().to_string();
  EXPECT_TRUE(same(*from_literal, want)) << "reverse: got " << show(*from_literal) << ", want " << show(want);

  const auto fwd_text = fwd->text(0, 1);
  const auto server_text = rev->text(0, 1);
  ASSERT_EQ(fwd_text.has_value(), server_text.has_value());
  if (!server_text) return;
  EXPECT_EQ(*fwd_text, *server_text) << "the server prints our binary value differently from the literal's";

  // our text codecs against the server's text
  if constexpr (!IsOptional<T>::value) {
    if (auto ours = our_text(want)) {
      EXPECT_EQ(clip(*ours), clip(*server_text)) << "format_text differs";
    }
    if constexpr (kHasParseText<T>) {
      // Both the server's output and the literal we gave it read back to the value (a string's
      // literal is not its value when the type pads it).
      std::vector<std::string_view> texts = {*server_text};
      if constexpr (!std::is_same_v<T, std::string>) texts.push_back(*literal);
      for (const std::string_view text : texts) {
        auto parsed = pp::parse_text<T>(text);
        ASSERT_TRUE(parsed) << "parse_text('" << clip(text) << "'): " << parsed.error().to_string();
        if constexpr (std::is_same_v<T, pp::Inet>) parsed->is_cidr = want.is_cidr;  // text cannot say
        EXPECT_TRUE(same(*parsed, want)) << "parse_text('" << clip(text) << "') gave " << show(*parsed);
      }
    }
  }
}

// A constructor rather than an aggregate with a default member: g++ 12 crashes on the latter.
template <class T>
struct Case {
  Case(std::optional<std::string> l, T v, std::optional<T> e = {})
      : literal(std::move(l)), value(std::move(v)), expected(std::move(e)) {}
  std::optional<std::string> literal;
  T value;
  std::optional<T> expected;
};

template <class T>
void round_trip_all(PgConnection& conn, std::string_view type, const std::vector<Case<T>>& cases,
                    Oid param_oid = pp::Bindable<T>::oid) {
  for (const auto& c : cases) {
    round_trip<T>(conn, type, param_oid, c.literal, c.value, c.expected);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// A column of NULLs of any type: NULL goes out as length -1 and comes back as nullopt.
template <class T>
void null_round_trip(PgConnection& conn, std::string_view type) {
  round_trip<std::optional<T>>(conn, type, pp::Bindable<T>::oid, std::nullopt, std::nullopt);
}

// ---- value builders ----

pp::Date date(std::int64_t year, unsigned month, unsigned day) {
  auto d = pp::Date::from_civil(year, month, day);
  EXPECT_TRUE(d) << d.error().to_string();
  return d.value_or(pp::Date{});
}
pp::Time time_of(unsigned h, unsigned m, unsigned s, std::uint32_t us = 0) {
  auto t = pp::Time::from_hms(h, m, s, us);
  EXPECT_TRUE(t) << t.error().to_string();
  return t.value_or(pp::Time{});
}
template <class TS>
TS stamp(std::int64_t year, unsigned month, unsigned day, unsigned h, unsigned m, unsigned s, std::uint32_t us = 0) {
  auto ts = TS::from_date_time(date(year, month, day), time_of(h, m, s, us));
  EXPECT_TRUE(ts) << ts.error().to_string();
  return TS{ts ? ts->micros : 0};
}
pp::Numeric numeric(std::string_view text) {
  auto n = pp::Numeric::parse(text);
  EXPECT_TRUE(n) << n.error().to_string();
  return n.value_or(pp::Numeric{});
}
pp::Inet inet4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint8_t bits = 32) {
  pp::Inet v;
  v.family = pp::IpFamily::v4;
  v.bits = bits;
  v.address = {a, b, c, d};
  return v;
}
pp::Inet inet6(std::array<std::uint16_t, 8> groups, std::uint8_t bits = 128) {
  pp::Inet v;
  v.family = pp::IpFamily::v6;
  v.bits = bits;
  for (std::size_t i = 0; i < 8; ++i) {
    v.address[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
    v.address[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xff);
  }
  return v;
}
pp::Cidr cidr_of(const pp::Inet& i) {
  pp::Cidr c;
  static_cast<pp::NetAddress&>(c) = i;
  return c;
}
pp::Uuid uuid_of(std::string_view hex32) {
  pp::Uuid u;
  for (std::size_t i = 0; i < 16; ++i)
    u.bytes[i] = static_cast<std::uint8_t>(pp::text_util::hex_value(hex32[2 * i]) * 16 +
                                           pp::text_util::hex_value(hex32[2 * i + 1]));
  return u;
}
std::vector<std::byte> bytes_from(std::string_view s) {
  std::vector<std::byte> out;
  for (char ch : s) out.push_back(static_cast<std::byte>(ch));
  return out;
}

// ---- scalars ----

TEST_F(TypeRoundTrip, Bool) {
  round_trip_all<bool>(conn(), "bool", {{"true", true}, {"false", false}});
  null_round_trip<bool>(conn(), "bool");
}

TEST_F(TypeRoundTrip, Int2) {
  using L = std::numeric_limits<std::int16_t>;
  round_trip_all<std::int16_t>(conn(), "int2", {{"0", 0}, {"1", 1}, {"-1", -1}, {"-32768", L::min()}, {"32767", L::max()}});
  null_round_trip<std::int16_t>(conn(), "int2");
}

TEST_F(TypeRoundTrip, Int4) {
  using L = std::numeric_limits<std::int32_t>;
  round_trip_all<std::int32_t>(conn(), "int4",
                               {{"0", 0}, {"42", 42}, {"-2147483648", L::min()}, {"2147483647", L::max()}});
  null_round_trip<std::int32_t>(conn(), "int4");
}

TEST_F(TypeRoundTrip, Int8) {
  using L = std::numeric_limits<std::int64_t>;
  round_trip_all<std::int64_t>(conn(), "int8",
                               {{"0", 0},
                                {"-9223372036854775808", L::min()},
                                {"9223372036854775807", L::max()},
                                {"4294967296", std::int64_t{1} << 32}});
  null_round_trip<std::int64_t>(conn(), "int8");
}

TEST_F(TypeRoundTrip, Float4) {
  using L = std::numeric_limits<float>;
  round_trip_all<float>(conn(), "float4",
                        {{"0", 0.0f},
                         {"-0", -0.0f},
                         {"1.5", 1.5f},
                         {"-3.25", -3.25f},
                         {"0.1", 0.1f},
                         {"3.4028235e+38", L::max()},
                         {"-3.4028235e+38", L::lowest()},
                         {"1.1754944e-38", L::min()},
                         {"1e-45", L::denorm_min()},
                         {"100000", 100000.0f},
                         {"1e+06", 1e6f},
                         {"1.234567e+06", 1234567.0f},
                         {"1e+07", 1e7f},
                         {"0.0001", 0.0001f},
                         {"1e-05", 1e-5f},
                         {"Infinity", L::infinity()},
                         {"-Infinity", -L::infinity()},
                         {"NaN", L::quiet_NaN()}});
  null_round_trip<float>(conn(), "float4");
}

TEST_F(TypeRoundTrip, Float8) {
  using L = std::numeric_limits<double>;
  round_trip_all<double>(conn(), "float8",
                         {{"0", 0.0},
                          {"-0", -0.0},
                          {"0.1", 0.1},
                          {"-1e+100", -1e100},
                          {"123456789.125", 123456789.125},
                          {"1.7976931348623157e+308", L::max()},
                          {"2.2250738585072014e-308", L::min()},
                          {"5e-324", L::denorm_min()},
                          // Where the server switches between fixed and exponent notation.
                          {"100000", 100000.0},
                          {"1e+15", 1e15},
                          {"123456789012345", 123456789012345.0},
                          {"1e+16", 1e16},
                          {"1.2345678901234568e+17", 123456789012345678.0},
                          {"0.0001", 0.0001},
                          {"1e-05", 1e-5},
                          {"0.00012345", 0.00012345},
                          {"-1.5e+300", -1.5e300},
                          {"Infinity", L::infinity()},
                          {"-Infinity", -L::infinity()},
                          {"NaN", L::quiet_NaN()}});
  null_round_trip<double>(conn(), "float8");
}

TEST_F(TypeRoundTrip, Numeric) {
  std::mt19937_64 rng(20240229);  // fixed: the same 1000 digits every run
  std::string thousand = "-";
  for (int i = 0; i < 600; ++i) thousand += static_cast<char>('0' + rng() % 10);
  thousand[1] = '7';
  thousand += '.';
  for (int i = 0; i < 400; ++i) thousand += static_cast<char>('0' + rng() % 10);
  thousand.back() = '3';
  const std::string max_weight = "1" + std::string(131071, '0');  // weight 32767
  const std::string max_scale = "0." + std::string(16382, '0') + "1";
  const std::string tiny_and_big = "9" + std::string(300, '9') + "." + std::string(300, '0') + "1";

  std::vector<Case<pp::Numeric>> cases;
  for (const std::string& s :
       {std::string("0"), std::string("0.000"), std::string("1"), std::string("-1"), std::string("1.50"),
        std::string("-0.0001"), std::string("12345678.87654321"), std::string("10000"), std::string("9999.9999"),
        std::string("0.00001000"), std::string("100000000000000000000000000000"),
        std::string("-9223372036854775808"), std::string("NaN"), std::string("Infinity"),
        std::string("-Infinity"), thousand, max_weight, max_scale, tiny_and_big, std::string("0.1000"),
        std::string("0.00001"), std::string("1000000.0001"), std::string("-99999999"), std::string("0.9999"),
        std::string("12.3400000000"), std::string("10000.00010000")}) {
    cases.push_back({s, numeric(s)});
  }
  // Inputs the server canonicalises.
  cases.push_back({"1e3", numeric("1e3"), numeric("1000")});
  cases.push_back({"-0.00", numeric("-0.00"), numeric("0.00")});
  cases.push_back({"1.5e-3", numeric("1.5e-3"), numeric("0.0015")});
  cases.push_back({" +000123.4500 ", numeric("+000123.4500"), numeric("123.4500")});
  cases.push_back({"123.456e10", numeric("123.456e10"), numeric("1234560000000")});
  cases.push_back({"1E-16383", numeric("1e-16383"), numeric(max_scale)});
  cases.push_back({"-12345.678e-3", numeric("-12345.678e-3"), numeric("-12.345678")});
  cases.push_back({"inf", numeric("inf"), numeric("Infinity")});
  cases.push_back({"-inf", numeric("-inf"), numeric("-Infinity")});
  round_trip_all(conn(), "numeric", cases);
  null_round_trip<pp::Numeric>(conn(), "numeric");
}

TEST_F(TypeRoundTrip, TextLikeTypes) {
  const std::string megabyte = [] {
    std::string s;
    s.reserve(1 << 20);
    for (std::size_t i = 0; s.size() < (1u << 20); ++i) s += static_cast<char>('a' + i % 26);
    return s;
  }();
  const std::vector<Case<std::string>> cases = {
      {"", ""},
      {"hello", "hello"},
      {"it's \\ \"quoted\"", "it's \\ \"quoted\""},
      {"línea\nnueva\tß 日本 😀", "línea\nnueva\tß 日本 😀"},
      {megabyte, megabyte},
  };
  round_trip_all(conn(), "text", cases);
  round_trip_all(conn(), "varchar", cases, pp::oid::varchar);
  round_trip_all(conn(), "bpchar", std::vector<Case<std::string>>(cases.begin(), cases.end() - 1), pp::oid::bpchar);
  // A typed bpchar pads to its length, in binary as in text.
  round_trip<std::string>(conn(), "char(6)", pp::oid::bpchar, "ab", "ab", "ab    ");
  round_trip<std::string>(conn(), "char(3)", pp::oid::bpchar, "é", "é", "é  ");
  round_trip_all<std::string>(conn(), "name", {{"", ""}, {"pg_class", "pg_class"}, {std::string(63, 'n'), std::string(63, 'n')}},
                              pp::oid::name);
  null_round_trip<std::string>(conn(), "text");
}

TEST_F(TypeRoundTrip, Bytea) {
  std::vector<std::byte> all(256);
  std::string all_hex = "\\x";
  for (int i = 0; i < 256; ++i) {
    all[static_cast<std::size_t>(i)] = static_cast<std::byte>(i);
    constexpr char kHex[] = "0123456789abcdef";
    all_hex += kHex[i >> 4];
    all_hex += kHex[i & 15];
  }
  round_trip_all<std::vector<std::byte>>(conn(), "bytea",
                                         {{"\\x", {}},
                                          {"\\x00", {std::byte{0}}},
                                          {all_hex, all},
                                          {"abc\\000\\\\", bytes_from(std::string_view("abc\0\\", 5))}});
  // The Bytea view decodes the same bytes.
  round_trip<pp::Bytea>(conn(), "bytea", pp::oid::bytea, all_hex, pp::Bytea{all});
  null_round_trip<std::vector<std::byte>>(conn(), "bytea");
}

TEST_F(TypeRoundTrip, Uuid) {
  round_trip_all<pp::Uuid>(conn(), "uuid",
                           {{"00000000-0000-0000-0000-000000000000", uuid_of("00000000000000000000000000000000")},
                            {"ffffffff-ffff-ffff-ffff-ffffffffffff", uuid_of("ffffffffffffffffffffffffffffffff")},
                            {"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", uuid_of("a0eebc999c0b4ef8bb6d6bb9bd380a11")},
                            {"{01234567-89ab-cdef-0123-456789abcdef}", uuid_of("0123456789abcdef0123456789abcdef")}});
  null_round_trip<pp::Uuid>(conn(), "uuid");
}

TEST_F(TypeRoundTrip, Date) {
  round_trip_all<pp::Date>(conn(), "date",
                           {{"2000-01-01", pp::Date{0}},
                            {"1970-01-01", date(1970, 1, 1)},
                            {"2024-02-29", date(2024, 2, 29)},
                            {"2000-02-29", date(2000, 2, 29)},
                            {"1600-02-29", date(1600, 2, 29)},
                            {"1900-02-28", date(1900, 2, 28)},
                            {"1900-03-01", date(1900, 3, 1)},
                            {"0001-01-01", date(1, 1, 1)},
                            {"0001-12-31 BC", date(0, 12, 31)},
                            {"0001-02-29 BC", date(0, 2, 29)},
                            {"0005-02-29 BC", date(-4, 2, 29)},
                            {"0044-03-15 BC", date(-43, 3, 15)},
                            {"4713-01-01 BC", date(-4712, 1, 1)},
                            {"4714-11-24 BC", date(-4713, 11, 24)},
                            {"5874897-12-31", date(5874897, 12, 31)},
                            {"infinity", pp::Date::infinity()},
                            {"-infinity", pp::Date::minus_infinity()}});
  null_round_trip<pp::Date>(conn(), "date");
}

TEST_F(TypeRoundTrip, Time) {
  round_trip_all<pp::Time>(conn(), "time",
                           {{"00:00:00", pp::Time{0}},
                            {"12:34:56.5", time_of(12, 34, 56, 500000)},
                            {"23:59:59.999999", time_of(23, 59, 59, 999999)},
                            {"00:00:00.000001", pp::Time{1}},
                            {"24:00:00", time_of(24, 0, 0)}});
  null_round_trip<pp::Time>(conn(), "time");
}

template <class TS>
std::vector<Case<TS>> timestamp_cases(std::string_view zone) {
  const std::string z(zone);
  return {
      {"2000-01-01 00:00:00" + z, TS{0}},
      {"2024-02-29 12:34:56.123456" + z, stamp<TS>(2024, 2, 29, 12, 34, 56, 123456)},
      {"1969-12-31 23:59:59.999999" + z, stamp<TS>(1969, 12, 31, 23, 59, 59, 999999)},
      {"1999-12-31 23:59:59.999999" + z, TS{-1}},
      {"0001-01-01 00:00:00" + z + " BC", stamp<TS>(0, 1, 1, 0, 0, 0)},
      {"0001-02-29 23:00:00" + z + " BC", stamp<TS>(0, 2, 29, 23, 0, 0)},
      {"4713-01-01 00:00:00" + z + " BC", stamp<TS>(-4712, 1, 1, 0, 0, 0)},
      {"4714-11-24 00:00:00" + z + " BC", stamp<TS>(-4713, 11, 24, 0, 0, 0)},
      {"294276-12-31 23:59:59.999999" + z, stamp<TS>(294276, 12, 31, 23, 59, 59, 999999)},
      {"infinity", TS::infinity()},
      {"-infinity", TS::minus_infinity()},
  };
}

TEST_F(TypeRoundTrip, Timestamp) {
  round_trip_all(conn(), "timestamp", timestamp_cases<pp::Timestamp>(""));
  null_round_trip<pp::Timestamp>(conn(), "timestamp");
}

TEST_F(TypeRoundTrip, TimestampTz) {
  round_trip_all(conn(), "timestamptz", timestamp_cases<pp::TimestampTz>("+00"));
  // A literal in another zone is the same instant, printed in the session's UTC.
  round_trip<pp::TimestampTz>(conn(), "timestamptz", pp::oid::timestamptz, "2024-02-28 23:30:00-05",
                              stamp<pp::TimestampTz>(2024, 2, 29, 4, 30, 0));
  null_round_trip<pp::TimestampTz>(conn(), "timestamptz");
}

TEST_F(TypeRoundTrip, Interval) {
  constexpr std::int64_t h = 3'600'000'000;
  round_trip_all<pp::Interval>(
      conn(), "interval",
      {{"0", pp::Interval{}},
       {"1 year 2 mons 3 days 04:05:06.5", pp::Interval{4 * h + 5 * 60'000'000 + 6'500'000, 3, 14}},
       {"-1 year -2 mons +3 days -04:05:06.000001", pp::Interval{-(4 * h + 5 * 60'000'000 + 6'000'001), 3, -14}},
       {"1 mon -1 days", pp::Interval{0, -1, 1}},
       {"-0.000001 seconds", pp::Interval{-1, 0, 0}},
       {"P-1Y2M-3DT4H-5M6.25S", pp::Interval{4 * h - 5 * 60'000'000 + 6'250'000, -3, -10}},
       {"100 hours", pp::Interval{100 * h, 0, 0}},
       {"178956970 years 7 mons", pp::Interval{0, 0, std::numeric_limits<std::int32_t>::max()}},
       {"-178956970 years -8 mons", pp::Interval{0, 0, std::numeric_limits<std::int32_t>::min()}},
       {"2147483647 days", pp::Interval{0, std::numeric_limits<std::int32_t>::max(), 0}},
       {"-2147483648 days", pp::Interval{0, std::numeric_limits<std::int32_t>::min(), 0}},
       {"1 day -0.5 seconds", pp::Interval{-500'000, 1, 0}},
       {"-1 mons 1 day 0.000001 seconds", pp::Interval{1, 1, -1}},
       {"P1Y", pp::Interval{0, 0, 12}},
       {"P1D", pp::Interval{0, 1, 0}},
       {"PT1H", pp::Interval{h, 0, 0}},
       {"PT0.000001S", pp::Interval{1, 0, 0}},
       {"PT-59.999999S", pp::Interval{-59'999'999, 0, 0}},
       {"3 days 25:00:00", pp::Interval{25 * h, 3, 0}},
       // The server's text input stops one microsecond short of INT64_MIN.
       {"2562047788:00:54.775807", pp::Interval{std::numeric_limits<std::int64_t>::max(), 0, 0}},
       {"-2562047788:00:54.775807", pp::Interval{std::numeric_limits<std::int64_t>::min() + 1, 0, 0}}});
  null_round_trip<pp::Interval>(conn(), "interval");
}

TEST_F(TypeRoundTrip, Json) {
  const std::string doc = "{\"b\": [1, 2.50, null, true], \"a\": \"é 日本 😀 \\u00e9\", \"a\": 1}";
  round_trip_all<pp::Json>(conn(), "json",
                           {{doc, pp::Json{doc}}, {"[]", pp::Json{"[]"}}, {"\"\"", pp::Json{"\"\""}}});
  null_round_trip<pp::Json>(conn(), "json");
}

TEST_F(TypeRoundTrip, Jsonb) {
  // jsonb keeps the last of duplicate keys, sorts keys by length then bytes, and respaces.
  const std::string doc = "{\"bb\": [1, 2.50, null, true], \"a\": \"é 日本 😀 \\u00e9\", \"a\": 1}";
  const std::string normal = "{\"a\": 1, \"bb\": [1, 2.50, null, true]}";
  round_trip_all<pp::Jsonb>(conn(), "jsonb",
                            {{normal, pp::Jsonb{normal}},
                             {doc, pp::Jsonb{doc}, pp::Jsonb{normal}},
                             {"\"é 😀 \\u00e9\"", pp::Jsonb{"\"é 😀 \\u00e9\""}, pp::Jsonb{"\"é 😀 é\""}},
                             {"[]", pp::Jsonb{"[]"}},
                             {"1e3", pp::Jsonb{"1e3"}, pp::Jsonb{"1000"}}});
  null_round_trip<pp::Jsonb>(conn(), "jsonb");
}

TEST_F(TypeRoundTrip, Inet) {
  round_trip_all<pp::Inet>(conn(), "inet",
                           {{"192.168.1.5/24", inet4(192, 168, 1, 5, 24)},
                            {"10.0.0.1", inet4(10, 0, 0, 1)},
                            {"0.0.0.0/0", inet4(0, 0, 0, 0, 0)},
                            {"255.255.255.255", inet4(255, 255, 255, 255)},
                            {"::1", inet6({0, 0, 0, 0, 0, 0, 0, 1})},
                            {"::", inet6({0, 0, 0, 0, 0, 0, 0, 0})},
                            {"2001:db8::1/64", inet6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}, 64)},
                            {"fe80::1:2:3:4/10", inet6({0xfe80, 0, 0, 0, 1, 2, 3, 4}, 10)},
                            {"::ffff:1.2.3.4", inet6({0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304})},
                            {"1:2:3:4:5:6:7:8/0", inet6({1, 2, 3, 4, 5, 6, 7, 8}, 0)},
                            // Which zero run "::" replaces, and when the tail prints as IPv4.
                            {"1:0:0:1::", inet6({1, 0, 0, 1, 0, 0, 0, 0})},
                            {"1::1:0:0:0", inet6({1, 0, 0, 0, 1, 0, 0, 0})},
                            {"1:0:0:2::3", inet6({1, 0, 0, 2, 0, 0, 0, 3})},
                            {"1:0:2:3:4:5:6:7", inet6({1, 0, 2, 3, 4, 5, 6, 7})},
                            {"::1.2.3.4", inet6({0, 0, 0, 0, 0, 0, 0x0102, 0x0304})},
                            {"::ffff:0.0.0.0", inet6({0, 0, 0, 0, 0, 0xffff, 0, 0})},
                            {"::2", inet6({0, 0, 0, 0, 0, 0, 0, 2})},
                            {"::ffff", inet6({0, 0, 0, 0, 0, 0, 0, 0xffff})},
                            {"::1:2", inet6({0, 0, 0, 0, 0, 0, 1, 2})},
                            {"0:0:0:0:0:1:0:0", inet6({0, 0, 0, 0, 0, 1, 0, 0})},
                            {"FFFF:ffff:FFFF:ffff:FFFF:ffff:FFFF:ffff/127",
                             inet6({0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff}, 127)},
                            {"10.0.0.1/8", inet4(10, 0, 0, 1, 8)}});
  null_round_trip<pp::Inet>(conn(), "inet");
}

TEST_F(TypeRoundTrip, Cidr) {
  round_trip_all<pp::Cidr>(conn(), "cidr",
                           {{"10.0.0.0/8", cidr_of(inet4(10, 0, 0, 0, 8))},
                            {"10/8", cidr_of(inet4(10, 0, 0, 0, 8))},
                            {"10.1.2", cidr_of(inet4(10, 1, 2, 0, 24))},
                            {"128.1", cidr_of(inet4(128, 1, 0, 0, 16))},
                            {"192.168", cidr_of(inet4(192, 168, 0, 0, 24))},
                            {"224", cidr_of(inet4(224, 0, 0, 0, 4))},
                            {"10.1.2.3", cidr_of(inet4(10, 1, 2, 3, 32))},
                            {"2001:db8:8000::/33", cidr_of(inet6({0x2001, 0xdb8, 0x8000, 0, 0, 0, 0, 0}, 33))},
                            {"192.168.1.0/24", cidr_of(inet4(192, 168, 1, 0, 24))},
                            {"1.2.3.4/32", cidr_of(inet4(1, 2, 3, 4, 32))},
                            {"0.0.0.0/0", cidr_of(inet4(0, 0, 0, 0, 0))},
                            {"2001:db8::/32", cidr_of(inet6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0}, 32))},
                            {"::/0", cidr_of(inet6({0, 0, 0, 0, 0, 0, 0, 0}, 0))},
                            {"::1/128", cidr_of(inet6({0, 0, 0, 0, 0, 0, 0, 1}, 128))}});
  // A cidr column decodes into Inet too, remembering where it came from.
  pp::Inet net = inet4(10, 1, 0, 0, 16);
  net.is_cidr = true;
  round_trip<pp::Inet>(conn(), "cidr", pp::oid::cidr, "10.1.0.0/16", net);
  null_round_trip<pp::Cidr>(conn(), "cidr");
}

// ---- arrays ----

template <class E>
using Arr = std::vector<std::optional<E>>;

TEST_F(TypeRoundTrip, ArraysOfIntegersAndBool) {
  round_trip_all<Arr<std::int32_t>>(conn(), "int4[]",
                                    {{"{}", {}},
                                     {"{1,NULL,-2147483648,2147483647}", {1, std::nullopt, INT32_MIN, INT32_MAX}},
                                     {"{NULL}", {std::nullopt}},
                                     {"{NULL,NULL}", {std::nullopt, std::nullopt}}});
  round_trip_all<Arr<std::int16_t>>(conn(), "int2[]", {{"{}", {}}, {"{-32768,NULL,32767}", {INT16_MIN, std::nullopt, INT16_MAX}}});
  round_trip_all<Arr<std::int64_t>>(conn(), "int8[]",
                                    {{"{}", {}}, {"{NULL,-9223372036854775808,9223372036854775807}", {std::nullopt, INT64_MIN, INT64_MAX}}});
  round_trip_all<Arr<bool>>(conn(), "bool[]", {{"{}", {}}, {"{t,NULL,f}", {true, std::nullopt, false}}});
  // Without NULLs, into a plain vector.
  round_trip_all<std::vector<std::int32_t>>(conn(), "int4[]", {{"{}", {}}, {"{3,2,1}", {3, 2, 1}}});
  null_round_trip<std::vector<std::int32_t>>(conn(), "int4[]");
}

TEST_F(TypeRoundTrip, ArraysOfFloatsAndNumeric) {
  using LF = std::numeric_limits<float>;
  using LD = std::numeric_limits<double>;
  round_trip_all<Arr<float>>(conn(), "float4[]",
                             {{"{}", {}}, {"{NaN,-0,Infinity,NULL,1e-45}", {LF::quiet_NaN(), -0.0f, LF::infinity(), std::nullopt, LF::denorm_min()}}});
  round_trip_all<Arr<double>>(conn(), "float8[]",
                              {{"{}", {}}, {"{-Infinity,NULL,0.1,5e-324}", {-LD::infinity(), std::nullopt, 0.1, LD::denorm_min()}}});
  round_trip_all<Arr<pp::Numeric>>(conn(), "numeric[]",
                                   {{"{}", {}},
                                    {"{1.50,NULL,NaN,-Infinity,0.0001}",
                                     {numeric("1.50"), std::nullopt, numeric("NaN"), numeric("-Infinity"), numeric("0.0001")}}});
}

TEST_F(TypeRoundTrip, ArraysOfStringsAndBytes) {
  round_trip_all<Arr<std::string>>(conn(), "text[]",
                                   {{"{}", {}},
                                    {"{\"\",NULL,\"NULL\",\"a,b\",\"q\\\"uote\",\"back\\\\slash\",\" sp \",\"日本\"}",
                                     {"", std::nullopt, "NULL", "a,b", "q\"uote", "back\\slash", " sp ", "日本"}}});
  round_trip_all<Arr<std::string>>(conn(), "varchar[]", {{"{x,NULL}", {"x", std::nullopt}}});
  round_trip_all<Arr<std::vector<std::byte>>>(
      conn(), "bytea[]",
      {{"{}", {}}, {"{\"\\\\x\",NULL,\"\\\\x00ff\"}", {std::vector<std::byte>{}, std::nullopt, bytes_from(std::string_view("\x00\xff", 2))}}});
}

TEST_F(TypeRoundTrip, ArraysOfUuidAndDatetimes) {
  round_trip_all<Arr<pp::Uuid>>(
      conn(), "uuid[]", {{"{}", {}}, {"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}", {uuid_of("a0eebc999c0b4ef8bb6d6bb9bd380a11"), std::nullopt}}});
  round_trip_all<Arr<pp::Date>>(conn(), "date[]",
                                {{"{}", {}},
                                 {"{2024-02-29,NULL,\"4713-01-01 BC\",infinity,-infinity}",
                                  {date(2024, 2, 29), std::nullopt, date(-4712, 1, 1), pp::Date::infinity(), pp::Date::minus_infinity()}}});
  round_trip_all<Arr<pp::Time>>(conn(), "time[]", {{"{}", {}}, {"{24:00:00,NULL,00:00:00.000001}", {time_of(24, 0, 0), std::nullopt, pp::Time{1}}}});
  round_trip_all<Arr<pp::Timestamp>>(
      conn(), "timestamp[]",
      {{"{}", {}},
       {"{\"2024-02-29 12:00:00\",NULL,infinity,\"294276-12-31 23:59:59.999999\"}",
        {stamp<pp::Timestamp>(2024, 2, 29, 12, 0, 0), std::nullopt, pp::Timestamp::infinity(),
         stamp<pp::Timestamp>(294276, 12, 31, 23, 59, 59, 999999)}}});
  round_trip_all<Arr<pp::TimestampTz>>(
      conn(), "timestamptz[]",
      {{"{}", {}}, {"{\"2024-02-29 12:00:00+00\",NULL,-infinity}", {stamp<pp::TimestampTz>(2024, 2, 29, 12, 0, 0), std::nullopt, pp::TimestampTz::minus_infinity()}}});
  round_trip_all<Arr<pp::Interval>>(conn(), "interval[]",
                                    {{"{}", {}}, {"{\"1 mon -1 days -00:00:00.000001\",NULL}", {pp::Interval{-1, -1, 1}, std::nullopt}}});
}

TEST_F(TypeRoundTrip, ArraysOfJsonAndNetworks) {
  round_trip_all<Arr<pp::Json>>(conn(), "json[]", {{"{}", {}}, {"{\"{\\\"a\\\": \\\"é\\\"}\",NULL}", {pp::Json{"{\"a\": \"é\"}"}, std::nullopt}}});
  round_trip_all<Arr<pp::Jsonb>>(conn(), "jsonb[]",
                                 {{"{}", {}}, {"{\"{\\\"a\\\": [1, 2]}\",NULL}", {pp::Jsonb{"{\"a\": [1, 2]}"}, std::nullopt}}});
  round_trip_all<Arr<pp::Inet>>(conn(), "inet[]",
                                {{"{}", {}}, {"{192.168.1.5/24,NULL,::1}", {inet4(192, 168, 1, 5, 24), std::nullopt, inet6({0, 0, 0, 0, 0, 0, 0, 1})}}});
  round_trip_all<Arr<pp::Cidr>>(conn(), "cidr[]",
                                {{"{}", {}}, {"{10.0.0.0/8,NULL,2001:db8::/32}",
                                              {cidr_of(inet4(10, 0, 0, 0, 8)), std::nullopt, cidr_of(inet6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0}, 32))}}});
}

// Under other session settings the server prints differently; parse_text must still read it.
template <class T>
void server_text_parses_back(PgConnection& conn, std::string_view setting, std::string_view type,
                             const std::vector<std::string>& literals) {
  SCOPED_TRACE(std::string(setting));
  auto set = conn.simple_query("SET " + std::string(setting));
  ASSERT_TRUE(set) << set.error().to_string();
  for (const auto& literal : literals) {
    SCOPED_TRACE("literal " + literal);
    const std::string lit = quote(literal) + "::" + std::string(type);
    auto r = extended_query(conn, "SELECT " + lit + ", " + lit, {}, {}, {Format::binary, Format::text});
    ASSERT_TRUE(r) << r.error().to_string();
    auto value = pp::decode_field<T>(r->columns[0].type_oid, r->field(0, 0));
    ASSERT_TRUE(value) << value.error().to_string();
    const std::string_view text = *r->text(0, 1);
    auto parsed = pp::parse_text<T>(text);
    ASSERT_TRUE(parsed) << "parse_text('" << text << "'): " << parsed.error().to_string();
    EXPECT_TRUE(same(*parsed, *value)) << "parse_text('" << text << "') gave " << show(*parsed) << ", server sent "
                                       << show(*value);
  }
}

TEST_F(TypeRoundTrip, TimestampTzTextInOtherZonesParsesBack) {
  const std::vector<std::string> instants = {"2024-02-29 12:00:00.5+00", "2024-07-01 00:00:00+00",
                                             "1900-01-01 00:00:00+00", "1850-06-01 12:00:00+00",
                                             "0044-03-15 12:00:00+00 BC", "infinity", "-infinity"};
  // +05:30, -03:30/-02:30, and local mean times with offset seconds (+00:19:32, -04:56:02).
  for (const char* zone : {"Asia/Kolkata", "America/St_Johns", "Europe/Amsterdam", "America/New_York"}) {
    server_text_parses_back<pp::TimestampTz>(conn(), "TimeZone = '" + std::string(zone) + "'", "timestamptz", instants);
  }
  ASSERT_TRUE(conn().simple_query("SET TimeZone = 'UTC'"));
}

TEST_F(TypeRoundTrip, IntervalTextInOtherStylesParsesBack) {
  const std::vector<std::string> intervals = {
      "0", "1 year 2 mons 3 days 04:05:06.5", "-1 year -2 mons +3 days -04:05:06.000001", "1 mon -1 days",
      "-0.000001 seconds", "1 day -0.5 seconds", "100 hours", "178956970 years 7 mons", "-2147483648 days",
      "2562047788:00:54.775807", "-2562047788:00:54.775807", "-1 days +02:00:00", "3 mons -00:00:01"};
  for (const char* style : {"postgres", "postgres_verbose", "iso_8601"}) {
    server_text_parses_back<pp::Interval>(conn(), "IntervalStyle = '" + std::string(style) + "'", "interval", intervals);
  }
  ASSERT_TRUE(conn().simple_query("SET IntervalStyle = 'iso_8601'"));
}

// Decoding into a wider C++ type than the column's own.
TEST_F(TypeRoundTrip, WiderDecodersReadNarrowerColumns) {
  auto r = extended_query(conn(), "SELECT '-32768'::int2, '-2147483648'::int4, '1e-45'::float4, '4294967295'::oid",
                          {}, {}, {Format::binary});
  ASSERT_TRUE(r) << r.error().to_string();
  auto t = [&](std::size_t i) { return r->columns[i].type_oid; };
  EXPECT_EQ(pp::decode_field<std::int32_t>(t(0), r->field(0, 0)).value_or(0), -32768);
  EXPECT_EQ(pp::decode_field<std::int64_t>(t(1), r->field(0, 1)).value_or(0), std::int64_t{INT32_MIN});
  EXPECT_EQ(pp::decode_field<pp::Numeric>(t(1), r->field(0, 1)).value_or(pp::Numeric{}), numeric("-2147483648"));
  EXPECT_EQ(pp::decode_field<double>(t(2), r->field(0, 2)).value_or(0.0),
            static_cast<double>(std::numeric_limits<float>::denorm_min()));
  EXPECT_EQ(pp::decode_field<std::int64_t>(t(3), r->field(0, 3)).value_or(0), std::int64_t{4294967295});
  EXPECT_FALSE(pp::decode_field<std::int16_t>(t(1), r->field(0, 1))) << "int4 must not narrow into int16_t";
}

// What the server sends that our encoder never does: a lower bound other than 1 reads as the
// same elements; a two-dimensional array is refused with a clear error.
TEST_F(TypeRoundTrip, ArraysTheServerShapesDifferently) {
  auto r = extended_query(conn(), "SELECT '[0:2]={7,NULL,9}'::int4[], '{{1,2},{3,4}}'::int4[]", {}, {}, {Format::binary});
  ASSERT_TRUE(r) << r.error().to_string();
  auto shifted = pp::decode_field<Arr<std::int32_t>>(r->columns[0].type_oid, r->field(0, 0));
  ASSERT_TRUE(shifted) << shifted.error().to_string();
  EXPECT_TRUE(same(*shifted, Arr<std::int32_t>{7, std::nullopt, 9}));
  auto square = pp::decode_field<Arr<std::int32_t>>(r->columns[1].type_oid, r->field(0, 1));
  ASSERT_FALSE(square);
  EXPECT_NE(square.error().message().find("one-dimensional"), std::string::npos) << square.error().to_string();
}

}  // namespace
}  // namespace pgstream::testing
