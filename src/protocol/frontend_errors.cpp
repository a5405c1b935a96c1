#include <cstring>
#include <string>

#include "pgstream/protocol/copy_binary.hpp"
#include "pgstream/protocol/frontend_frame.hpp"

namespace pgstream::protocol::detail {

std::unexpected<Error> nul_error(std::string_view message, std::string_view field,
                                 std::string_view text) {
  const void* at = std::memchr(text.data(), 0, text.size());
  const std::size_t offset = static_cast<std::size_t>(static_cast<const char*>(at) - text.data());
  std::string out;
  out.append(message).append(": ").append(field).append(" contains a NUL byte at offset ");
  out.append(std::to_string(offset));
  return make_error(ErrorCategory::encode, std::move(out));
}

std::unexpected<Error> count_error(std::string_view message, std::string_view what,
                                   std::size_t count, std::size_t limit) {
  std::string out;
  out.append(message).append(": ").append(std::to_string(count)).append(" ").append(what);
  out.append(", more than the protocol's limit of ").append(std::to_string(limit));
  return make_error(ErrorCategory::encode, std::move(out));
}

std::unexpected<Error> format_count_error(std::string_view message, std::size_t formats,
                                          std::size_t values) {
  std::string out;
  out.append(message).append(": ").append(std::to_string(formats)).append(" format codes for ");
  out.append(std::to_string(values));
  out.append(" values; give none (all text), one (for all) or exactly one per value");
  return make_error(ErrorCategory::encode, std::move(out));
}

std::unexpected<Error> length_error(std::string_view message, std::size_t length) {
  std::string out;
  out.append(message).append(": message would be ").append(std::to_string(length));
  out.append(" bytes long, more than the protocol's limit of ");
  out.append(std::to_string(max_message_length)).append(" bytes");
  return make_error(ErrorCategory::encode, std::move(out));
}

std::unexpected<Error> encode_error(std::string message) {
  return make_error(ErrorCategory::encode, std::move(message));
}

std::unexpected<Error> startup_param_error(std::size_t index, std::string_view name,
                                           std::string_view value) {
  const std::string which = "parameter " + std::to_string(index + 1);
  if (name.empty()) {
    return make_error(ErrorCategory::encode, "StartupMessage: " + which + " has an empty name");
  }
  if (std::memchr(name.data(), 0, name.size()) != nullptr) {
    return nul_error("StartupMessage", which + " name", name);
  }
  return nul_error("StartupMessage", which + " (" + std::string(name) + ") value", value);
}

std::unexpected<Error> cancel_key_error(std::size_t key_length) {
  return make_error(ErrorCategory::encode,
                    "CancelRequest: the secret key is " + std::to_string(key_length) +
                        " bytes; it must be 1 to 256 bytes, exactly as received in BackendKeyData");
}

std::unexpected<Error> copy_field_too_long_error() {
  return make_error(ErrorCategory::encode,
                    "COPY tuple: a field is longer than the protocol's limit of " +
                        std::to_string(max_message_length) + " bytes");
}

std::unexpected<Error> copy_tuple_exceeds_buffer_error(std::size_t capacity) {
  return make_error(ErrorCategory::encode,
                    "COPY tuple: does not fit even in an empty " + std::to_string(capacity) +
                        "-byte send buffer; use a larger buffer for rows this wide");
}

std::unexpected<Error> copy_tuple_exceeds_message_error(std::size_t tuple_size) {
  return make_error(ErrorCategory::encode,
                    "COPY tuple: " + std::to_string(tuple_size) +
                        " bytes does not fit in one CopyData message (limit " +
                        std::to_string(max_message_length - 4) + " bytes)");
}

}  // namespace pgstream::protocol::detail
