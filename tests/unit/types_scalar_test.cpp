#include <gtest/gtest.h>

#include <cctype>

#include <cmath>
#include <limits>
#include <string>

#include "pgstream/protocol/types/types.hpp"

namespace pgstream::protocol {
namespace {

std::string to_hex(std::string_view bytes) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::vector<std::byte> from_hex(std::string_view hex) {
  std::vector<std::byte> out;
  int pending = -1;
  for (char c : hex) {
    if (c == ' ') continue;
    const int v = c >= 'a' ? c - 'a' + 10 : c - '0';
    if (pending < 0) {
      pending = v;
    } else {
      out.push_back(static_cast<std::byte>(pending << 4 | v));
      pending = -1;
    }
  }
  return out;
}

template <class T>
std::string encode_hex(const T& v) {
  std::string sink;
  Bindable<T>::encode(sink, v);
  return to_hex(sink);
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

template <class T>
T round_trip(const T& v) {
  std::string sink;
  Bindable<T>::encode(sink, v);
  auto back = decode_binary<T>(as_bytes(sink));
  EXPECT_TRUE(back.has_value()) << (back ? "" : back.error().message());
  return back ? *back : T{};
}

TEST(ScalarEncode, IntegersAreBigEndianAtTheirWidth) {
  EXPECT_EQ(encode_hex<std::int16_t>(1), "0001");
  EXPECT_EQ(encode_hex<std::int16_t>(std::numeric_limits<std::int16_t>::min()), "8000");
  EXPECT_EQ(encode_hex<std::int32_t>(-2), "fffffffe");
  EXPECT_EQ(encode_hex<std::int32_t>(0x01020304), "01020304");
  EXPECT_EQ(encode_hex<std::int64_t>(std::numeric_limits<std::int64_t>::max()), "7fffffffffffffff");
  EXPECT_EQ(Bindable<std::int16_t>::oid, oid::int2);
  EXPECT_EQ(Bindable<std::int32_t>::oid, oid::int4);
  EXPECT_EQ(Bindable<std::int64_t>::oid, oid::int8);
}

TEST(ScalarEncode, FloatsKeepTheirIeeeBits) {
  EXPECT_EQ(encode_hex(1.0f), "3f800000");
  EXPECT_EQ(encode_hex(-0.0f), "80000000");
  EXPECT_EQ(encode_hex(std::numeric_limits<float>::infinity()), "7f800000");
  EXPECT_EQ(encode_hex(1.5), "3ff8000000000000");
  EXPECT_EQ(encode_hex(-std::numeric_limits<double>::infinity()), "fff0000000000000");
  EXPECT_EQ(encode_hex(std::numeric_limits<double>::quiet_NaN()), "7ff8000000000000");
}

TEST(ScalarEncode, BoolIsOneByte) {
  EXPECT_EQ(encode_hex(true), "01");
  EXPECT_EQ(encode_hex(false), "00");
  EXPECT_EQ(Bindable<bool>::oid, oid::bool_);
}

TEST(ScalarEncode, StringsAreTheirBytesAsText) {
  EXPECT_EQ(encode_hex(std::string("hé")), "68c3a9");
  EXPECT_EQ(encode_hex(std::string_view("ab")), "6162");
  const char* p = "xyz";
  EXPECT_EQ(encode_hex(p), "78797a");
  EXPECT_EQ(encode_hex("lit"), "6c6974");  // char[4]: stops at the terminator
  char buf[8] = {'a', 'b', 0, 'c'};
  EXPECT_EQ(encode_hex(buf), "6162");
  EXPECT_EQ(Bindable<std::string>::oid, oid::text);
  EXPECT_EQ(Bindable<char[4]>::oid, oid::text);
  EXPECT_TRUE(bindable_is_null<const char*>(nullptr));
  EXPECT_FALSE(bindable_is_null<const char*>(p));
}

TEST(ScalarEncode, ByteaUuidAndJsonLayouts) {
  const std::vector<std::byte> raw = {std::byte{0}, std::byte{0xff}, std::byte{0x10}};
  EXPECT_EQ(encode_hex(Bytea{raw}), "00ff10");
  EXPECT_EQ(encode_hex(raw), "00ff10");
  EXPECT_EQ(Bindable<std::vector<std::byte>>::oid, oid::bytea);
  auto u = parse_text<Uuid>("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(encode_hex(*u), "a0eebc999c0b4ef8bb6d6bb9bd380a11");
  EXPECT_EQ(encode_hex(Json{R"({"a":1})"}), "7b2261223a317d");
  EXPECT_EQ(encode_hex(Jsonb{R"({"a":1})"}), "017b2261223a317d");  // version byte 1 first
  EXPECT_EQ(Bindable<Jsonb>::oid, oid::jsonb);
}

TEST(ScalarEncode, OptionalIsNullWhenEmptyAndTheValueOtherwise) {
  std::optional<std::int32_t> none;
  std::optional<std::int32_t> seven = 7;
  EXPECT_TRUE(bindable_is_null(none));
  EXPECT_FALSE(bindable_is_null(seven));
  EXPECT_EQ(encode_hex(seven), "00000007");
  EXPECT_EQ(Bindable<std::optional<std::int32_t>>::oid, oid::int4);
  EXPECT_TRUE(bindable_is_null(std::nullopt));
  EXPECT_EQ(Bindable<std::nullopt_t>::oid, oid::unspecified);
}

TEST(ScalarRoundTrip, EdgeValuesSurvive) {
  EXPECT_EQ(round_trip(std::numeric_limits<std::int16_t>::min()), std::numeric_limits<std::int16_t>::min());
  EXPECT_EQ(round_trip(std::numeric_limits<std::int16_t>::max()), std::numeric_limits<std::int16_t>::max());
  EXPECT_EQ(round_trip(std::numeric_limits<std::int32_t>::min()), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(round_trip(std::numeric_limits<std::int64_t>::min()), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(round_trip(std::numeric_limits<std::int64_t>::max()), std::numeric_limits<std::int64_t>::max());
  EXPECT_TRUE(std::isnan(round_trip(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(std::isnan(round_trip(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(round_trip(std::numeric_limits<double>::infinity()), std::numeric_limits<double>::infinity());
  EXPECT_EQ(round_trip(-std::numeric_limits<float>::infinity()), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(round_trip(std::numeric_limits<double>::denorm_min()), std::numeric_limits<double>::denorm_min());
  EXPECT_TRUE(std::signbit(round_trip(-0.0)));
  EXPECT_EQ(round_trip(true), true);
  EXPECT_EQ(round_trip(false), false);
  Uuid u;
  for (std::size_t i = 0; i < 16; ++i) u.bytes[i] = static_cast<std::uint8_t>(0xf0 + i);
  EXPECT_EQ(round_trip(u), u);
}

TEST(ScalarDecode, ViewsPointIntoTheInput) {
  const std::string frame = "hello";
  auto v = decode_binary<std::string_view>(as_bytes(frame));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, "hello");
  EXPECT_EQ(v->data(), frame.data());
  auto b = decode_binary<Bytea>(as_bytes(frame));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(static_cast<const void*>(b->bytes.data()), static_cast<const void*>(frame.data()));
  const std::string jsonb = std::string("\x01") + "[1]";
  auto j = decode_binary<Jsonb>(as_bytes(jsonb));
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->text, "[1]");
  EXPECT_EQ(j->text.data(), jsonb.data() + 1);
}

TEST(ScalarDecode, WrongLengthsAreErrors) {
  auto check = [](auto result, std::string_view message) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().category(), ErrorCategory::decode);
    EXPECT_EQ(result.error().message(), message);
  };
  check(decode_binary<std::int32_t>(from_hex("000001")), "int4 value must be 4 bytes, got 3");
  check(decode_binary<std::int16_t>(from_hex("000001")), "int2 value must be 2 bytes, got 3");
  check(decode_binary<std::int64_t>(from_hex("00000000")), "int8 value must be 8 bytes, got 4");
  check(decode_binary<bool>(from_hex("")), "bool value must be 1 bytes, got 0");
  check(decode_binary<double>(from_hex("3ff00000")), "float8 value must be 8 bytes, got 4");
  check(decode_binary<float>(from_hex("3ff0000000")), "float4 value must be 4 bytes, got 5");
  check(decode_binary<Uuid>(from_hex("00112233445566778899aabbccddeeff00")), "uuid value must be 16 bytes, got 17");
  check(decode_binary<Jsonb>(from_hex("025b5d")), "unsupported jsonb binary version 2 (expected 1)");
  check(decode_binary<Jsonb>(from_hex("")), "jsonb value is empty (expected a version byte)");
}

TEST(ScalarParseText, BooleansFollowTheServersSpellings) {
  for (const char* t : {"t", "true", "TRUE", " yes ", "y", "on", "1", "tr"}) {
    auto b = parse_text<bool>(t);
    ASSERT_TRUE(b.has_value()) << t;
    EXPECT_TRUE(*b) << t;
  }
  for (const char* f : {"f", "false", "no", "n", "off", "0", "OFF", "fa"}) {
    auto b = parse_text<bool>(f);
    ASSERT_TRUE(b.has_value()) << f;
    EXPECT_FALSE(*b) << f;
  }
  for (const char* bad : {"o", "", "2", "yess", "truth"}) {
    auto b = parse_text<bool>(bad);
    ASSERT_FALSE(b.has_value()) << bad;
    EXPECT_NE(b.error().message().find("not a valid boolean"), std::string::npos);
  }
}

TEST(ScalarParseText, IntegersCheckRangeAndSyntax) {
  EXPECT_EQ(parse_text<std::int16_t>(" -32768 ").value(), -32768);
  EXPECT_EQ(parse_text<std::int32_t>("+42").value(), 42);
  EXPECT_EQ(parse_text<std::int64_t>("-9223372036854775808").value(), std::numeric_limits<std::int64_t>::min());
  auto over = parse_text<std::int16_t>("32768");
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().message(), "not a valid int2: '32768' (out of range -32768..32767)");
  auto junk = parse_text<std::int32_t>("12abc");
  ASSERT_FALSE(junk.has_value());
  EXPECT_EQ(junk.error().message(), "not a valid int4: '12abc' (expected a decimal integer)");
  EXPECT_FALSE(parse_text<std::int32_t>("").has_value());
  EXPECT_FALSE(parse_text<std::int32_t>("1.0").has_value());
  EXPECT_FALSE(parse_text<std::int64_t>("+-1").has_value());
}

TEST(ScalarParseText, FloatsAcceptSpecialValues) {
  EXPECT_EQ(parse_text<double>("1.5e3").value(), 1500.0);
  EXPECT_EQ(parse_text<double>("+2").value(), 2.0);
  EXPECT_TRUE(std::isnan(parse_text<double>("NaN").value()));
  EXPECT_EQ(parse_text<double>("Infinity").value(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_text<double>("-Infinity").value(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_text<float>("-inf").value(), -std::numeric_limits<float>::infinity());
  EXPECT_FALSE(parse_text<float>("1e39").has_value());
  EXPECT_FALSE(parse_text<double>("1.2.3").has_value());
}

// The canonical form's fast path checks every digit: a bad one anywhere is refused, and upper
// case reads as lower.
TEST(ScalarParseText, UuidCanonicalFormChecksEveryDigit) {
  const std::string good = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
  const Uuid want = parse_text<Uuid>(good).value();
  std::string upper = good;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(parse_text<Uuid>(upper).value().bytes, want.bytes);
  for (std::size_t i = 0; i < good.size(); ++i) {
    if (good[i] == '-') continue;
    for (char bad : {'g', 'G', ' ', '\0', '\xff', '-'}) {
      std::string t = good;
      t[i] = bad;
      EXPECT_FALSE(parse_text<Uuid>(t)) << "position " << i << " holding " << static_cast<int>(bad);
    }
  }
  std::string moved = good;
  std::swap(moved[8], moved[9]);  // a hyphen one place late
  EXPECT_FALSE(parse_text<Uuid>(moved));
}

TEST(ScalarParseText, UuidFormsTheServerAccepts) {
  const Uuid want = parse_text<Uuid>("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").value();
  for (const char* t : {"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                        "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
                        "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}"}) {
    auto u = parse_text<Uuid>(t);
    ASSERT_TRUE(u.has_value()) << t << ": " << u.error().message();
    EXPECT_EQ(*u, want) << t;
  }
  EXPECT_EQ(want.to_string(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  for (const char* bad : {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
                          "-a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
                          "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11", "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                          "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a11-",
                          " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a11 "}) {
    auto u = parse_text<Uuid>(bad);
    ASSERT_FALSE(u.has_value()) << bad;
    EXPECT_NE(u.error().message().find(std::string("not a valid uuid: '") + bad + "'"), std::string::npos);
  }
}

TEST(ScalarParseText, ByteaHexAndEscapeForms) {
  auto hex = parse_text<std::vector<std::byte>>("\\x00FFa0");
  ASSERT_TRUE(hex.has_value());
  EXPECT_EQ(*hex, from_hex("00ffa0"));
  auto esc = parse_text<std::vector<std::byte>>("a\\\\b\\000\\377");
  ASSERT_TRUE(esc.has_value());
  EXPECT_EQ(*esc, from_hex("615c6200ff"));
  EXPECT_FALSE(parse_text<std::vector<std::byte>>("\\x0").has_value());
  EXPECT_FALSE(parse_text<std::vector<std::byte>>("\\xzz").has_value());
  EXPECT_FALSE(parse_text<std::vector<std::byte>>("a\\9").has_value());
  EXPECT_EQ(format_text(std::span<const std::byte>(*hex)), "\\x00ffa0");
}

TEST(TextValue, IsSentInTextFormatWithAnUnspecifiedType) {
  EXPECT_EQ(Bindable<TextValue>::format, Format::text);
  EXPECT_EQ(Bindable<TextValue>::oid, oid::unspecified);
  EXPECT_EQ(encode_hex(TextValue{"(1,2)"}), "28312c3229");
  std::string sink;
  encode_text(sink, 1.5);
  sink += '|';
  encode_text(sink, std::numeric_limits<double>::quiet_NaN());
  sink += '|';
  encode_text(sink, -std::numeric_limits<float>::infinity());
  sink += '|';
  encode_text(sink, true);
  sink += '|';
  encode_text(sink, std::int64_t{-7});
  sink += '|';
  encode_text(sink, parse_text<Date>("2024-02-29").value());
  sink += '|';
  encode_text(sink, std::string_view("x"));
  EXPECT_EQ(sink, "1.5|NaN|-Infinity|t|-7|2024-02-29|x");
}

// The server prints floats in fixed notation for decimal exponents -4..14 (float4: -4..5) and in
// exponent notation otherwise, whichever is shorter; to_chars' own choice gave "1e+05" for 100000.
TEST(TextValue, FloatsArePrintedWithTheServersNotation) {
  auto text = [](auto v) {
    std::string sink;
    encode_text(sink, v);
    return sink;
  };
  EXPECT_EQ(text(100000.0), "100000");
  EXPECT_EQ(text(0.0001), "0.0001");
  EXPECT_EQ(text(-0.00012345), "-0.00012345");
  EXPECT_EQ(text(1e-5), "1e-05");
  EXPECT_EQ(text(123456789012345.0), "123456789012345");
  EXPECT_EQ(text(1e15), "1e+15");
  EXPECT_EQ(text(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(text(-1.5e300), "-1.5e+300");
  EXPECT_EQ(text(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(text(12.5), "12.5");
  EXPECT_EQ(text(-0.0), "-0");
  EXPECT_EQ(text(0.0), "0");
  EXPECT_EQ(text(100000.0f), "100000");
  EXPECT_EQ(text(1234567.0f), "1.234567e+06");
  EXPECT_EQ(text(1e6f), "1e+06");
  EXPECT_EQ(text(0.0001f), "0.0001");
  EXPECT_EQ(text(1e-5f), "1e-05");
  EXPECT_EQ(text(std::numeric_limits<float>::max()), "3.4028235e+38");
  EXPECT_EQ(text(0.1f), "0.1");
}

}  // namespace
}  // namespace pgstream::protocol
