#pragma once
// Start-up and authentication as a sans-I/O state machine: it writes the StartupMessage, then
// reads backend frames and writes the answers (passwords, SASL messages, GSS tokens) until the
// first ReadyForQuery. The blocking PgConnection and the io_uring reactor both drive it, so every
// auth path exists once. TLS is settled before (see ssl_negotiation.hpp): the machine only needs
// the server certificate, for SCRAM-SHA-256-PLUS channel binding.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pgstream/client/conninfo.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {
struct Frame;
}

namespace pgstream::client {

// Produces GSSAPI (or SSPI) tokens: the library frames them, the caller's mechanism makes them.
class GssTokenProvider {
 public:
  virtual ~GssTokenProvider() = default;
  // The first token, for AuthenticationGSS / AuthenticationSSPI.
  [[nodiscard]] virtual Result<std::vector<std::byte>> initial_token() = 0;
  // The answer to the server's AuthenticationGSSContinue data; empty = nothing to send.
  [[nodiscard]] virtual Result<std::vector<std::byte>> next_token(std::span<const std::byte> server_data) = 0;
};

// Supplies a bearer token for OAUTHBEARER (RFC 7628), e.g. from a device flow the caller ran.
using OAuthTokenProvider = std::function<Result<std::string>()>;

struct StartupOptions {
  std::string user;
  std::string database;
  std::string application_name;
  std::string options;  // the "options" start-up parameter (command-line switches for the backend)
  std::vector<std::pair<std::string, std::string>> parameters;  // any further start-up parameter
  std::optional<std::string> password;                          // secret: never logged
  RequireAuth require_auth{true, 0};                            // negated empty list: anything goes
  ChannelBinding channel_binding = ChannelBinding::prefer;
  ProtocolVersion min_protocol = kProtocol30;
  ProtocolVersion max_protocol = kProtocol30;
  OAuthTokenProvider oauth_token;
  std::shared_ptr<GssTokenProvider> gss;
};

// How the server authenticated us.
enum class AuthOutcome : std::uint8_t { trust, cleartext, md5, scram_sha_256, scram_sha_256_plus, oauth, gss, sspi };
[[nodiscard]] std::string_view to_string(AuthOutcome) noexcept;

// What start-up learned about the session.
struct SessionInfo {
  std::map<std::string, std::string, std::less<>> parameters;  // ParameterStatus (server_version, TimeZone, ...)
  std::int32_t backend_pid = 0;
  std::vector<std::byte> cancel_key;  // 4 bytes in 3.0, up to 256 in 3.2
  ProtocolVersion protocol = kProtocol30;
  std::vector<std::string> unsupported_options;  // from NegotiateProtocolVersion
  AuthOutcome auth = AuthOutcome::trust;
  // NoticeResponse during start-up, in order: the first kMaxStartupNotices of them, so a server
  // that floods notices cannot grow our memory; the rest are only counted.
  static constexpr std::size_t kMaxStartupNotices = 100;
  // ParameterStatus names kept in `parameters`: a server reports a fixed few (about 20), so past
  // this many a new name is ignored (known ones still update) and a flood cannot grow our memory.
  static constexpr std::size_t kMaxParameters = 1024;
  std::vector<ServerErrorFields> notices;
  std::size_t notices_dropped = 0;
  char transaction_status = 'I';
};

// Records one ParameterStatus in `s` (the value of a known name always; a new name only while
// fewer than SessionInfo::kMaxParameters are kept).
void set_parameter(SessionInfo& s, std::string_view name, std::string_view value);

class StartupMachine {
 public:
  enum class Status : std::uint8_t { in_progress, ready };

  // tls_server_certificate: the server's DER certificate when the session is encrypted, else empty.
  StartupMachine(StartupOptions options, std::vector<std::byte> tls_server_certificate);
  StartupMachine(StartupMachine&&) noexcept;
  StartupMachine& operator=(StartupMachine&&) noexcept;
  ~StartupMachine();

  // Writes the StartupMessage.
  [[nodiscard]] Result<void> start(std::string& out);
  // Feeds one backend frame; appends whatever must be sent next to `out`. `ready` after the
  // first ReadyForQuery. Errors: the server's ErrorResponse (with its SQLSTATE), an auth method
  // that is forbidden or missing, a bad server SCRAM signature, a malformed frame.
  [[nodiscard]] Result<Status> on_frame(const protocol::Frame& frame, std::string& out);

  [[nodiscard]] const SessionInfo& session() const noexcept;
  [[nodiscard]] SessionInfo take_session() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgstream::client
