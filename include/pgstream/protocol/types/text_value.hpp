#pragma once
// A parameter sent in text format, for types pgstream has no binary codec for (or when the
// caller already holds the server's text form). The server parses it with the type's input
// function; oid 0 lets the server infer the type from the statement.

#include <charconv>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "pgstream/protocol/bindable.hpp"
#include "pgstream/protocol/types/oid.hpp"
#include "pgstream/protocol/types/text.hpp"

namespace pgstream::protocol {

// Views its text: valid while that text is. std::nullopt_t or std::optional<TextValue> for NULL.
struct TextValue {
  std::string_view text;
  friend constexpr bool operator==(const TextValue&, const TextValue&) = default;
};

template <>
struct Bindable<TextValue> {
  static constexpr Oid oid = oid::unspecified;
  static constexpr Format format = Format::text;
  template <ByteSink S>
  static void encode(S& sink, const TextValue& v) {
    put_string(sink, v.text);
  }
};

// Writes a value's text form, as the server's output function would print it, into any sink:
// what a TextValue carries, or what a text-format COPY field holds.
template <ByteSink S, class T>
void encode_text(S& sink, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    put_string(sink, v ? std::string_view("t") : std::string_view("f"));
  } else if constexpr (std::is_integral_v<T>) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    put_bytes(sink, buf, static_cast<std::size_t>(r.ptr - buf));
  } else if constexpr (std::is_floating_point_v<T>) {
    char buf[kFloatTextMax];
    using F = std::conditional_t<std::is_same_v<T, float>, float, double>;  // no long double column
    put_bytes(sink, buf, format_float_text(buf, static_cast<F>(v)));
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    put_string(sink, std::string_view(v));
  } else if constexpr (std::is_same_v<T, Json> || std::is_same_v<T, Jsonb> || std::is_same_v<T, TextValue>) {
    put_string(sink, v.text);
  } else if constexpr (std::is_same_v<T, Bytea>) {
    put_string(sink, format_text(v.bytes));
  } else {
    put_string(sink, format_text(v));  // the value types of text.hpp
  }
}

}  // namespace pgstream::protocol
