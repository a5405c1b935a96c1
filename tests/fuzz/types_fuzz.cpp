// The value codecs: decode_binary<T> and parse_text<T> for every type of protocol/types, and
// encode_text_as_binary for every oid it knows, on the same arbitrary bytes.
//
// Invariants: a decoded value encodes back to bytes that decode to the same value; a parsed
// text value prints to text that parses to the same value; text converted to binary decodes.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "pgstream/protocol/types/types.hpp"

namespace {

namespace pf = pgstream::fuzz;
namespace pp = pgstream::protocol;

template <class T>
bool same(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return std::memcmp(&a, &b, sizeof a) == 0;  // tells -0 from 0
  } else {
    return a == b;
  }
}

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

template <class T>
void binary_round_trip(std::span<const std::byte> bytes) {
  auto v = pp::decode_binary<T>(bytes);
  if (!v) {
    pf::check_error(v.error());
    return;
  }
  std::string encoded;
  pp::Bindable<T>::encode(encoded, *v);
  auto again = pp::decode_binary<T>(bytes_of(encoded));
  PGSTREAM_FUZZ_CHECK(again.has_value());
  PGSTREAM_FUZZ_CHECK(same(*again, *v));
  // Every decoded value has a text form; printing it must not fail or read out of bounds.
  std::string text;
  pp::encode_text(text, *v);
  pf::touch(text);
}

template <class T>
void text_round_trip(std::string_view text) {
  auto v = pp::parse_text<T>(text);
  if (!v) {
    pf::check_error(v.error());
    return;
  }
  std::string printed;
  pp::encode_text(printed, *v);
  auto again = pp::parse_text<T>(printed);
  if (!again) std::fprintf(stderr, "printed %s, which does not parse: %s\n", printed.c_str(), again.error().message().c_str());
  PGSTREAM_FUZZ_CHECK(again.has_value());
  PGSTREAM_FUZZ_CHECK(same(*again, *v));
}

template <class E>
void array_decode(std::span<const std::byte> bytes) {
  auto v = pp::decode_binary<std::vector<E>>(bytes);
  if (!v) {
    pf::check_error(v.error());
    return;
  }
  for (const auto& e : *v) {
    if constexpr (std::is_same_v<E, std::optional<std::string_view>>) {
      if (e) pf::touch(*e);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes = pf::as_bytes(data, size);
  const std::string_view text = pf::as_text(data, size);

  binary_round_trip<bool>(bytes);
  binary_round_trip<std::int16_t>(bytes);
  binary_round_trip<std::int32_t>(bytes);
  binary_round_trip<std::int64_t>(bytes);
  binary_round_trip<float>(bytes);
  binary_round_trip<double>(bytes);
  binary_round_trip<std::string>(bytes);
  binary_round_trip<pp::Bytea>(bytes);
  binary_round_trip<pp::Uuid>(bytes);
  binary_round_trip<pp::Date>(bytes);
  binary_round_trip<pp::Time>(bytes);
  binary_round_trip<pp::Timestamp>(bytes);
  binary_round_trip<pp::TimestampTz>(bytes);
  binary_round_trip<pp::Interval>(bytes);
  binary_round_trip<pp::Numeric>(bytes);
  binary_round_trip<pp::Json>(bytes);
  binary_round_trip<pp::Jsonb>(bytes);
  binary_round_trip<pp::Inet>(bytes);
  binary_round_trip<pp::Cidr>(bytes);
  array_decode<std::int32_t>(bytes);
  array_decode<std::optional<std::int32_t>>(bytes);
  array_decode<std::optional<std::string_view>>(bytes);
  array_decode<std::optional<pp::Numeric>>(bytes);

  text_round_trip<bool>(text);
  text_round_trip<std::int16_t>(text);
  text_round_trip<std::int32_t>(text);
  text_round_trip<std::int64_t>(text);
  text_round_trip<float>(text);
  text_round_trip<double>(text);
  text_round_trip<pp::Numeric>(text);
  text_round_trip<pp::Date>(text);
  text_round_trip<pp::Time>(text);
  text_round_trip<pp::Timestamp>(text);
  text_round_trip<pp::TimestampTz>(text);
  text_round_trip<pp::Interval>(text);
  text_round_trip<pp::Uuid>(text);
  text_round_trip<pp::Inet>(text);
  text_round_trip<pp::Cidr>(text);
  text_round_trip<std::vector<std::byte>>(text);

  // What the loader does with a JSON string bound for a typed column.
  static constexpr pp::Oid kOids[] = {
      pp::oid::bool_, pp::oid::int2, pp::oid::int4, pp::oid::int8, pp::oid::float4, pp::oid::float8,
      pp::oid::numeric, pp::oid::bytea, pp::oid::uuid, pp::oid::date, pp::oid::time, pp::oid::timestamp,
      pp::oid::timestamptz, pp::oid::interval, pp::oid::inet, pp::oid::cidr, pp::oid::jsonb, pp::oid::text};
  for (pp::Oid type : kOids) {
    std::string out = "prefix";
    auto r = pp::encode_text_as_binary(out, type, text);
    if (!r) {
      pf::check_error(r.error());
      PGSTREAM_FUZZ_CHECK(out == "prefix");  // documented: on error the sink is unchanged
      continue;
    }
    const auto body = bytes_of(out).subspan(6);
    if (type == pp::oid::numeric) {
      auto n = pp::decode_binary<pp::Numeric>(body);
      PGSTREAM_FUZZ_CHECK(n.has_value());
      auto p = pp::parse_text<pp::Numeric>(text);
      PGSTREAM_FUZZ_CHECK(p.has_value() && *p == *n);
    }
  }
  return 0;
}
