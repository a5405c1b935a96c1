#pragma once
// Splitting the backend byte stream into frames (protocol 3.0 and 3.2), without copying.
//
//   FrameResult r = next_frame(bytes, limits);
//   switch (r.status) {
//     case FrameStatus::complete:  use r.frame (a view into `bytes`), then drop r.consumed() bytes
//     case FrameStatus::need_more: read at least r.needed more bytes, then call again
//     case FrameStatus::error:     r.to_error(); the stream is out of sync, close the connection
//   }
//
// A frame is Byte1 type, Int32 length (counting itself, not the type byte), then length - 4 body
// bytes. The length is checked against a per-type limit as soon as the 5-byte header is there, so
// a caller can refuse an absurd frame before buffering any of its body. Frames and their bodies
// are views into the caller's buffer: valid until that buffer is overwritten or released.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "pgstream/result.hpp"

namespace pgstream::protocol {

// Type bytes of every backend message, for `switch (static_cast<BackendType>(frame.type))`.
enum class BackendType : char {
  authentication = 'R',
  backend_key_data = 'K',
  bind_complete = '2',
  close_complete = '3',
  command_complete = 'C',
  copy_data = 'd',
  copy_done = 'c',
  copy_in_response = 'G',
  copy_out_response = 'H',
  copy_both_response = 'W',
  data_row = 'D',
  empty_query_response = 'I',
  error_response = 'E',
  function_call_response = 'V',
  negotiate_protocol_version = 'v',
  no_data = 'n',
  notice_response = 'N',
  notification_response = 'A',
  parameter_description = 't',
  parameter_status = 'S',
  parse_complete = '1',
  portal_suspended = 's',
  ready_for_query = 'Z',
  row_description = 'T',
};

// "DataRow" for 'D', ...; empty for a byte that is no backend message type.
[[nodiscard]] std::string_view backend_message_name(char type) noexcept;

// Largest accepted value of a frame's length field (which counts its own 4 bytes), by the kind of
// message. A longer frame is a protocol error reported from its header alone. Each limit must be
// at least 4 and at most 2^31 - 1.
struct FrameLimits {
  // Fixed-size or tiny messages: ParseComplete, BindComplete, CloseComplete, NoData,
  // EmptyQueryResponse, PortalSuspended, CopyDone, ReadyForQuery, BackendKeyData,
  // CommandComplete. The largest legitimate one is a protocol 3.2 BackendKeyData with a 256-byte
  // key (264); 64 KiB is far above that yet small enough to reject garbage before buffering it.
  std::uint32_t max_control_length = 64 * 1024;
  // Messages of names, text and auth tokens: Authentication (GSS/SSPI tokens, SASL data),
  // ErrorResponse, NoticeResponse, ParameterStatus, RowDescription (1664 columns of 63-byte
  // names fit in ~140 KB), ParameterDescription (65535 parameters: 256 KiB),
  // NegotiateProtocolVersion, NotificationResponse (the server caps payloads at 8000 bytes) and
  // CopyIn/Out/BothResponse (a format code per column).
  // 16 MiB leaves room for huge RAISE messages while bounding what a broken peer can make us hold.
  std::uint32_t max_metadata_length = 16 * 1024 * 1024;
  // Messages carrying user data: DataRow, CopyData, FunctionCallResponse. 1 GiB is the server's
  // own limit on a single value (MaxAllocSize), so no real server sends more.
  std::uint32_t max_data_length = 1024 * 1024 * 1024;
};

// One complete backend frame: a view into the input buffer.
struct Frame {
  char type = 0;
  std::int32_t length = 0;            // the length field as sent: body size + 4
  std::span<const std::byte> body;    // length - 4 bytes, right after the header

  static constexpr std::size_t header_size = 5;
  // Bytes this frame occupies in the stream (type byte + length).
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(length) + 1; }
};

enum class FrameStatus : std::uint8_t { complete, need_more, error };

enum class FrameError : std::uint8_t {
  none,
  unknown_type,       // the type byte is no backend message
  length_too_small,   // length field below 4
  length_too_large,   // length field above the FrameLimits entry for this type
};

// What next_frame found. A plain struct (no heap, no variant) because it is returned once per
// message on the hottest path; turn an error into a pgstream::Error with to_error().
struct FrameResult {
  FrameStatus status = FrameStatus::need_more;
  FrameError error = FrameError::none;
  Frame frame;                // complete: the frame; error: type (and length, once known)
  std::uint32_t limit = 0;    // error length_too_large: the limit that was exceeded
  std::size_t needed = 0;     // need_more: exactly how many more bytes complete the header/frame

  [[nodiscard]] bool complete() const noexcept { return status == FrameStatus::complete; }
  // Bytes to drop from the front of the input: the frame's size when complete, else 0.
  [[nodiscard]] std::size_t consumed() const noexcept { return complete() ? frame.size() : 0; }
  // One line for the user (ErrorCategory::protocol). Only meaningful when status == error.
  [[nodiscard]] Error to_error() const;
};

namespace detail {

enum class FrameClass : std::uint8_t { unknown, control, metadata, data };

inline constexpr std::array<FrameClass, 256> frame_classes = [] {
  std::array<FrameClass, 256> t{};
  for (char c : std::string_view("123nIscZKC")) t[static_cast<unsigned char>(c)] = FrameClass::control;
  for (char c : std::string_view("RENSTtvAGHW")) t[static_cast<unsigned char>(c)] = FrameClass::metadata;
  for (char c : std::string_view("DdV")) t[static_cast<unsigned char>(c)] = FrameClass::data;
  return t;
}();

[[nodiscard]] inline std::uint32_t load_u32(const std::byte* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::little) v = std::byteswap(v);
  return v;
}

}  // namespace detail

[[nodiscard]] inline FrameResult next_frame(std::span<const std::byte> in,
                                            const FrameLimits& limits = {}) noexcept {
  FrameResult r;
  if (in.empty()) [[unlikely]] {
    r.needed = Frame::header_size;
    return r;
  }
  r.frame.type = static_cast<char>(in[0]);
  const detail::FrameClass cls = detail::frame_classes[static_cast<unsigned char>(in[0])];
  if (cls == detail::FrameClass::unknown) [[unlikely]] {
    r.status = FrameStatus::error;
    r.error = FrameError::unknown_type;
    return r;
  }
  if (in.size() < Frame::header_size) [[unlikely]] {
    r.needed = Frame::header_size - in.size();
    return r;
  }
  const std::uint32_t length = detail::load_u32(in.data() + 1);
  r.frame.length = static_cast<std::int32_t>(length);
  const std::uint32_t limit = cls == detail::FrameClass::data      ? limits.max_data_length
                              : cls == detail::FrameClass::control ? limits.max_control_length
                                                                   : limits.max_metadata_length;
  // One unsigned comparison catches both a length below 4 (it wraps to huge) and one above limit.
  if (length - 4u > limit - 4u) [[unlikely]] {
    r.status = FrameStatus::error;
    r.error = (length < 4u || length > 0x7fffffffu) ? FrameError::length_too_small
                                                    : FrameError::length_too_large;
    r.limit = limit;
    return r;
  }
  const std::size_t total = static_cast<std::size_t>(length) + 1;
  if (in.size() < total) {
    r.needed = total - in.size();
    return r;
  }
  r.status = FrameStatus::complete;
  r.frame.body = in.subspan(Frame::header_size, length - 4u);
  return r;
}

// ---- the one-byte answer to SSLRequest / GSSENCRequest ----

enum class EncryptionRequest : std::uint8_t { ssl, gssenc };

enum class EncryptionAnswerStatus : std::uint8_t {
  need_more,     // nothing received yet, or part of an ErrorResponse
  accepted,      // 'S' to SSLRequest, 'G' to GSSENCRequest: start the handshake
  rejected,      // 'N': continue unencrypted (or give up, per sslmode/gssencmode)
  server_error,  // an ErrorResponse frame (a server that does not know the request)
  invalid,       // any other byte, or bytes after a one-byte answer
};

struct EncryptionAnswer {
  EncryptionAnswerStatus status = EncryptionAnswerStatus::need_more;
  char byte = 0;              // the answer byte, once received
  std::size_t needed = 0;     // need_more: exactly how many more bytes
  std::size_t consumed = 0;   // accepted/rejected: 1; server_error: the frame's size
  Frame error_frame;          // server_error: parse it with ErrorResponse::parse
  FrameResult frame_result;   // invalid after 'E': why the ErrorResponse frame was refused

  // One line for the user: ErrorCategory::protocol for invalid (ErrorCategory::tls for
  // unencrypted bytes after an acceptance). Only meaningful when status == invalid.
  [[nodiscard]] Error to_error(EncryptionRequest request) const;
};

// Decodes the server's reply to SSLRequest or GSSENCRequest from the first bytes received.
// Any byte after 'S'/'G'/'N' is refused (status invalid): the server sends nothing more before
// the handshake or the StartupMessage, so such bytes were injected by a man in the middle
// (CVE-2021-23222) and must not be read as if they came through the encrypted channel.
[[nodiscard]] EncryptionAnswer decode_encryption_answer(EncryptionRequest request,
                                                        std::span<const std::byte> in,
                                                        const FrameLimits& limits = {}) noexcept;

}  // namespace pgstream::protocol
