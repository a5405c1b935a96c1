#pragma once
// The one error type of the library, and Result<T> = std::expected<T, Error>.
// Errors are rare, so they may allocate; success paths never touch this type's heap.

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace pgstream {

enum class ErrorCategory : std::uint8_t {
  protocol,     // the peer sent bytes that break the protocol (malformed or oversized frame)
  io,           // a socket or file operation failed
  tls,          // TLS handshake or record failure
  auth,         // authentication failed or a required auth method is not possible
  server,       // the server answered with an ErrorResponse (see Error::server())
  config,       // a bad connection string, option or argument
  timeout,      // a deadline passed
  cancelled,    // the caller cancelled
  unsupported,  // a feature the peer asked for that we do not implement
  encode,       // a value cannot be encoded (too many parameters, NUL in a C string, ...)
  decode,       // a value cannot be decoded into the requested type
};

[[nodiscard]] constexpr std::string_view to_string(ErrorCategory c) noexcept {
  switch (c) {
    case ErrorCategory::protocol: return "protocol";
    case ErrorCategory::io: return "io";
    case ErrorCategory::tls: return "tls";
    case ErrorCategory::auth: return "auth";
    case ErrorCategory::server: return "server";
    case ErrorCategory::config: return "config";
    case ErrorCategory::timeout: return "timeout";
    case ErrorCategory::cancelled: return "cancelled";
    case ErrorCategory::unsupported: return "unsupported";
    case ErrorCategory::encode: return "encode";
    case ErrorCategory::decode: return "decode";
  }
  return "unknown";
}

// Owned copy of the fields of a server ErrorResponse / NoticeResponse, kept beyond the frame's
// lifetime on purpose. Empty strings mean "the server did not send this field".
struct ServerErrorFields {
  std::string severity;       // 'V' (non-localized) when sent, else 'S'
  std::string sqlstate;       // 'C'
  std::string message;        // 'M'
  std::string detail;         // 'D'
  std::string hint;           // 'H'
  std::string position;       // 'P'
  std::string internal_position;  // 'p'
  std::string internal_query;     // 'q'
  std::string where;          // 'W'
  std::string schema;         // 's'
  std::string table;          // 't'
  std::string column;         // 'c'
  std::string data_type;      // 'd'
  std::string constraint;     // 'n'
  std::string file;           // 'F'
  std::string line;           // 'L'
  std::string routine;        // 'R'
};

class Error {
 public:
  Error(ErrorCategory category, std::string message)
      : category_(category), message_(std::move(message)) {}
  Error(ServerErrorFields fields)  // NOLINT(google-explicit-constructor): a server error is an Error
      : category_(ErrorCategory::server),
        message_(fields.message),
        server_(std::make_shared<const ServerErrorFields>(std::move(fields))) {}

  [[nodiscard]] ErrorCategory category() const noexcept { return category_; }
  // One line a user can act on; for server errors the server's primary message.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  // Non-null only for ErrorCategory::server.
  [[nodiscard]] const ServerErrorFields* server() const noexcept { return server_.get(); }
  [[nodiscard]] std::string_view sqlstate() const noexcept {
    return server_ ? std::string_view(server_->sqlstate) : std::string_view{};
  }
  // "category: message" or, for server errors, "SEVERITY SQLSTATE: message".
  [[nodiscard]] std::string to_string() const;

 private:
  ErrorCategory category_;
  std::string message_;
  std::shared_ptr<const ServerErrorFields> server_;  // shared: Error stays cheap to copy
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> make_error(ErrorCategory category, std::string message) {
  return std::unexpected<Error>(std::in_place, category, std::move(message));
}

}  // namespace pgstream
