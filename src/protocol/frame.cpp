#include "pgstream/protocol/frame.hpp"

#include <cstdio>
#include <string>

namespace pgstream::protocol {

namespace {

// "0x7a ('z')", or "0x01" for a byte that does not print.
std::string describe_byte(char c) {
  char buf[16];
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) {
    std::snprintf(buf, sizeof buf, "0x%02x ('%c')", u, c);
  } else {
    std::snprintf(buf, sizeof buf, "0x%02x", u);
  }
  return buf;
}

std::string describe_type(char type) {
  std::string_view name = backend_message_name(type);
  if (name.empty()) return "type byte " + describe_byte(type);
  return std::string(name) + " (" + describe_byte(type) + ")";
}

}  // namespace

std::string_view backend_message_name(char type) noexcept {
  switch (static_cast<BackendType>(type)) {
    case BackendType::authentication: return "Authentication";
    case BackendType::backend_key_data: return "BackendKeyData";
    case BackendType::bind_complete: return "BindComplete";
    case BackendType::close_complete: return "CloseComplete";
    case BackendType::command_complete: return "CommandComplete";
    case BackendType::copy_data: return "CopyData";
    case BackendType::copy_done: return "CopyDone";
    case BackendType::copy_in_response: return "CopyInResponse";
    case BackendType::copy_out_response: return "CopyOutResponse";
    case BackendType::copy_both_response: return "CopyBothResponse";
    case BackendType::data_row: return "DataRow";
    case BackendType::empty_query_response: return "EmptyQueryResponse";
    case BackendType::error_response: return "ErrorResponse";
    case BackendType::function_call_response: return "FunctionCallResponse";
    case BackendType::negotiate_protocol_version: return "NegotiateProtocolVersion";
    case BackendType::no_data: return "NoData";
    case BackendType::notice_response: return "NoticeResponse";
    case BackendType::notification_response: return "NotificationResponse";
    case BackendType::parameter_description: return "ParameterDescription";
    case BackendType::parameter_status: return "ParameterStatus";
    case BackendType::parse_complete: return "ParseComplete";
    case BackendType::portal_suspended: return "PortalSuspended";
    case BackendType::ready_for_query: return "ReadyForQuery";
    case BackendType::row_description: return "RowDescription";
  }
  return {};
}

Error FrameResult::to_error() const {
  switch (error) {
    case FrameError::unknown_type:
      return Error(ErrorCategory::protocol,
                   "server sent a message with unknown " + describe_type(frame.type) +
                       "; the connection is out of sync and must be closed");
    case FrameError::length_too_small:
      return Error(ErrorCategory::protocol,
                   "server sent a " + describe_type(frame.type) + " message with invalid length " +
                       std::to_string(frame.length) +
                       " (at least 4); the connection is out of sync and must be closed");
    case FrameError::length_too_large:
      return Error(ErrorCategory::protocol,
                   "server sent a " + describe_type(frame.type) + " message of length " +
                       std::to_string(static_cast<std::uint32_t>(frame.length)) +
                       ", above the limit of " + std::to_string(limit) +
                       " bytes for this message type (raise FrameLimits if this is legitimate)");
    case FrameError::none: break;
  }
  return Error(ErrorCategory::protocol, "internal error: FrameResult::to_error() called without an error");
}

EncryptionAnswer decode_encryption_answer(EncryptionRequest request, std::span<const std::byte> in,
                                          const FrameLimits& limits) noexcept {
  EncryptionAnswer a;
  if (in.empty()) {
    a.needed = 1;
    return a;
  }
  a.byte = static_cast<char>(in[0]);
  const char accept = request == EncryptionRequest::ssl ? 'S' : 'G';
  if (a.byte == accept || a.byte == 'N') {
    a.status = in.size() == 1 ? (a.byte == 'N' ? EncryptionAnswerStatus::rejected
                                               : EncryptionAnswerStatus::accepted)
                              : EncryptionAnswerStatus::invalid;
    a.consumed = a.status == EncryptionAnswerStatus::invalid ? 0 : 1;
    return a;
  }
  if (a.byte != 'E') {
    a.status = EncryptionAnswerStatus::invalid;
    return a;
  }
  a.frame_result = next_frame(in, limits);
  switch (a.frame_result.status) {
    case FrameStatus::need_more:
      a.needed = a.frame_result.needed;
      break;
    case FrameStatus::error:
      a.status = EncryptionAnswerStatus::invalid;
      break;
    case FrameStatus::complete:
      a.status = EncryptionAnswerStatus::server_error;
      a.error_frame = a.frame_result.frame;
      a.consumed = a.error_frame.size();
      break;
  }
  return a;
}

Error EncryptionAnswer::to_error(EncryptionRequest request) const {
  const char* what = request == EncryptionRequest::ssl ? "SSLRequest" : "GSSENCRequest";
  if (status != EncryptionAnswerStatus::invalid) {
    return Error(ErrorCategory::protocol, "internal error: EncryptionAnswer::to_error() called without an error");
  }
  if (byte == 'E') return frame_result.to_error();
  const char accept = request == EncryptionRequest::ssl ? 'S' : 'G';
  if (byte == accept || byte == 'N') {
    return Error(byte == 'N' ? ErrorCategory::protocol : ErrorCategory::tls,
                 std::string("server sent unexpected bytes right after its answer to ") + what +
                     "; refusing them as possibly injected by a man in the middle (CVE-2021-23222)");
  }
  return Error(ErrorCategory::protocol, std::string("server answered ") + what + " with " +
                                            describe_byte(byte) +
                                            " instead of 'N' or '" + accept + "'; is this a PostgreSQL server?");
}

}  // namespace pgstream::protocol
