#pragma once
// The framing every frontend message shares: a type byte, a 4-byte length written as a
// placeholder and back-patched once the body is known, and the rules for what a sink holds after
// an error or an overflow.
//
// Two promises hold for every encoder in frontend_*.hpp and copy_binary.hpp:
//  - An encode error (Result with ErrorCategory::encode) leaves the sink exactly as it was.
//  - A fixed sink (SpanSink) that runs out of room never shows half a message: the partial message
//    is dropped, size() stays at the end of the last whole message, and overflowed() stays true.
//    Overflow is not an error Result; the caller checks overflowed() once per batch, sends (or
//    resizes) and re-encodes what was dropped.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string_view>

#include "pgstream/protocol/byte_sink.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

// Bytes a caller already has (a pre-encoded value, SASL data, COPY payload).
using Bytes = std::span<const std::byte>;
// A pre-encoded parameter or field: bytes, or std::nullopt for SQL NULL.
using EncodedValue = std::optional<Bytes>;

[[nodiscard]] inline Bytes bytes_of(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Protocol limits encoders enforce before writing anything.
inline constexpr std::size_t max_count_u16 = 65535;  // parameters, formats, oids (unsigned Int16)
inline constexpr std::size_t max_count_i16 = 32767;  // COPY tuple field count (signed Int16)
inline constexpr std::size_t max_message_length = std::numeric_limits<std::int32_t>::max();

// A sink with fixed capacity that records overflow instead of growing (SpanSink and look-alikes).
template <class S>
concept FixedByteSink = ByteSink<S> && requires(S& s, const S& cs, std::size_t n) {
  { cs.overflowed() } -> std::convertible_to<bool>;
  { cs.remaining() } -> std::convertible_to<std::size_t>;
  s.truncate(n);
};

template <ByteSink S>
[[nodiscard]] inline bool sink_overflowed(const S& sink) noexcept {
  if constexpr (FixedByteSink<S>) {
    return sink.overflowed();
  } else {
    return false;
  }
}

// Shrink the sink back to `size` bytes (the size it had before a message was started). For a fixed
// sink this also clears the overflow flag: use it to drop a tuple that did not fit and carry on.
template <ByteSink S>
inline void rollback(S& sink, std::size_t size) {
  if constexpr (requires { sink.truncate(size); }) {
    sink.truncate(size);
  } else {
    sink.resize(size);
  }
}

namespace detail {

// Drops a message that a fixed sink could not hold, keeping overflowed() true so the caller's
// once-per-batch check still sees it. SpanSink::truncate clears the flag, and an append larger
// than what remains sets it again without writing (that is SpanSink's documented contract).
template <ByteSink S>
inline void drop_if_overflowed(S& sink, std::size_t start) {
  if constexpr (FixedByteSink<S>) {
    if (sink.overflowed()) [[unlikely]] {
      static constexpr char never_copied = 0;
      sink.truncate(start);
      sink.append(&never_copied, sink.remaining() + 1);
    }
  }
}

[[nodiscard]] inline bool has_nul(std::string_view s) noexcept {
  return !s.empty() && std::memchr(s.data(), 0, s.size()) != nullptr;
}

// Cold paths: building the message text allocates, which only errors may do.
[[nodiscard]] std::unexpected<Error> nul_error(std::string_view message, std::string_view field,
                                               std::string_view text);
[[nodiscard]] std::unexpected<Error> count_error(std::string_view message, std::string_view what,
                                                 std::size_t count, std::size_t limit);
[[nodiscard]] std::unexpected<Error> format_count_error(std::string_view message,
                                                        std::size_t formats, std::size_t values);
[[nodiscard]] std::unexpected<Error> length_error(std::string_view message, std::size_t length);
[[nodiscard]] std::unexpected<Error> encode_error(std::string message);
[[nodiscard]] std::unexpected<Error> startup_param_error(std::size_t index, std::string_view name,
                                                         std::string_view value);
[[nodiscard]] std::unexpected<Error> cancel_key_error(std::size_t key_length);

// Takes the sink back to `start` after an encode error. A fixed sink that overflowed keeps its
// overflow flag: the caller's batch check must still see that something was dropped.
template <ByteSink S>
inline void undo(S& sink, std::size_t start) {
  if (sink_overflowed(sink)) {
    drop_if_overflowed(sink, start);
  } else {
    rollback(sink, start);
  }
}

// Writes the type byte and a length placeholder; returns where the message starts.
template <ByteSink S>
[[nodiscard]] inline std::size_t begin_message(S& sink, char type) {
  const std::size_t start = sink.size();
  const char head[5] = {type, 0, 0, 0, 0};
  put_bytes(sink, head, sizeof head);
  return start;
}

// Start-up packets (StartupMessage, SSLRequest, CancelRequest, ...) have no type byte.
template <ByteSink S>
[[nodiscard]] inline std::size_t begin_untyped_message(S& sink) {
  const std::size_t start = sink.size();
  put_i32(sink, 0);
  return start;
}

// Back-patches the length of a message begun at `start`, whose length field sits at
// start + length_at (1 for typed messages, 0 for start-up packets). Fails, rolling back, only when
// the message grew past what an Int32 length can describe.
template <ByteSink S>
[[nodiscard]] inline Result<void> end_message(S& sink, std::size_t start, std::string_view name,
                                              std::size_t length_at = 1) {
  if (sink_overflowed(sink)) [[unlikely]] {
    drop_if_overflowed(sink, start);
    return {};
  }
  const std::size_t length = sink.size() - start - length_at;
  if (length > max_message_length) [[unlikely]] {
    rollback(sink, start);
    return length_error(name, length);
  }
  patch_i32(sink, start + length_at, static_cast<std::int32_t>(length));
  return {};
}

// For messages whose length cannot exceed the limit (their inputs are bounded by checks made
// before writing), the same without the length check.
template <ByteSink S>
inline void end_bounded_message(S& sink, std::size_t start, std::size_t length_at = 1) {
  if (sink_overflowed(sink)) [[unlikely]] {
    drop_if_overflowed(sink, start);
    return;
  }
  patch_i32(sink, start + length_at, static_cast<std::int32_t>(sink.size() - start - length_at));
}

template <ByteSink S>
inline void put_cstring(S& sink, std::string_view s) {
  put_bytes(sink, s.data(), s.size());
  put_u8(sink, 0);
}

template <ByteSink S>
inline void put_u16(S& sink, std::size_t v) {
  put_be(sink, static_cast<std::uint16_t>(v));
}

}  // namespace detail
}  // namespace pgstream::protocol
