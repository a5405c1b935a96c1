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
T parse_ok(std::string_view text) {
  auto v = parse_text<T>(text);
  EXPECT_TRUE(v.has_value()) << text << ": " << (v ? "" : v.error().message());
  return v ? *v : T{};
}

TEST(InetCodec, FamilyBitsFlagLengthAddress) {
  EXPECT_EQ(encode_hex(parse_ok<Inet>("192.168.0.1/24")), "02" "18" "00" "04" "c0a80001");
  EXPECT_EQ(encode_hex(parse_ok<Inet>("10.0.0.1")), "02" "20" "00" "04" "0a000001");
  EXPECT_EQ(encode_hex(parse_ok<Cidr>("10.1/16")), "02" "10" "01" "04" "0a010000");
  EXPECT_EQ(encode_hex(parse_ok<Cidr>("2001:db8::/32")),
            "03" "20" "01" "10" "20010db8000000000000000000000000");
  EXPECT_EQ(encode_hex(parse_ok<Inet>("::1")), "03" "80" "00" "10" "00000000000000000000000000000001");
  EXPECT_EQ(Bindable<Inet>::oid, oid::inet);
  EXPECT_EQ(Bindable<Cidr>::oid, oid::cidr);
}

TEST(InetCodec, RoundTripsThroughBinary) {
  for (const char* text : {"192.168.0.1/24", "0.0.0.0/0", "255.255.255.255", "fe80::1:2/64", "::ffff:1.2.3.4"}) {
    const Inet v = parse_ok<Inet>(text);
    std::string sink;
    Bindable<Inet>::encode(sink, v);
    auto back = decode_binary<Inet>(std::span(reinterpret_cast<const std::byte*>(sink.data()), sink.size()));
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, v) << text;
  }
  const Cidr c = parse_ok<Cidr>("2001:db8:1234::/48");
  std::string sink;
  Bindable<Cidr>::encode(sink, c);
  auto back = decode_binary<Cidr>(std::span(reinterpret_cast<const std::byte*>(sink.data()), sink.size()));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, c);
}

TEST(InetFormat, MatchesTheServersOutput) {
  const std::pair<const char*, const char*> inet_cases[] = {
      {"192.168.0.1/24", "192.168.0.1/24"},
      {"192.168.0.1/32", "192.168.0.1"},
      {"::1", "::1"},
      {"::", "::"},
      {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},          // the longer zero run is compressed
      {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},        // first of equal runs
      {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},     // a single zero word stays
      {"2001:DB8::0:1", "2001:db8::1"},
      {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},       // IPv4-mapped keeps its dotted tail
      {"::ffff:0102:0304", "::ffff:1.2.3.4"},
      {"::1.2.3.4", "::1.2.3.4"},                 // IPv4-compatible
      {"fe80::/10", "fe80::/10"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
      {"1::", "1::"},
  };
  for (const auto& [in, want] : inet_cases) EXPECT_EQ(parse_ok<Inet>(in).to_string(), want) << in;
  const std::pair<const char*, const char*> cidr_cases[] = {
      {"10", "10.0.0.0/8"},         {"10.1", "10.1.0.0/16"},  {"10.1.2", "10.1.2.0/24"},
      {"128", "128.0.0.0/16"},      {"128.1", "128.1.0.0/16"}, {"192.168.1.0", "192.168.1.0/32"},
      {"10.1.0.0/16", "10.1.0.0/16"}, {"224", "224.0.0.0/4"},  {"2001:db8::/32", "2001:db8::/32"},
      {"::/0", "::/0"},             {"::1", "::1/128"},
  };
  for (const auto& [in, want] : cidr_cases) EXPECT_EQ(parse_ok<Cidr>(in).to_string(), want) << in;
}

TEST(InetParse, RejectsMalformedAddresses) {
  auto inet_error = [](std::string_view text) {
    auto v = parse_text<Inet>(text);
    EXPECT_FALSE(v.has_value()) << text;
    return v ? std::string() : v.error().message();
  };
  for (const char* bad : {"1.2.3.256", "1.2.3", "1.2.3.4.5", "1.2.3.4/33", "1.2.3.4/", "::1::2", "1:2:3:4:5:6:7:8:9",
                          "1:2:3:4:5:6:7", ":1::", "12345::", "::g", "1.2.3.4/x", "", "1:2:3:4:5:6:1.2.3.4:7",
                          "::1/129"}) {
    EXPECT_NE(inet_error(bad).find(std::string("not a valid inet: '") + bad + "'"), std::string::npos) << bad;
  }
  auto host_bits = parse_text<Cidr>("10.1.2.3/8");
  ASSERT_FALSE(host_bits.has_value());
  EXPECT_EQ(host_bits.error().message(),
            "not a valid cidr: '10.1.2.3/8' (bits are set right of the /8 prefix; a cidr value is a network)");
  EXPECT_FALSE(parse_text<Cidr>("2001:db8::1/32").has_value());
  EXPECT_FALSE(parse_text<Cidr>("10.1/8").has_value());
}

TEST(InetDecode, RejectsMalformedValues) {
  auto check = [](std::string_view hex, std::string_view fragment) {
    auto v = decode_binary<Inet>(from_hex(hex));
    ASSERT_FALSE(v.has_value()) << hex;
    EXPECT_NE(v.error().message().find(fragment), std::string::npos) << v.error().message();
  };
  check("022000", "at least 4 bytes");
  check("04200004 0a000001", "address family 4");
  check("02210004 0a000001", "prefix length 33");
  check("02200010 0a000001", "address length 16");
  check("02200004 0a0000", "address length 4 in a 7-byte value");
  check("02200204 0a000001", "is_cidr flag");
  auto cidr = decode_binary<Cidr>(from_hex("02080104 0a010000"));
  ASSERT_FALSE(cidr.has_value());
  EXPECT_NE(cidr.error().message().find("bits are set right of the prefix"), std::string::npos);
}

TEST(InetDecode, CidrColumnIntoInetKeepsTheFlag) {
  auto v = decode_field<Inet>(oid::cidr, from_hex("02100104 0a010000"));
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->is_cidr);
  EXPECT_EQ(v->bits, 16);
  EXPECT_FALSE(decode_field<Cidr>(oid::inet, from_hex("02100004 0a010000")).has_value());
}

}  // namespace
}  // namespace pgstream::protocol
