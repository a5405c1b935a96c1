#pragma once
// Parameter blocks shared by Bind, FunctionCall and binary COPY tuples: format codes, and values
// each written as an Int32 length (or -1 for NULL) followed by the value bytes.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <type_traits>

#include "pgstream/protocol/bindable.hpp"
#include "pgstream/protocol/byte_sink.hpp"
#include "pgstream/protocol/format.hpp"
#include "pgstream/protocol/frontend_frame.hpp"

namespace pgstream::protocol {

// A read-only list argument: a std::span that also binds to a braced list, so callers can write
// parse(sink, "s", sql, {23, 25}). A braced list lives until the end of the full-expression that
// created it, so keep a SpanArg built from one only as long as that expression.
template <class T>
class SpanArg {
 public:
  constexpr SpanArg() noexcept = default;
  constexpr SpanArg(std::initializer_list<T> list) noexcept  // NOLINT: implicit on purpose
      : view_(list.begin(), list.size()) {}
  template <class R>
  requires std::convertible_to<R&&, std::span<const T>>
  constexpr SpanArg(R&& range) noexcept  // NOLINT: implicit on purpose
      : view_(std::forward<R>(range)) {}

  [[nodiscard]] constexpr std::size_t size() const noexcept { return view_.size(); }
  [[nodiscard]] constexpr bool empty() const noexcept { return view_.empty(); }
  [[nodiscard]] constexpr const T* begin() const noexcept { return view_.data(); }
  [[nodiscard]] constexpr const T* end() const noexcept { return view_.data() + view_.size(); }
  [[nodiscard]] constexpr const T& operator[](std::size_t i) const noexcept { return view_[i]; }
  [[nodiscard]] constexpr std::span<const T> span() const noexcept { return view_; }

 private:
  std::span<const T> view_;
};

// The oids of Bindable types, in order: parse(sink, "s", sql, param_oids<int, std::string>).
template <BindableValue... T>
inline constexpr std::array<Oid, sizeof...(T)> param_oids = {static_cast<Oid>(Bindable<T>::oid)...};

namespace detail {

// Format codes for values of types T...: none when all are text (the protocol's default), one when
// all share a format, else one per value. Computed at compile time into the exact wire bytes.
template <class... T>
consteval std::size_t typed_format_count() {
  constexpr std::size_t n = sizeof...(T);
  if constexpr (n == 0) {
    return 0;
  } else {
    constexpr Format formats[] = {static_cast<Format>(Bindable<T>::format)...};
    bool all_text = true;
    bool uniform = true;
    for (Format f : formats) {
      all_text = all_text && f == Format::text;
      uniform = uniform && f == formats[0];
    }
    return all_text ? 0 : (uniform ? 1 : n);
  }
}

template <class... T>
consteval auto typed_format_block() {
  constexpr std::size_t count = typed_format_count<T...>();
  std::array<char, 2 + 2 * count> out{};
  out[0] = static_cast<char>((count >> 8) & 0xff);
  out[1] = static_cast<char>(count & 0xff);
  if constexpr (count > 0) {
    constexpr Format formats[] = {static_cast<Format>(Bindable<T>::format)...};
    for (std::size_t i = 0; i < count; ++i) {
      const auto code = static_cast<std::uint16_t>(formats[i]);
      out[2 + 2 * i] = static_cast<char>((code >> 8) & 0xff);
      out[3 + 2 * i] = static_cast<char>(code & 0xff);
    }
  }
  return out;
}

// Int16 count, then the format codes: the wire bytes of a typed parameter list's formats.
template <class... T>
inline constexpr auto typed_format_bytes = typed_format_block<T...>();

template <ByteSink S>
inline void put_formats(S& sink, std::span<const Format> formats) {
  put_u16(sink, formats.size());
  for (Format f : formats) put_i16(sink, static_cast<std::int16_t>(f));
}

// One value: Int32 length (back-patched after the codec wrote its bytes) or -1 for NULL.
template <ByteSink S, BindableValue T>
inline void put_typed_value(S& sink, const T& value) {
  if (bindable_is_null(value)) {
    put_i32(sink, -1);
    return;
  }
  const std::size_t at = sink.size();
  put_i32(sink, 0);
  Bindable<T>::encode(sink, value);
  // A value longer than an Int32 makes the whole message too long, which end_message rejects.
  patch_i32(sink, at, static_cast<std::int32_t>(sink.size() - at - 4));
}

template <ByteSink S>
inline void put_encoded_value(S& sink, const EncodedValue& value) {
  if (!value) {
    put_i32(sink, -1);
    return;
  }
  put_i32(sink, static_cast<std::int32_t>(value->size()));
  put_bytes(sink, value->data(), value->size());
}

// Checks a pre-encoded parameter list against the protocol before anything is written.
[[nodiscard]] inline Result<void> check_encoded_params(std::string_view message,
                                                       std::string_view noun,
                                                       std::span<const Format> formats,
                                                       std::span<const EncodedValue> values) {
  if (values.size() > max_count_u16) [[unlikely]] {
    return count_error(message, noun, values.size(), max_count_u16);
  }
  if (formats.size() > 1 && formats.size() != values.size()) [[unlikely]] {
    return format_count_error(message, formats.size(), values.size());
  }
  // A value longer than an Int32 makes the whole message too long, which end_message rejects.
  return {};
}

}  // namespace detail
}  // namespace pgstream::protocol
