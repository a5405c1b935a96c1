#pragma once
// Binary COPY (COPY ... FROM STDIN WITH (FORMAT binary)) written straight into CopyData messages.
//
// Stream layout: header (11-byte signature "PGCOPY\n\377\r\n\0", Int32 flags, Int32 header
// extension length), tuples (Int16 field count, then per field Int32 length or -1 for NULL and the
// bytes), trailer (Int16 -1). The server reassembles the stream from CopyData payloads, so any
// number of whole tuples can share one CopyData message.
//
// Filling a fixed send buffer with as many tuples as fit:
//
//   SpanSink sink(region);
//   {
//     CopyDataFrame frame(sink);
//     if (first) frame.header();
//     while (row) {
//       auto fit = frame.tuple(row->id, row->name);
//       if (!fit) reject(row, fit.error());   // cannot be encoded; the frame is unchanged
//       else if (!*fit) break;                // full: nothing of this tuple was written
//       else row = next();
//     }
//   }                                          // the frame's length is patched here (or finish())
//   send(sink.written());
//
// While a frame is open, write to its sink only through the frame.

#include <cstddef>
#include <cstdint>

#include "pgstream/protocol/bindable.hpp"
#include "pgstream/protocol/byte_sink.hpp"
#include "pgstream/protocol/frontend_frame.hpp"
#include "pgstream/protocol/frontend_params.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

// Signature, flags (0: no OIDs), header extension length (0).
inline constexpr char copy_binary_header_bytes[19] = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\xff', '\r', '\n', '\0', 0, 0, 0, 0, 0, 0, 0, 0};
inline constexpr char copy_binary_trailer_bytes[2] = {'\xff', '\xff'};

namespace detail {

// Writes one tuple. Returns false when a field's bytes exceed an Int32 length (the caller undoes
// the tuple); for a fixed sink, overflow is left for the caller to see.
template <ByteSink S, BindableValue... T>
[[nodiscard]] inline bool put_copy_tuple(S& sink, const T&... values) {
  static_assert(sizeof...(T) <= max_count_i16, "a COPY tuple has at most 32767 fields");
  put_i16(sink, static_cast<std::int16_t>(sizeof...(T)));
  bool ok = true;
  [[maybe_unused]] auto field = [&](const auto& v) {
    const std::size_t at = sink.size();
    put_typed_value(sink, v);
    ok = ok && sink.size() - at - 4 <= max_message_length;
  };
  (field(values), ...);
  return ok;
}

template <ByteSink S>
inline void put_copy_tuple_encoded(S& sink, std::span<const EncodedValue> fields) {
  put_i16(sink, static_cast<std::int16_t>(fields.size()));
  for (const EncodedValue& f : fields) put_encoded_value(sink, f);
}

[[nodiscard]] inline Result<void> check_copy_fields(std::span<const EncodedValue> fields) {
  if (fields.size() > max_count_i16) [[unlikely]] {
    return count_error("COPY tuple", "fields", fields.size(), max_count_i16);
  }
  for (const EncodedValue& f : fields) {
    if (f && f->size() > max_message_length) [[unlikely]]
      return length_error("COPY field", f->size());
  }
  return {};
}

[[nodiscard]] std::unexpected<Error> copy_field_too_long_error();
[[nodiscard]] std::unexpected<Error> copy_tuple_exceeds_buffer_error(std::size_t capacity);
[[nodiscard]] std::unexpected<Error> copy_tuple_exceeds_message_error(std::size_t tuple_size);

}  // namespace detail

// ---- the raw COPY stream (no CopyData framing): for files, or inside a CopyDataFrame ----

template <ByteSink S>
void copy_binary_header(S& sink) {
  put_bytes(sink, copy_binary_header_bytes, sizeof copy_binary_header_bytes);
}

template <ByteSink S>
void copy_binary_trailer(S& sink) {
  put_bytes(sink, copy_binary_trailer_bytes, sizeof copy_binary_trailer_bytes);
}

// One tuple from typed values (their Bindable<T> writes the bytes). Fails, leaving the sink as it
// was, only for a field longer than an Int32 length can say. A fixed sink that runs out of room
// drops the partial tuple and stays overflowed.
template <ByteSink S, BindableValue... T>
[[nodiscard]] Result<void> copy_tuple(S& sink, const T&... values) {
  const std::size_t start = sink.size();
  const bool ok = detail::put_copy_tuple(sink, values...);
  if (sink_overflowed(sink)) [[unlikely]] {
    detail::drop_if_overflowed(sink, start);
    return {};
  }
  if (!ok) [[unlikely]] {
    rollback(sink, start);
    return detail::copy_field_too_long_error();
  }
  return {};
}

// One tuple from bytes the caller already encoded in binary (std::nullopt for NULL).
template <ByteSink S>
[[nodiscard]] Result<void> copy_tuple_encoded(S& sink, SpanArg<EncodedValue> fields) {
  if (auto ok = detail::check_copy_fields(fields.span()); !ok) [[unlikely]]
    return ok;
  const std::size_t start = sink.size();
  detail::put_copy_tuple_encoded(sink, fields.span());
  detail::drop_if_overflowed(sink, start);
  return {};
}

// ---- many tuples in one CopyData message ----

// One CopyData message under construction. Each append either lands whole or not at all, so the
// message always holds whole tuples; its length is patched by finish() (or the destructor).
template <ByteSink S>
class CopyDataFrame {
 public:
  explicit CopyDataFrame(S& sink) : sink_(&sink), start_(sink.size()) {
    if (sink_overflowed(sink)) {
      // Something before the frame was already dropped: do not hide that by clearing the flag.
      open_ = false;
      return;
    }
    const char head[5] = {'d', 0, 0, 0, 0};
    put_bytes(sink, head, sizeof head);
    if (sink_overflowed(sink)) {
      rollback(sink, start_);
      open_ = false;
    }
  }
  CopyDataFrame(const CopyDataFrame&) = delete;
  CopyDataFrame& operator=(const CopyDataFrame&) = delete;
  ~CopyDataFrame() { finish(); }

  // Appends one tuple. true: written; false: it did not fit (the sink is full, or the message
  // would outgrow an Int32 length) and nothing of it was written: finish, send, start a new
  // frame. Errors (the frame is unchanged): a field too long for the protocol, or a tuple that
  // cannot fit even into an empty frame at the start of a fixed sink.
  template <BindableValue... T>
  [[nodiscard]] Result<bool> tuple(const T&... values) {
    if (!open_) return false;
    const std::size_t at = sink_->size();
    const bool ok = detail::put_copy_tuple(*sink_, values...);
    return settle(at, ok);
  }

  [[nodiscard]] Result<bool> tuple_encoded(SpanArg<EncodedValue> fields) {
    if (auto ok = detail::check_copy_fields(fields.span()); !ok) [[unlikely]] {
      return std::unexpected(std::move(ok).error());
    }
    if (!open_) return false;
    const std::size_t at = sink_->size();
    detail::put_copy_tuple_encoded(*sink_, fields.span());
    return settle(at, true);
  }

  // The stream header (first frame of a COPY) and trailer (last). false: did not fit.
  [[nodiscard]] bool header() {
    return raw(copy_binary_header_bytes, sizeof copy_binary_header_bytes);
  }
  [[nodiscard]] bool trailer() {
    return raw(copy_binary_trailer_bytes, sizeof copy_binary_trailer_bytes);
  }

  [[nodiscard]] std::size_t tuples() const noexcept { return tuples_; }
  [[nodiscard]] std::size_t payload_size() const noexcept {
    return open_ ? sink_->size() - start_ - 5 : 0;
  }
  [[nodiscard]] bool is_open() const noexcept { return open_; }

  // Patches the length. A frame with no payload is removed rather than sent empty. Idempotent.
  void finish() {
    if (!open_) return;
    open_ = false;
    const std::size_t length = sink_->size() - start_ - 1;
    if (length == 4) {
      rollback(*sink_, start_);
      return;
    }
    patch_i32(*sink_, start_ + 1, static_cast<std::int32_t>(length));
  }

 private:
  [[nodiscard]] Result<bool> settle(std::size_t at, bool fields_ok) {
    if (sink_overflowed(*sink_)) [[unlikely]] {
      rollback(*sink_, at);  // also clears the flag: the frame stays usable, just full
      // Alone in a frame at the start of the sink, it will never fit: retrying would loop.
      if (at == start_ + 5 && start_ == 0) {
        return detail::copy_tuple_exceeds_buffer_error(sink_->size() + sink_remaining());
      }
      return false;
    }
    if (!fields_ok) [[unlikely]] {
      rollback(*sink_, at);
      return detail::copy_field_too_long_error();
    }
    if (sink_->size() - start_ - 1 > max_message_length) [[unlikely]] {
      const std::size_t tuple_size = sink_->size() - at;
      rollback(*sink_, at);
      if (at == start_ + 5) return detail::copy_tuple_exceeds_message_error(tuple_size);
      return false;
    }
    ++tuples_;
    return true;
  }

  [[nodiscard]] std::size_t sink_remaining() const noexcept {
    if constexpr (FixedByteSink<S>) {
      return sink_->remaining();
    } else {
      return 0;
    }
  }

  [[nodiscard]] bool raw(const char* bytes, std::size_t n) {
    if (!open_) return false;
    const std::size_t at = sink_->size();
    put_bytes(*sink_, bytes, n);
    if (sink_overflowed(*sink_)) {
      rollback(*sink_, at);
      return false;
    }
    return true;
  }

  S* sink_;
  std::size_t start_;
  std::size_t tuples_ = 0;
  bool open_ = true;
};

template <ByteSink S>
CopyDataFrame(S&) -> CopyDataFrame<S>;

}  // namespace pgstream::protocol
