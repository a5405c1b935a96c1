#pragma once
// Bindable<T> for single values: each writes the server's binary form for its type (the
// *_send layout), without the 4-byte length the Bind/COPY writer adds. See bindable.hpp.
//
// Strings are sent as text (oid 25) so the server converts them to varchar/bpchar/name on
// assignment; a string with a NUL byte is sent as is and the server rejects it.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/protocol/bindable.hpp"
#include "pgstream/protocol/types/bytea.hpp"
#include "pgstream/protocol/types/datetime.hpp"
#include "pgstream/protocol/types/inet.hpp"
#include "pgstream/protocol/types/json.hpp"
#include "pgstream/protocol/types/numeric.hpp"
#include "pgstream/protocol/types/oid.hpp"
#include "pgstream/protocol/types/uuid.hpp"

namespace pgstream::protocol {

template <>
struct Bindable<bool> {
  static constexpr Oid oid = oid::bool_;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, bool v) {
    put_u8(sink, v ? 1 : 0);
  }
};

namespace detail {
template <class T, Oid O>
struct BindableInteger {
  static constexpr Oid oid = O;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, T v) {
    put_be<T>(sink, v);
  }
};
// IEEE 754 bits in network order, so NaN, ±Infinity and -0.0 pass through unchanged.
template <class T, class Bits, Oid O>
struct BindableFloat {
  static constexpr Oid oid = O;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, T v) {
    put_be<Bits>(sink, std::bit_cast<Bits>(v));
  }
};
struct BindableText {
  static constexpr Oid oid = oid::text;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, std::string_view v) {
    put_string(sink, v);
  }
};
}  // namespace detail

template <> struct Bindable<std::int16_t> : detail::BindableInteger<std::int16_t, oid::int2> {};
template <> struct Bindable<std::int32_t> : detail::BindableInteger<std::int32_t, oid::int4> {};
template <> struct Bindable<std::int64_t> : detail::BindableInteger<std::int64_t, oid::int8> {};
template <> struct Bindable<float> : detail::BindableFloat<float, std::uint32_t, oid::float4> {};
template <> struct Bindable<double> : detail::BindableFloat<double, std::uint64_t, oid::float8> {};

template <> struct Bindable<std::string> : detail::BindableText {};
template <> struct Bindable<std::string_view> : detail::BindableText {};
// A null pointer binds as NULL rather than crashing.
template <>
struct Bindable<const char*> : detail::BindableText {
  static bool is_null(const char* v) noexcept { return v == nullptr; }
  template <ByteSink S>
  static void encode(S& sink, const char* v) {
    if (v != nullptr) put_string(sink, std::string_view(v));
  }
};
template <> struct Bindable<char*> : Bindable<const char*> {};
// String literals and char buffers: the text up to the first NUL (or the whole array).
template <std::size_t N>
struct Bindable<char[N]> : detail::BindableText {
  template <ByteSink S>
  static void encode(S& sink, const char (&v)[N]) {
    put_string(sink, std::string_view(v, static_cast<std::size_t>(std::find(v, v + N, '\0') - v)));
  }
};
template <std::size_t N> struct Bindable<const char[N]> : Bindable<char[N]> {};

template <>
struct Bindable<Bytea> {
  static constexpr Oid oid = oid::bytea;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, const Bytea& v) {
    put_bytes(sink, v.bytes.data(), v.bytes.size());
  }
};
template <>
struct Bindable<std::vector<std::byte>> {
  static constexpr Oid oid = oid::bytea;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, const std::vector<std::byte>& v) {
    put_bytes(sink, v.data(), v.size());
  }
};

template <>
struct Bindable<Uuid> {
  static constexpr Oid oid = oid::uuid;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, const Uuid& v) {
    put_bytes(sink, v.bytes.data(), v.bytes.size());
  }
};

template <>
struct Bindable<Date> {
  static constexpr Oid oid = oid::date;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, Date v) {
    put_i32(sink, v.days);
  }
};
template <>
struct Bindable<Time> {
  static constexpr Oid oid = oid::time;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, Time v) {
    put_i64(sink, v.micros);
  }
};
template <>
struct Bindable<Timestamp> {
  static constexpr Oid oid = oid::timestamp;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, Timestamp v) {
    put_i64(sink, v.micros);
  }
};
template <>
struct Bindable<TimestampTz> {
  static constexpr Oid oid = oid::timestamptz;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, TimestampTz v) {
    put_i64(sink, v.micros);
  }
};
// Field order on the wire: microseconds, days, months.
template <>
struct Bindable<Interval> {
  static constexpr Oid oid = oid::interval;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, const Interval& v) {
    put_i64(sink, v.micros);
    put_i32(sink, v.days);
    put_i32(sink, v.months);
  }
};

// A Numeric is valid by construction, so analysing its text cannot fail here.
template <>
struct Bindable<Numeric> {
  static constexpr Oid oid = oid::numeric;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, const Numeric& v) {
    const auto layout = analyze_numeric(v.text());
    encode_numeric(sink, layout ? *layout : NumericLayout{.sign = kNumericNaN});
  }
};

template <>
struct Bindable<Json> {
  static constexpr Oid oid = oid::json;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, const Json& v) {
    put_string(sink, v.text);
  }
};
template <>
struct Bindable<Jsonb> {
  static constexpr Oid oid = oid::jsonb;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, const Jsonb& v) {
    put_u8(sink, kJsonbVersion);
    put_string(sink, v.text);
  }
};

namespace detail {
template <ByteSink S>
void encode_net(S& sink, const NetAddress& v, bool is_cidr) {
  put_u8(sink, static_cast<std::uint8_t>(v.family));
  put_u8(sink, v.bits);
  put_u8(sink, is_cidr ? 1 : 0);
  put_u8(sink, v.address_size());
  put_bytes(sink, v.address.data(), v.address_size());
}
}  // namespace detail

template <>
struct Bindable<Inet> {
  static constexpr Oid oid = oid::inet;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, const Inet& v) {
    detail::encode_net(sink, v, v.is_cidr);
  }
};
template <>
struct Bindable<Cidr> {
  static constexpr Oid oid = oid::cidr;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& sink, const Cidr& v) {
    detail::encode_net(sink, v, true);
  }
};

// std::optional<T>: NULL when empty, else T's encoding under T's oid.
template <BindableValue T>
struct Bindable<std::optional<T>> {
  static constexpr Oid oid = Bindable<T>::oid;
  static constexpr Format format = Bindable<T>::format;
  static bool is_null(const std::optional<T>& v) noexcept { return !v.has_value() || bindable_is_null(*v); }
  template <ByteSink S>
  static void encode(S& sink, const std::optional<T>& v) {
    if (v) Bindable<T>::encode(sink, *v);
  }
};

// A bare NULL of unspecified type (the server infers it).
template <>
struct Bindable<std::nullopt_t> {
  static constexpr Oid oid = oid::unspecified;
  static constexpr Format format = Format::binary;
  static bool is_null(std::nullopt_t) noexcept { return true; }
  template <ByteSink S>
  static void encode(S&, std::nullopt_t) {}
};

}  // namespace pgstream::protocol
