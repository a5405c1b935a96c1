#pragma once
// Decoding binary-format values (DataRow fields, binary COPY fields) into C++ values.
//
//   decode_binary<T>(bytes)             T's own wire type (int32_t <- int4, ...), length-checked
//   decode_field<T>(column_type, field) checks the column's type is one T accepts (int64_t takes
//                                       int2/int4/int8/oid, double takes float4/float8,
//                                       std::string_view takes text/varchar/bpchar/name/json/
//                                       jsonb/xml/unknown/"char", ...); a NULL field (nullopt) is
//                                       an error unless T is std::optional<U>
//
// Views: std::string_view, Bytea, Json and Jsonb point into the given bytes, so they are valid
// while the received frame is; decode into std::string / std::vector<std::byte> to keep them.
// Arrays decode into std::vector<T> (a NULL element is an error) or std::vector<std::optional<T>>.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "pgstream/protocol/types/bytea.hpp"
#include "pgstream/protocol/types/datetime.hpp"
#include "pgstream/protocol/types/inet.hpp"
#include "pgstream/protocol/types/json.hpp"
#include "pgstream/protocol/types/numeric.hpp"
#include "pgstream/protocol/types/oid.hpp"
#include "pgstream/protocol/types/uuid.hpp"
#include "pgstream/protocol/types/wire.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

using Bytes = std::span<const std::byte>;

// Decoder<T>: native_oid, cpp_name, accepts(Oid), decode(Oid actual_type, Bytes). decode
// assumes accepts(actual_type) was checked; it checks everything about the bytes.
template <class T>
struct Decoder;  // no primary definition: decoding an unsupported type fails to compile

#define PGSTREAM_DECLARE_DECODER(T, NATIVE, NAME)                                  \
  template <>                                                                      \
  struct Decoder<T> {                                                              \
    static constexpr Oid native_oid = NATIVE;                                      \
    static constexpr std::string_view cpp_name = NAME;                             \
    [[nodiscard]] static bool accepts(Oid type) noexcept;                          \
    [[nodiscard]] static Result<T> decode(Oid type, Bytes bytes);                  \
  }

PGSTREAM_DECLARE_DECODER(bool, oid::bool_, "bool");
PGSTREAM_DECLARE_DECODER(std::int16_t, oid::int2, "int16_t");
PGSTREAM_DECLARE_DECODER(std::int32_t, oid::int4, "int32_t");
PGSTREAM_DECLARE_DECODER(std::int64_t, oid::int8, "int64_t");
PGSTREAM_DECLARE_DECODER(float, oid::float4, "float");
PGSTREAM_DECLARE_DECODER(double, oid::float8, "double");
PGSTREAM_DECLARE_DECODER(std::string_view, oid::text, "std::string_view");
PGSTREAM_DECLARE_DECODER(std::string, oid::text, "std::string");
PGSTREAM_DECLARE_DECODER(Bytea, oid::bytea, "Bytea");
PGSTREAM_DECLARE_DECODER(std::vector<std::byte>, oid::bytea, "std::vector<std::byte>");
PGSTREAM_DECLARE_DECODER(Uuid, oid::uuid, "Uuid");
PGSTREAM_DECLARE_DECODER(Date, oid::date, "Date");
PGSTREAM_DECLARE_DECODER(Time, oid::time, "Time");
PGSTREAM_DECLARE_DECODER(Timestamp, oid::timestamp, "Timestamp");
PGSTREAM_DECLARE_DECODER(TimestampTz, oid::timestamptz, "TimestampTz");
PGSTREAM_DECLARE_DECODER(Interval, oid::interval, "Interval");
PGSTREAM_DECLARE_DECODER(Numeric, oid::numeric, "Numeric");
PGSTREAM_DECLARE_DECODER(Json, oid::json, "Json");
PGSTREAM_DECLARE_DECODER(Jsonb, oid::jsonb, "Jsonb");
PGSTREAM_DECLARE_DECODER(Inet, oid::inet, "Inet");
PGSTREAM_DECLARE_DECODER(Cidr, oid::cidr, "Cidr");

#undef PGSTREAM_DECLARE_DECODER

namespace detail {

template <class T>
struct OptionalTraits {
  static constexpr bool is_optional = false;
  using value_type = T;
};
template <class T>
struct OptionalTraits<std::optional<T>> {
  static constexpr bool is_optional = true;
  using value_type = T;
};

[[nodiscard]] Error type_mismatch(Oid actual, std::string_view cpp_name);
[[nodiscard]] Error unexpected_null(Oid column_type, std::string_view cpp_name);

struct ArrayHeader {
  Oid element_type = 0;
  std::int32_t count = 0;
  Bytes elements;  // the per-element (length, bytes) records
};
// Checks the header (ndim 0 or 1, flags, element type = `expected_element` when non-zero, count
// plausible for the bytes present) and returns where the elements start.
[[nodiscard]] Result<ArrayHeader> read_array_header(Bytes bytes, Oid expected_element);
// One element record: nullopt for NULL; errors on a bad length.
[[nodiscard]] Result<std::optional<Bytes>> next_array_element(wire::Cursor& c, std::int32_t index);
[[nodiscard]] Error array_null_element(std::int32_t index, std::string_view cpp_name);
[[nodiscard]] Error array_trailing_bytes(std::size_t n);

}  // namespace detail

template <class E>
struct Decoder<std::vector<E>> {
  using Element = typename detail::OptionalTraits<E>::value_type;
  static constexpr bool nullable = detail::OptionalTraits<E>::is_optional;
  static constexpr Oid native_oid = oid::array_oid_of(Decoder<Element>::native_oid);
  static constexpr std::string_view cpp_name = "std::vector";

  [[nodiscard]] static bool accepts(Oid type) noexcept {
    const Oid element = oid::element_oid_of(type);
    return element != 0 && Decoder<Element>::accepts(element);
  }

  [[nodiscard]] static Result<std::vector<E>> decode(Oid type, Bytes bytes) {
    auto header = detail::read_array_header(bytes, oid::element_oid_of(type));
    if (!header) return std::unexpected(std::move(header.error()));
    std::vector<E> out;
    out.reserve(static_cast<std::size_t>(header->count));
    wire::Cursor c(header->elements);
    for (std::int32_t i = 0; i < header->count; ++i) {
      auto field = detail::next_array_element(c, i);
      if (!field) return std::unexpected(std::move(field.error()));
      if (!*field) {
        if constexpr (nullable) {
          out.emplace_back(std::nullopt);
          continue;
        } else {
          return std::unexpected(detail::array_null_element(i, Decoder<Element>::cpp_name));
        }
      }
      auto v = Decoder<Element>::decode(header->element_type, **field);
      if (!v) return std::unexpected(std::move(v.error()));
      out.emplace_back(std::move(*v));
    }
    if (c.remaining() != 0) return std::unexpected(detail::array_trailing_bytes(c.remaining()));
    return out;
  }
};

// T from its own wire type.
template <class T>
[[nodiscard]] Result<T> decode_binary(Bytes bytes) {
  return Decoder<T>::decode(Decoder<T>::native_oid, bytes);
}

// T from a value whose type is `type`, if T accepts that type.
template <class T>
[[nodiscard]] Result<T> decode_as(Oid type, Bytes bytes) {
  if (!Decoder<T>::accepts(type)) return std::unexpected(detail::type_mismatch(type, Decoder<T>::cpp_name));
  return Decoder<T>::decode(type, bytes);
}

template <class T>
[[nodiscard]] Result<T> decode_field(Oid column_type, std::optional<Bytes> field) {
  using Traits = detail::OptionalTraits<T>;
  using U = typename Traits::value_type;
  if constexpr (Traits::is_optional) {
    if (!field) return T{};
    auto v = decode_as<U>(column_type, *field);
    if (!v) return std::unexpected(std::move(v.error()));
    return T(std::move(*v));
  } else {
    if (!field) return std::unexpected(detail::unexpected_null(column_type, Decoder<T>::cpp_name));
    return decode_as<T>(column_type, *field);
  }
}

}  // namespace pgstream::protocol
