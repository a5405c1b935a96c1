#pragma once
// Text <-> value conversions: parse_text<T> reads the text a user or a JSON document gives
// (as the server's input functions would), so the loader can send it in binary; format_text
// writes the server's output form (ISO DateStyle, UTC for timestamptz, ISO 8601 intervals).
//
// Every parse error is one line naming the type and the input, e.g.
//   "not a valid date: '2024-02-30' (day 30 does not exist in February 2024)".

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/protocol/types/bytea.hpp"
#include "pgstream/protocol/types/datetime.hpp"
#include "pgstream/protocol/types/inet.hpp"
#include "pgstream/protocol/types/json.hpp"
#include "pgstream/protocol/types/numeric.hpp"
#include "pgstream/protocol/types/uuid.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

template <class T>
inline constexpr bool kAlwaysFalse = false;

template <class T>
[[nodiscard]] Result<T> parse_text(std::string_view) {
  static_assert(kAlwaysFalse<T>, "parse_text<T>: no text parser for this type");
  return make_error(ErrorCategory::unsupported, "no text parser");
}

// "t", "true", "yes", "on", "1" and their false twins, any case, any unambiguous prefix
// ("tr", "of"), surrounding whitespace ignored — as the server's boolin.
template <> [[nodiscard]] Result<bool> parse_text<bool>(std::string_view text);
// Decimal integers with optional sign and surrounding whitespace; out of range is an error.
template <> [[nodiscard]] Result<std::int16_t> parse_text<std::int16_t>(std::string_view text);
template <> [[nodiscard]] Result<std::int32_t> parse_text<std::int32_t>(std::string_view text);
template <> [[nodiscard]] Result<std::int64_t> parse_text<std::int64_t>(std::string_view text);
// Decimal or exponent form, "NaN", "Infinity", "-Infinity", "inf"; out of range is an error.
template <> [[nodiscard]] Result<float> parse_text<float>(std::string_view text);
template <> [[nodiscard]] Result<double> parse_text<double>(std::string_view text);
template <> [[nodiscard]] Result<Numeric> parse_text<Numeric>(std::string_view text);
// "YYYY-MM-DD" with an optional " BC"/" AD", or "infinity", "-infinity", "epoch".
template <> [[nodiscard]] Result<Date> parse_text<Date>(std::string_view text);
// "HH:MM[:SS[.ffffff]]", 24:00:00 allowed; more than 6 fraction digits are rounded. A trailing
// zone is ignored, as the server's time input does.
template <> [[nodiscard]] Result<Time> parse_text<Time>(std::string_view text);
// "YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][zone][ BC]", or "infinity", "-infinity", "epoch".
// zone: "Z", "UTC", "GMT", "+HH", "+HHMM", "+HH:MM", "+HH:MM:SS" (or "-"). Timestamp ignores a
// zone, as the server does; TimestampTz converts to UTC, and without a zone takes the text as UTC
// (sessions that mix text and binary timestamptz should run with TimeZone=UTC).
template <> [[nodiscard]] Result<Timestamp> parse_text<Timestamp>(std::string_view text);
template <> [[nodiscard]] Result<TimestampTz> parse_text<TimestampTz>(std::string_view text);
// ISO 8601 ("P1Y2M3DT4H5M6.5S", per-field signs) or the server's verbose form
// ("1 year 2 mons -3 days 04:05:06.5", "@ 5 minutes ago", units singular/plural/abbreviated).
// Fractions are accepted for seconds, milliseconds and microseconds only.
template <> [[nodiscard]] Result<Interval> parse_text<Interval>(std::string_view text);
// 32 hex digits, upper or lower case, optionally in braces, with a hyphen allowed after any
// group of four digits (the server's rule): "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".
template <> [[nodiscard]] Result<Uuid> parse_text<Uuid>(std::string_view text);
// "1.2.3.4[/n]", IPv6 with "::" and an embedded IPv4 tail ("::ffff:1.2.3.4/128").
template <> [[nodiscard]] Result<Inet> parse_text<Inet>(std::string_view text);
// Like inet, plus the abbreviated IPv4 forms "10/8", "10.1/16", "10.1.2" (prefix from the
// classful rules); bits right of the prefix must be zero.
template <> [[nodiscard]] Result<Cidr> parse_text<Cidr>(std::string_view text);
// Hex form "\x0a0B..." or the escape form ("abc\\000\\\\" with octal escapes), as byteain.
template <> [[nodiscard]] Result<std::vector<std::byte>> parse_text<std::vector<std::byte>>(std::string_view text);

// Views of the input (valid while it is): strings and JSON are their own text.
template <>
[[nodiscard]] inline Result<std::string_view> parse_text<std::string_view>(std::string_view text) {
  return text;
}
template <>
[[nodiscard]] inline Result<std::string> parse_text<std::string>(std::string_view text) {
  return std::string(text);
}
template <>
[[nodiscard]] inline Result<Json> parse_text<Json>(std::string_view text) {
  return Json{text};
}
template <>
[[nodiscard]] inline Result<Jsonb> parse_text<Jsonb>(std::string_view text) {
  return Jsonb{text};
}

// ---- output ----
// float8out / float4out with the default extra_float_digits: the shortest digits that read back
// to the same value, in fixed notation when the decimal exponent is -4..14 (float: -4..5) and as
// "1.5e+300" / "1e-05" otherwise; "NaN", "Infinity", "-Infinity", "-0". Writes into `out`
// (always large enough) and returns the length; no allocation, for COPY text on hot paths.
inline constexpr std::size_t kFloatTextMax = 32;
[[nodiscard]] std::size_t format_float_text(char (&out)[kFloatTextMax], double v) noexcept;
[[nodiscard]] std::size_t format_float_text(char (&out)[kFloatTextMax], float v) noexcept;
[[nodiscard]] std::string format_text(Date v);         // "2024-02-29", "0044-03-15 BC", "infinity"
[[nodiscard]] std::string format_text(Time v);         // "12:34:56.5"
[[nodiscard]] std::string format_text(Timestamp v);    // "2024-02-29 12:34:56.123456"
[[nodiscard]] std::string format_text(TimestampTz v);  // "2024-02-29 12:34:56.123456+00"
[[nodiscard]] std::string format_text(const Interval& v);  // "P1Y2M3DT4H5M6.5S", "PT0S"
[[nodiscard]] std::string format_text(const Uuid& v);
[[nodiscard]] std::string format_text(const Inet& v);
[[nodiscard]] std::string format_text(const Cidr& v);
[[nodiscard]] std::string format_text(const Numeric& v);
[[nodiscard]] std::string format_text(std::span<const std::byte> bytea);  // "\x0a0b"

}  // namespace pgstream::protocol
