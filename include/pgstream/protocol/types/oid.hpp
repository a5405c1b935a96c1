#pragma once
// Object ids of the built-in types pgstream knows, as in pg_type (stable across server versions),
// and the mapping between a type and its one-dimensional array type.

#include <string>
#include <string_view>

#include "pgstream/protocol/format.hpp"

namespace pgstream::protocol::oid {

inline constexpr Oid unspecified = 0;  // "let the server infer" in Parse/Bind

inline constexpr Oid bool_ = 16;
inline constexpr Oid bytea = 17;
inline constexpr Oid char_ = 18;  // the one-byte "char", not bpchar
inline constexpr Oid name = 19;
inline constexpr Oid int8 = 20;
inline constexpr Oid int2 = 21;
inline constexpr Oid int4 = 23;
inline constexpr Oid text = 25;
inline constexpr Oid oid = 26;
inline constexpr Oid json = 114;
inline constexpr Oid xml = 142;
inline constexpr Oid cidr = 650;
inline constexpr Oid float4 = 700;
inline constexpr Oid float8 = 701;
inline constexpr Oid unknown = 705;
inline constexpr Oid macaddr = 829;
inline constexpr Oid inet = 869;
inline constexpr Oid bpchar = 1042;
inline constexpr Oid varchar = 1043;
inline constexpr Oid date = 1082;
inline constexpr Oid time = 1083;
inline constexpr Oid timestamp = 1114;
inline constexpr Oid timestamptz = 1184;
inline constexpr Oid interval = 1186;
inline constexpr Oid timetz = 1266;
inline constexpr Oid numeric = 1700;
inline constexpr Oid uuid = 2950;
inline constexpr Oid jsonb = 3802;

inline constexpr Oid bool_array = 1000;
inline constexpr Oid bytea_array = 1001;
inline constexpr Oid char_array = 1002;
inline constexpr Oid name_array = 1003;
inline constexpr Oid int2_array = 1005;
inline constexpr Oid int4_array = 1007;
inline constexpr Oid text_array = 1009;
inline constexpr Oid bpchar_array = 1014;
inline constexpr Oid varchar_array = 1015;
inline constexpr Oid int8_array = 1016;
inline constexpr Oid float4_array = 1021;
inline constexpr Oid float8_array = 1022;
inline constexpr Oid oid_array = 1028;
inline constexpr Oid macaddr_array = 1040;
inline constexpr Oid inet_array = 1041;
inline constexpr Oid timestamp_array = 1115;
inline constexpr Oid date_array = 1182;
inline constexpr Oid time_array = 1183;
inline constexpr Oid timestamptz_array = 1185;
inline constexpr Oid interval_array = 1187;
inline constexpr Oid numeric_array = 1231;
inline constexpr Oid timetz_array = 1270;
inline constexpr Oid xml_array = 143;
inline constexpr Oid json_array = 199;
inline constexpr Oid cidr_array = 651;
inline constexpr Oid uuid_array = 2951;
inline constexpr Oid jsonb_array = 3807;

namespace detail {
struct TypeEntry {
  Oid type;
  Oid array;
  std::string_view name;
};
inline constexpr TypeEntry kTypes[] = {
    {bool_, bool_array, "bool"},
    {bytea, bytea_array, "bytea"},
    {char_, char_array, "char"},
    {name, name_array, "name"},
    {int8, int8_array, "int8"},
    {int2, int2_array, "int2"},
    {int4, int4_array, "int4"},
    {text, text_array, "text"},
    {oid, oid_array, "oid"},
    {json, json_array, "json"},
    {xml, xml_array, "xml"},
    {cidr, cidr_array, "cidr"},
    {float4, float4_array, "float4"},
    {float8, float8_array, "float8"},
    {unknown, 0, "unknown"},
    {macaddr, macaddr_array, "macaddr"},
    {inet, inet_array, "inet"},
    {bpchar, bpchar_array, "bpchar"},
    {varchar, varchar_array, "varchar"},
    {date, date_array, "date"},
    {time, time_array, "time"},
    {timestamp, timestamp_array, "timestamp"},
    {timestamptz, timestamptz_array, "timestamptz"},
    {interval, interval_array, "interval"},
    {timetz, timetz_array, "timetz"},
    {numeric, numeric_array, "numeric"},
    {uuid, uuid_array, "uuid"},
    {jsonb, jsonb_array, "jsonb"},
};
}  // namespace detail

// The array type whose elements are `element`, or 0 when pgstream does not know one.
[[nodiscard]] constexpr Oid array_oid_of(Oid element) noexcept {
  for (const auto& e : detail::kTypes) {
    if (e.type == element) return e.array;
  }
  return 0;
}

// The element type of the array type `array`, or 0 when `array` is not a known array type.
[[nodiscard]] constexpr Oid element_oid_of(Oid array) noexcept {
  for (const auto& e : detail::kTypes) {
    if (e.array == array && array != 0) return e.type;
  }
  return 0;
}

[[nodiscard]] constexpr bool is_array(Oid type) noexcept { return element_oid_of(type) != 0; }

// A readable name for error messages: "int4", "_int4" for arrays, "oid 12345" when unknown.
// Returned as a std::string because unknown oids need formatting; only used on error paths.
[[nodiscard]] std::string type_name(Oid type);

}  // namespace pgstream::protocol::oid
