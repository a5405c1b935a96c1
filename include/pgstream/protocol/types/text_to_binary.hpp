#pragma once
// Text in, binary out, chosen by the column's type: what the loader does with a JSON string
// value bound for a typed column (a binary COPY or Bind needs every field in binary).

#include <string_view>

#include "pgstream/protocol/types/bindable_scalars.hpp"
#include "pgstream/protocol/types/oid.hpp"
#include "pgstream/protocol/types/text.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

namespace detail {
template <class T, ByteSink S>
[[nodiscard]] Result<void> parse_and_encode(S& sink, std::string_view text) {
  auto v = parse_text<T>(text);
  if (!v) return std::unexpected(std::move(v.error()));
  Bindable<T>::encode(sink, *v);
  return {};
}
}  // namespace detail

// Appends the binary form of `text` read as a value of `type` (no length prefix). On error the
// sink is unchanged. Text types are copied as they are; numeric is converted without allocating.
// Arrays and types without a codec are `unsupported`: send those as TextValue instead.
template <ByteSink S>
[[nodiscard]] Result<void> encode_text_as_binary(S& sink, Oid type, std::string_view text) {
  switch (type) {
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::name:
    case oid::xml:
    case oid::json:
    case oid::unknown:
      put_string(sink, text);
      return {};
    case oid::jsonb:
      put_u8(sink, kJsonbVersion);
      put_string(sink, text);
      return {};
    case oid::numeric: {
      auto layout = analyze_numeric(text);
      if (!layout) return std::unexpected(std::move(layout.error()));
      encode_numeric(sink, *layout);
      return {};
    }
    case oid::bool_: return detail::parse_and_encode<bool>(sink, text);
    case oid::int2: return detail::parse_and_encode<std::int16_t>(sink, text);
    case oid::int4: return detail::parse_and_encode<std::int32_t>(sink, text);
    case oid::int8: return detail::parse_and_encode<std::int64_t>(sink, text);
    case oid::float4: return detail::parse_and_encode<float>(sink, text);
    case oid::float8: return detail::parse_and_encode<double>(sink, text);
    case oid::bytea: return detail::parse_and_encode<std::vector<std::byte>>(sink, text);
    case oid::uuid: return detail::parse_and_encode<Uuid>(sink, text);
    case oid::date: return detail::parse_and_encode<Date>(sink, text);
    case oid::time: return detail::parse_and_encode<Time>(sink, text);
    case oid::timestamp: return detail::parse_and_encode<Timestamp>(sink, text);
    case oid::timestamptz: return detail::parse_and_encode<TimestampTz>(sink, text);
    case oid::interval: return detail::parse_and_encode<Interval>(sink, text);
    case oid::inet: return detail::parse_and_encode<Inet>(sink, text);
    case oid::cidr: return detail::parse_and_encode<Cidr>(sink, text);
    default:
      return make_error(ErrorCategory::unsupported, "no text-to-binary conversion for " + oid::type_name(type) +
                                                        "; send the value in text format (TextValue)");
  }
}

}  // namespace pgstream::protocol
