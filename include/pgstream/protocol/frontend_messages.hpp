#pragma once
// One function per frontend message of protocol 3.0 (and 3.2's longer cancel keys). Each appends
// one complete framed message to any ByteSink in a single pass, back-patching the length.
//
// Functions that can fail return Result<void> (ErrorCategory::encode): a NUL byte inside a string
// the protocol NUL-terminates, too many parameters / formats / oids, a message longer than an
// Int32 length allows. On failure the sink is exactly as it was. Inputs are checked before the
// first byte is written, so the common errors cost no writing at all.
//
// With a SpanSink that runs out of room, the partial message is dropped and overflowed() stays
// true (see frontend_frame.hpp); that is not an error Result. Check overflowed() once per batch.
//
// The functions live in pgstream::protocol::frontend and are meant to be called qualified
// (frontend::sync(buf)): unqualified calls on a std::string would also find std::bind & co by ADL.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "pgstream/protocol/bindable.hpp"
#include "pgstream/protocol/byte_sink.hpp"
#include "pgstream/protocol/format.hpp"
#include "pgstream/protocol/frontend_frame.hpp"
#include "pgstream/protocol/frontend_params.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

// Protocol version numbers: major in the high 16 bits, minor in the low 16 bits.
[[nodiscard]] constexpr std::int32_t protocol_version(std::uint16_t major,
                                                      std::uint16_t minor) noexcept {
  return static_cast<std::int32_t>((std::uint32_t{major} << 16) | minor);
}
inline constexpr std::int32_t protocol_3_0 = protocol_version(3, 0);  // 196608
inline constexpr std::int32_t protocol_3_2 = protocol_version(3, 2);  // 196610 (long cancel keys)

// Request codes sent in place of a protocol version on a fresh connection.
inline constexpr std::int32_t cancel_request_code = 80877102;  // 1234 << 16 | 5678
inline constexpr std::int32_t ssl_request_code = 80877103;     // 1234 << 16 | 5679
inline constexpr std::int32_t gssenc_request_code = 80877104;  // 1234 << 16 | 5680

// Protocol 3.2 lets the server choose the cancel key length, up to this many bytes.
inline constexpr std::size_t max_cancel_key_length = 256;

struct StartupParam {
  std::string_view name;
  std::string_view value;
};

// Which object Describe and Close refer to.
enum class Target : char { statement = 'S', portal = 'P' };

namespace detail {

template <ByteSink S>
[[nodiscard]] Result<void> raw_message(S& sink, char type, Bytes data, std::string_view name) {
  const std::size_t start = begin_message(sink, type);
  put_bytes(sink, data.data(), data.size());
  return end_message(sink, start, name);
}

[[nodiscard]] inline Result<void> check_bind_head(std::string_view portal,
                                                  std::string_view statement,
                                                  std::size_t result_formats) {
  constexpr std::string_view msg = "Bind";
  if (has_nul(portal)) [[unlikely]]
    return nul_error(msg, "portal name", portal);
  if (has_nul(statement)) [[unlikely]]
    return nul_error(msg, "statement name", statement);
  if (result_formats > max_count_u16) [[unlikely]] {
    return count_error(msg, "result format codes", result_formats, max_count_u16);
  }
  return {};
}

template <ByteSink S>
[[nodiscard]] Result<void> target_message(S& sink, char type, Target target, std::string_view name,
                                          std::string_view msg) {
  if (has_nul(name)) [[unlikely]] {
    return nul_error(msg, target == Target::statement ? "statement name" : "portal name", name);
  }
  const std::size_t start = begin_message(sink, type);
  put_u8(sink, static_cast<std::uint8_t>(target));
  put_cstring(sink, name);
  return end_message(sink, start, msg);
}

// A type byte and Int32(4): Flush, Sync, Terminate, CopyDone.
template <ByteSink S>
void empty_message(S& sink, char type) {
  const char bytes[5] = {type, 0, 0, 0, 4};
  put_bytes(sink, bytes, sizeof bytes);
}

}  // namespace detail

namespace frontend {

// ---- start-up packets (no type byte) ----

// StartupMessage: version, then name/value pairs ("user" is required by servers), then a NUL.
template <ByteSink S>
[[nodiscard]] Result<void> startup_message(S& sink, SpanArg<StartupParam> params,
                                           std::int32_t version = protocol_3_0) {
  constexpr std::string_view msg = "StartupMessage";
  for (std::size_t i = 0; i < params.size(); ++i) {
    const StartupParam& p = params[i];
    // An empty name would end the list early: the server reads it as the terminator.
    if (p.name.empty() || detail::has_nul(p.name) || detail::has_nul(p.value)) [[unlikely]] {
      return detail::startup_param_error(i, p.name, p.value);
    }
  }
  const std::size_t start = detail::begin_untyped_message(sink);
  put_i32(sink, version);
  for (const StartupParam& p : params) {
    detail::put_cstring(sink, p.name);
    detail::put_cstring(sink, p.value);
  }
  put_u8(sink, 0);
  return detail::end_message(sink, start, msg, 0);
}

template <ByteSink S>
void ssl_request(S& sink) {
  const char bytes[8] = {0, 0, 0, 8, 0x04, static_cast<char>(0xd2), 0x16, 0x2f};
  static_assert(ssl_request_code == 0x04d2162f);
  put_bytes(sink, bytes, sizeof bytes);
}

template <ByteSink S>
void gssenc_request(S& sink) {
  const char bytes[8] = {0, 0, 0, 8, 0x04, static_cast<char>(0xd2), 0x16, 0x30};
  static_assert(gssenc_request_code == 0x04d21630);
  put_bytes(sink, bytes, sizeof bytes);
}

// CancelRequest, sent on a new connection. The key is the BackendKeyData secret as received:
// 4 bytes under protocol 3.0, up to 256 under 3.2.
template <ByteSink S>
[[nodiscard]] Result<void> cancel_request(S& sink, std::int32_t process_id, Bytes secret_key) {
  if (secret_key.empty() || secret_key.size() > max_cancel_key_length) [[unlikely]] {
    return detail::cancel_key_error(secret_key.size());
  }
  const std::size_t start = sink.size();
  put_i32(sink, static_cast<std::int32_t>(12 + secret_key.size()));
  put_i32(sink, cancel_request_code);
  put_i32(sink, process_id);
  put_bytes(sink, secret_key.data(), secret_key.size());
  detail::drop_if_overflowed(sink, start);
  return {};
}

// ---- authentication ('p' messages; which one the server expects follows from its request) ----

// PasswordMessage: a cleartext password, or "md5" + hex digest for MD5 authentication.
template <ByteSink S>
[[nodiscard]] Result<void> password_message(S& sink, std::string_view password) {
  if (detail::has_nul(password)) [[unlikely]] {
    return detail::nul_error("PasswordMessage", "the password", password);
  }
  const std::size_t start = detail::begin_message(sink, 'p');
  detail::put_cstring(sink, password);
  return detail::end_message(sink, start, "PasswordMessage");
}

// SASLInitialResponse: the chosen mechanism, then the initial response (length -1 when absent).
template <ByteSink S>
[[nodiscard]] Result<void> sasl_initial_response(S& sink, std::string_view mechanism,
                                                 std::optional<Bytes> data) {
  if (detail::has_nul(mechanism)) [[unlikely]] {
    return detail::nul_error("SASLInitialResponse", "the mechanism name", mechanism);
  }
  const std::size_t start = detail::begin_message(sink, 'p');
  detail::put_cstring(sink, mechanism);
  detail::put_encoded_value(sink, data);
  return detail::end_message(sink, start, "SASLInitialResponse");
}

template <ByteSink S>
[[nodiscard]] Result<void> sasl_initial_response(S& sink, std::string_view mechanism,
                                                 std::string_view data) {
  return sasl_initial_response(sink, mechanism, std::optional<Bytes>(bytes_of(data)));
}

// SASLResponse: mechanism-specific data (for SCRAM, the client-final-message).
template <ByteSink S>
[[nodiscard]] Result<void> sasl_response(S& sink, Bytes data) {
  return detail::raw_message(sink, 'p', data, "SASLResponse");
}
template <ByteSink S>
[[nodiscard]] Result<void> sasl_response(S& sink, std::string_view data) {
  return detail::raw_message(sink, 'p', bytes_of(data), "SASLResponse");
}

// GSSResponse: GSSAPI/SSPI token bytes.
template <ByteSink S>
[[nodiscard]] Result<void> gss_response(S& sink, Bytes data) {
  return detail::raw_message(sink, 'p', data, "GSSResponse");
}

// ---- simple query ----

template <ByteSink S>
[[nodiscard]] Result<void> query(S& sink, std::string_view sql) {
  if (detail::has_nul(sql)) [[unlikely]]
    return detail::nul_error("Query", "query text", sql);
  const std::size_t start = detail::begin_message(sink, 'Q');
  detail::put_cstring(sink, sql);
  return detail::end_message(sink, start, "Query");
}

// ---- extended query ----

// Parse: statement name ("" = unnamed), query text, and the types of some or all parameters
// (0 = let the server infer).
template <ByteSink S>
[[nodiscard]] Result<void> parse(S& sink, std::string_view statement, std::string_view sql,
                                 SpanArg<Oid> param_types = {}) {
  constexpr std::string_view msg = "Parse";
  if (detail::has_nul(statement)) [[unlikely]]
    return detail::nul_error(msg, "statement name", statement);
  if (detail::has_nul(sql)) [[unlikely]]
    return detail::nul_error(msg, "query text", sql);
  if (param_types.size() > max_count_u16) [[unlikely]] {
    return detail::count_error(msg, "parameter type oids", param_types.size(), max_count_u16);
  }
  const std::size_t start = detail::begin_message(sink, 'P');
  detail::put_cstring(sink, statement);
  detail::put_cstring(sink, sql);
  detail::put_u16(sink, param_types.size());
  for (Oid oid : param_types) put_be(sink, oid);
  return detail::end_message(sink, start, msg);
}

// Bind with typed values: each value's format and bytes come from its Bindable<T>. Result formats
// may be empty (all text), one (for every column) or one per column.
template <ByteSink S, BindableValue... T>
[[nodiscard]] Result<void> bind(S& sink, std::string_view portal, std::string_view statement,
                                SpanArg<Format> result_formats, const T&... values) {
  static_assert(sizeof...(T) <= max_count_u16, "Bind takes at most 65535 parameters");
  if (auto ok = detail::check_bind_head(portal, statement, result_formats.size()); !ok)
      [[unlikely]] {
    return ok;
  }
  const std::size_t start = detail::begin_message(sink, 'B');
  detail::put_cstring(sink, portal);
  detail::put_cstring(sink, statement);
  constexpr auto& formats = detail::typed_format_bytes<T...>;
  put_bytes(sink, formats.data(), formats.size());
  detail::put_u16(sink, sizeof...(T));
  (detail::put_typed_value(sink, values), ...);
  detail::put_formats(sink, result_formats.span());
  return detail::end_message(sink, start, "Bind");
}

// Bind with values the caller already encoded (e.g. text), std::nullopt for NULL. Parameter
// formats may be empty (all text), one (for all) or one per value.
template <ByteSink S>
[[nodiscard]] Result<void> bind_encoded(S& sink, std::string_view portal,
                                        std::string_view statement, SpanArg<Format> param_formats,
                                        SpanArg<EncodedValue> values,
                                        SpanArg<Format> result_formats = {}) {
  if (auto ok = detail::check_bind_head(portal, statement, result_formats.size()); !ok)
      [[unlikely]] {
    return ok;
  }
  if (auto ok =
          detail::check_encoded_params("Bind", "parameters", param_formats.span(), values.span());
      !ok) [[unlikely]] {
    return ok;
  }
  const std::size_t start = detail::begin_message(sink, 'B');
  detail::put_cstring(sink, portal);
  detail::put_cstring(sink, statement);
  detail::put_formats(sink, param_formats.span());
  detail::put_u16(sink, values.size());
  for (const EncodedValue& v : values) detail::put_encoded_value(sink, v);
  detail::put_formats(sink, result_formats.span());
  return detail::end_message(sink, start, "Bind");
}

// Execute: portal ("" = unnamed) and a row limit (0 = all rows).
template <ByteSink S>
[[nodiscard]] Result<void> execute(S& sink, std::string_view portal = {},
                                   std::int32_t max_rows = 0) {
  if (detail::has_nul(portal)) [[unlikely]]
    return detail::nul_error("Execute", "portal name", portal);
  const std::size_t start = detail::begin_message(sink, 'E');
  detail::put_cstring(sink, portal);
  put_i32(sink, max_rows);
  return detail::end_message(sink, start, "Execute");
}

template <ByteSink S>
[[nodiscard]] Result<void> describe(S& sink, Target target, std::string_view name = {}) {
  return detail::target_message(sink, 'D', target, name, "Describe");
}
template <ByteSink S>
[[nodiscard]] Result<void> describe_statement(S& sink, std::string_view name = {}) {
  return describe(sink, Target::statement, name);
}
template <ByteSink S>
[[nodiscard]] Result<void> describe_portal(S& sink, std::string_view name = {}) {
  return describe(sink, Target::portal, name);
}

template <ByteSink S>
[[nodiscard]] Result<void> close(S& sink, Target target, std::string_view name = {}) {
  return detail::target_message(sink, 'C', target, name, "Close");
}
template <ByteSink S>
[[nodiscard]] Result<void> close_statement(S& sink, std::string_view name = {}) {
  return close(sink, Target::statement, name);
}
template <ByteSink S>
[[nodiscard]] Result<void> close_portal(S& sink, std::string_view name = {}) {
  return close(sink, Target::portal, name);
}

// ---- fixed messages ----

template <ByteSink S>
void flush(S& sink) {
  detail::empty_message(sink, 'H');
}
template <ByteSink S>
void sync(S& sink) {
  detail::empty_message(sink, 'S');
}
template <ByteSink S>
void terminate(S& sink) {
  detail::empty_message(sink, 'X');
}
template <ByteSink S>
void copy_done(S& sink) {
  detail::empty_message(sink, 'c');
}

// ---- COPY FROM STDIN ----

// CopyData with bytes already at hand. To encode binary COPY tuples straight into CopyData
// messages, use CopyDataFrame (copy_binary.hpp).
template <ByteSink S>
[[nodiscard]] Result<void> copy_data(S& sink, Bytes data) {
  return detail::raw_message(sink, 'd', data, "CopyData");
}
template <ByteSink S>
[[nodiscard]] Result<void> copy_data(S& sink, std::string_view data) {
  return detail::raw_message(sink, 'd', bytes_of(data), "CopyData");
}

// CopyFail: abort the COPY with a reason the server reports back in its ErrorResponse.
template <ByteSink S>
[[nodiscard]] Result<void> copy_fail(S& sink, std::string_view reason) {
  if (detail::has_nul(reason)) [[unlikely]]
    return detail::nul_error("CopyFail", "the reason", reason);
  const std::size_t start = detail::begin_message(sink, 'f');
  detail::put_cstring(sink, reason);
  return detail::end_message(sink, start, "CopyFail");
}

// ---- fast-path function call (legacy, kept for completeness) ----

template <ByteSink S, BindableValue... T>
[[nodiscard]] Result<void> function_call(S& sink, Oid function, Format result_format,
                                         const T&... args) {
  static_assert(sizeof...(T) <= max_count_u16, "FunctionCall takes at most 65535 arguments");
  const std::size_t start = detail::begin_message(sink, 'F');
  put_be(sink, function);
  constexpr auto& formats = detail::typed_format_bytes<T...>;
  put_bytes(sink, formats.data(), formats.size());
  detail::put_u16(sink, sizeof...(T));
  (detail::put_typed_value(sink, args), ...);
  put_i16(sink, static_cast<std::int16_t>(result_format));
  return detail::end_message(sink, start, "FunctionCall");
}

template <ByteSink S>
[[nodiscard]] Result<void> function_call_encoded(S& sink, Oid function, SpanArg<Format> arg_formats,
                                                 SpanArg<EncodedValue> args, Format result_format) {
  if (auto ok = detail::check_encoded_params("FunctionCall", "arguments", arg_formats.span(),
                                             args.span());
      !ok) [[unlikely]] {
    return ok;
  }
  const std::size_t start = detail::begin_message(sink, 'F');
  put_be(sink, function);
  detail::put_formats(sink, arg_formats.span());
  detail::put_u16(sink, args.size());
  for (const EncodedValue& v : args) detail::put_encoded_value(sink, v);
  put_i16(sink, static_cast<std::int16_t>(result_format));
  return detail::end_message(sink, start, "FunctionCall");
}

}  // namespace frontend
}  // namespace pgstream::protocol
