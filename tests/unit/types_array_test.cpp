#include <gtest/gtest.h>

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

template <class T>
T round_trip(const T& v) {
  std::vector<std::byte> sink;  // a second sink type: vector<byte> instead of string
  Bindable<T>::encode(sink, v);
  auto back = decode_binary<T>(sink);
  EXPECT_TRUE(back.has_value()) << (back ? "" : back.error().message());
  return back ? *back : T{};
}

TEST(OidTable, ArrayAndElementLookupsAgreeWithPgType) {
  EXPECT_EQ(oid::array_oid_of(oid::int4), 1007u);
  EXPECT_EQ(oid::array_oid_of(oid::text), 1009u);
  EXPECT_EQ(oid::array_oid_of(oid::jsonb), 3807u);
  EXPECT_EQ(oid::array_oid_of(oid::json), 199u);
  EXPECT_EQ(oid::array_oid_of(oid::cidr), 651u);
  EXPECT_EQ(oid::array_oid_of(oid::unknown), 0u);
  EXPECT_EQ(oid::array_oid_of(oid::int4_array), 0u);  // no arrays of arrays
  EXPECT_EQ(oid::element_oid_of(1231), oid::numeric);
  EXPECT_EQ(oid::element_oid_of(1185), oid::timestamptz);
  EXPECT_EQ(oid::element_oid_of(oid::int4), 0u);
  EXPECT_EQ(oid::element_oid_of(0), 0u);
  static_assert(oid::array_oid_of(oid::uuid) == 2951);
  for (const auto& e : oid::detail::kTypes) {
    if (e.array != 0) {
      EXPECT_EQ(oid::element_oid_of(e.array), e.type) << e.name;
    }
  }
  EXPECT_EQ(oid::type_name(oid::int4), "int4");
  EXPECT_EQ(oid::type_name(oid::int4_array), "_int4");
  EXPECT_EQ(oid::type_name(123456), "oid 123456");
}

TEST(ArrayEncode, HeaderDimensionAndLengthPrefixedElements) {
  EXPECT_EQ(encode_hex(std::vector<std::int32_t>{1, 2}),
            "00000001" "00000000" "00000017" "00000002" "00000001"  // ndim, no nulls, int4, size 2, lbound 1
            "00000004" "00000001" "00000004" "00000002");
  EXPECT_EQ(Bindable<std::vector<std::int32_t>>::oid, oid::int4_array);
}

TEST(ArrayEncode, EmptyArrayHasNoDimensions) {
  EXPECT_EQ(encode_hex(std::vector<std::int32_t>{}), "00000000" "00000000" "00000017");
  EXPECT_EQ(encode_hex(std::vector<std::string>{}), "00000000" "00000000" "00000019");
}

TEST(ArrayEncode, NullElementsSetTheFlagAndLengthMinusOne) {
  const std::vector<std::optional<std::string>> v = {"a", std::nullopt};
  EXPECT_EQ(encode_hex(v), "00000001" "00000001" "00000019" "00000002" "00000001"
                           "00000001" "61" "ffffffff");
  EXPECT_EQ(Bindable<std::remove_const_t<decltype(v)>>::oid, oid::text_array);
}

TEST(ArrayEncode, SpansVariableLengthElementsAndOtherTypes) {
  const std::int64_t raw[] = {-1, 5};
  EXPECT_EQ(encode_hex(std::span<const std::int64_t>(raw)),
            "00000001" "00000000" "00000014" "00000002" "00000001"
            "00000008" "ffffffffffffffff" "00000008" "0000000000000005");
  EXPECT_EQ(encode_hex(std::vector<std::string_view>{"", "xy"}),
            "00000001" "00000000" "00000019" "00000002" "00000001" "00000000" "00000002" "7879");
  EXPECT_EQ(encode_hex(std::vector<bool>{true, false}),
            "00000001" "00000000" "00000010" "00000002" "00000001" "00000001" "01" "00000001" "00");
  EXPECT_EQ(Bindable<std::vector<Numeric>>::oid, oid::numeric_array);
  EXPECT_EQ(Bindable<std::vector<std::optional<TimestampTz>>>::oid, oid::timestamptz_array);
  EXPECT_EQ(Bindable<std::span<const Uuid>>::oid, oid::uuid_array);
}

TEST(ArrayRoundTrip, ValuesNullsAndEmptiness) {
  const std::vector<std::int16_t> shorts = {std::numeric_limits<std::int16_t>::min(), 0,
                                            std::numeric_limits<std::int16_t>::max()};
  EXPECT_EQ(round_trip(shorts), shorts);
  EXPECT_EQ(round_trip(std::vector<std::int64_t>{}), std::vector<std::int64_t>{});
  const std::vector<std::optional<double>> doubles = {1.5, std::nullopt, -0.25, std::nullopt};
  EXPECT_EQ(round_trip(doubles), doubles);
  const std::vector<std::optional<std::int32_t>> all_null = {std::nullopt, std::nullopt};
  EXPECT_EQ(round_trip(all_null), all_null);
  std::vector<Numeric> numerics;
  for (const char* t : {"0", "-1.50", "NaN", "123456789.000000001"}) numerics.push_back(Numeric::parse(t).value());
  EXPECT_EQ(round_trip(numerics), numerics);
  const std::vector<Date> dates = {Date{8825}, Date::infinity(), Date{-746117}};
  EXPECT_EQ(round_trip(dates), dates);
  const std::vector<Interval> intervals = {Interval{1, 2, 3}, Interval{-1, -2, -3}};
  EXPECT_EQ(round_trip(intervals), intervals);
  const std::vector<Cidr> nets = {parse_text<Cidr>("2001:db8::/32").value(), parse_text<Cidr>("10/8").value()};
  EXPECT_EQ(round_trip(nets), nets);
  const std::vector<bool> bools = {true, false, true};
  EXPECT_EQ(round_trip(bools), bools);
  const std::vector<std::string> strings = {"", "a", std::string(1000, 'z')};
  EXPECT_EQ(round_trip(strings), strings);
}

TEST(ArrayDecode, NullIntoNonOptionalElementIsAnError) {
  auto v = decode_binary<std::vector<std::int32_t>>(
      from_hex("00000001 00000001 00000017 00000002 00000001 00000004 00000001 ffffffff"));
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().message(),
            "array element 2 is NULL; decode into std::vector<std::optional<int32_t>> to accept NULL elements");
}

TEST(ArrayDecode, LowerBoundOtherThanOneIsAccepted) {
  auto v = decode_binary<std::vector<std::int32_t>>(
      from_hex("00000001 00000000 00000017 00000001 00000005 00000004 00000009"));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, std::vector<std::int32_t>{9});
}

TEST(ArrayDecode, RejectsMalformedArrays) {
  auto check = [](std::string_view hex, std::string_view fragment) {
    auto v = decode_binary<std::vector<std::optional<std::int32_t>>>(from_hex(hex));
    ASSERT_FALSE(v.has_value()) << hex;
    EXPECT_EQ(v.error().category(), ErrorCategory::decode);
    EXPECT_NE(v.error().message().find(fragment), std::string::npos) << v.error().message();
  };
  check("00000001 00000000", "at least 12 bytes");
  check("00000002 00000000 00000017 00000001 00000001 00000001 00000001", "only one-dimensional");
  check("ffffffff 00000000 00000017", "only one-dimensional");
  check("00000001 00000002 00000017 00000000 00000001", "invalid array flags 2");
  check("00000001 00000000 00000014 00000001 00000001 00000008 0000000000000001", "array elements are int8, expected int4");
  check("00000000 00000000 00000017 00", "1 bytes after its last element");
  check("00000001 00000000 00000017 00000001", "ends inside its dimension header");
  check("00000001 00000000 00000017 7fffffff 00000001 00000004 00000001", "declares 2147483647 elements");
  check("00000001 00000000 00000017 ffffffff 00000001", "declares -1 elements");
  check("00000001 00000000 00000017 00000001 00000001 00000005 00000001", "has length 5 but 4 bytes remain");
  check("00000001 00000000 00000017 00000001 00000001 fffffffe 00000001", "has length -2");
  check("00000001 00000000 00000017 00000001 00000001 00000002 0001", "int4 value must be 4 bytes, got 2");
  check("00000001 00000000 00000017 00000001 00000001 00000004 00000001 00", "1 bytes after its last element");
  check("00000001 00000000 00000017 00000002 00000001 00000004 00000001", "ends before element 2");
}

TEST(DecodeField, WidensIntegersAndChecksCompatibility) {
  EXPECT_EQ(decode_field<std::int64_t>(oid::int2, from_hex("fffe")).value(), -2);
  EXPECT_EQ(decode_field<std::int64_t>(oid::int4, from_hex("00000100")).value(), 256);
  EXPECT_EQ(decode_field<std::int64_t>(oid::oid, from_hex("ffffffff")).value(), 4294967295LL);
  EXPECT_EQ(decode_field<std::int32_t>(oid::int2, from_hex("8000")).value(), -32768);
  EXPECT_EQ(decode_field<double>(oid::float4, from_hex("3fc00000")).value(), 1.5);
  EXPECT_EQ(decode_field<Numeric>(oid::int8, from_hex("fffffffffffffff6")).value().text(), "-10");
  auto narrow = decode_field<std::int32_t>(oid::int8, from_hex("0000000000000001"));
  ASSERT_FALSE(narrow.has_value());
  EXPECT_EQ(narrow.error().message(), "cannot decode a int8 value as int32_t");
  auto text_as_int = decode_field<std::int32_t>(oid::text, from_hex("31"));
  ASSERT_FALSE(text_as_int.has_value());
  EXPECT_EQ(text_as_int.error().message(), "cannot decode a text value as int32_t");
  EXPECT_FALSE(decode_field<Date>(oid::timestamp, from_hex("0000000000000000")).has_value());
  EXPECT_FALSE(decode_field<Timestamp>(oid::timestamptz, from_hex("0000000000000000")).has_value());
}

TEST(DecodeField, TextTypesShareTheStringDecoders) {
  for (Oid t : {oid::text, oid::varchar, oid::bpchar, oid::name, oid::json, oid::unknown, oid::xml, oid::char_}) {
    EXPECT_EQ(decode_field<std::string_view>(t, from_hex("6869")).value(), "hi") << oid::type_name(t);
  }
  EXPECT_EQ(decode_field<std::string>(oid::jsonb, from_hex("01 7b7d")).value(), "{}");  // version byte dropped
  EXPECT_EQ(decode_field<Json>(oid::jsonb, from_hex("01 5b5d")).value().text, "[]");
  EXPECT_EQ(decode_field<Jsonb>(oid::json, from_hex("5b5d")).value().text, "[]");
  EXPECT_FALSE(decode_field<std::string_view>(oid::bytea, from_hex("6869")).has_value());
  EXPECT_FALSE(decode_field<std::string_view>(oid::int4, from_hex("00000001")).has_value());
}

TEST(DecodeField, NullNeedsAnOptional) {
  auto missing = decode_field<std::int32_t>(oid::int4, std::nullopt);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(),
            "unexpected NULL in a int4 column; decode into std::optional<int32_t> to accept NULL");
  auto none = decode_field<std::optional<std::int32_t>>(oid::int4, std::nullopt);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  auto some = decode_field<std::optional<std::int64_t>>(oid::int4, from_hex("00000007"));
  ASSERT_TRUE(some.has_value());
  EXPECT_EQ(some->value(), 7);
  EXPECT_FALSE(decode_field<std::optional<std::int16_t>>(oid::int4, from_hex("00000007")).has_value());
}

TEST(DecodeField, ArraysCheckTheColumnElementType) {
  const auto bytes = from_hex("00000001 00000000 00000015 00000002 00000001 00000002 0001 00000002 0002");
  EXPECT_EQ(decode_field<std::vector<std::int64_t>>(oid::int2_array, bytes).value(), (std::vector<std::int64_t>{1, 2}));
  EXPECT_FALSE(decode_field<std::vector<std::int64_t>>(oid::int4_array, bytes).has_value());  // header says int2
  EXPECT_FALSE(decode_field<std::vector<std::int16_t>>(oid::int2, bytes).has_value());        // not an array column
  auto mismatch = decode_field<std::vector<std::string>>(oid::int2_array, bytes);
  ASSERT_FALSE(mismatch.has_value());
  EXPECT_EQ(mismatch.error().message(), "cannot decode a _int2 value as std::vector");
}

TEST(TextToBinary, ConvertsByColumnType) {
  auto run = [](Oid type, std::string_view text) {
    std::string sink;
    auto r = encode_text_as_binary(sink, type, text);
    EXPECT_TRUE(r.has_value()) << text << ": " << (r ? "" : r.error().message());
    return to_hex(sink);
  };
  EXPECT_EQ(run(oid::numeric, "-1.5"), "0002" "0000" "4000" "0001" "0001" "1388");
  EXPECT_EQ(run(oid::date, "2024-02-29"), "00002279");
  EXPECT_EQ(run(oid::int2, "7"), "0007");
  EXPECT_EQ(run(oid::bool_, "yes"), "01");
  EXPECT_EQ(run(oid::jsonb, "[]"), "015b5d");
  EXPECT_EQ(run(oid::varchar, "hi"), "6869");
  EXPECT_EQ(run(oid::bytea, "\\x0aff"), "0aff");
  EXPECT_EQ(run(oid::uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "a0eebc999c0b4ef8bb6d6bb9bd380a11");
  EXPECT_EQ(run(oid::interval, "1 day"), "0000000000000000" "00000001" "00000000");
  EXPECT_EQ(run(oid::cidr, "10/8"), "02080104" "0a000000");

  std::string sink = "keep";
  auto bad = encode_text_as_binary(sink, oid::date, "2024-02-30");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("not a valid date: '2024-02-30'"), std::string::npos);
  EXPECT_EQ(sink, "keep");  // nothing written on error
  auto unsupported = encode_text_as_binary(sink, oid::macaddr, "08:00:2b:01:02:03");
  ASSERT_FALSE(unsupported.has_value());
  EXPECT_EQ(unsupported.error().category(), ErrorCategory::unsupported);
  EXPECT_EQ(unsupported.error().message(),
            "no text-to-binary conversion for macaddr; send the value in text format (TextValue)");
}

TEST(SpanSinkEncoding, ArrayBackPatchingWorksInAFixedRegion) {
  std::array<std::byte, 64> region{};
  SpanSink sink(region);
  Bindable<std::vector<std::int32_t>>::encode(sink, std::vector<std::int32_t>{7});
  ASSERT_FALSE(sink.overflowed());
  std::string copy(reinterpret_cast<const char*>(sink.written().data()), sink.size());
  EXPECT_EQ(to_hex(copy), "00000001" "00000000" "00000017" "00000001" "00000001" "00000004" "00000007");
  std::array<std::byte, 16> small{};
  SpanSink tight(small);
  Bindable<std::vector<std::int32_t>>::encode(tight, std::vector<std::int32_t>{7});
  EXPECT_TRUE(tight.overflowed());
}

}  // namespace
}  // namespace pgstream::protocol
