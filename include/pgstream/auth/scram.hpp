#pragma once
// SCRAM-SHA-256 and SCRAM-SHA-256-PLUS client (RFC 5802, RFC 7677), sans-I/O: the caller moves
// the messages between this object and the AuthenticationSASL* / SASL*Response frames.
//
//   auto scram = ScramClient::create({.password = pw, .server_offers_plus = ..., ...});
//   send SASLInitialResponse(scram->mechanism(), scram->client_first_message());
//   on AuthenticationSASLContinue(data): send SASLResponse(*scram->handle_server_first(data));
//   on AuthenticationSASLFinal(data):    scram->handle_server_final(data) must succeed;
//   on AuthenticationOk: accept only if scram->complete() (a server that skips SASLFinal has
//   not proven it knows the password).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/result.hpp"

namespace pgstream::auth {

enum class ChannelBindingMode : std::uint8_t {
  none,                  // no TLS, or channel binding disabled: gs2 header "n,,"
  supported_not_offered, // TLS, but the server did not offer SCRAM-SHA-256-PLUS: "y,," (a server
                         // that does support it takes this for a downgrade and refuses)
  tls_server_end_point,  // RFC 5929 binding to the server certificate (see channel_binding.hpp)
};

struct ScramConfig {
  // The password as the user typed it; SASLprep is applied inside, with libpq's fallback to
  // the raw bytes (see scram_password in saslprep.hpp).
  std::string_view password;
  ChannelBindingMode channel_binding = ChannelBindingMode::none;
  // For tls_server_end_point: tls_server_end_point_hash() of the server's certificate.
  std::span<const std::byte> binding_data = {};
  // The server listed SCRAM-SHA-256-PLUS in AuthenticationSASL. With channel binding
  // supported but not offered the client says so ("y,,"), which lets the server detect a
  // man-in-the-middle that stripped the -PLUS mechanism.
  bool server_offers_plus = false;
  // Sent as n=; Postgres ignores it and uses the StartupMessage user, so libpq sends it empty.
  std::string_view username = {};
  // Tests only: a fixed client nonce (printable ASCII except ','). Empty: 24 random bytes from
  // wolfCrypt's RNG, base64-encoded.
  std::string_view client_nonce = {};
};

class ScramClient {
 public:
  static constexpr std::uint32_t k_max_iterations = 10'000'000;  // beyond: a DoS, not security

  // Errors: config (binding data missing for tls_server_end_point, bad test nonce) or auth (the
  // RNG failed).
  [[nodiscard]] static Result<ScramClient> create(const ScramConfig& config);

  ScramClient(ScramClient&&) noexcept;
  ScramClient& operator=(ScramClient&&) noexcept;
  ScramClient(const ScramClient&) = delete;
  ScramClient& operator=(const ScramClient&) = delete;
  ~ScramClient();  // wipes everything derived from the password

  // "SCRAM-SHA-256-PLUS" when binding to the channel, else "SCRAM-SHA-256".
  [[nodiscard]] std::string_view mechanism() const noexcept;
  // gs2 header + client-first-message-bare, e.g. "n,,n=,r=<nonce>".
  [[nodiscard]] const std::string& client_first_message() const noexcept { return client_first_; }

  // Takes the server-first-message (the AuthenticationSASLContinue payload) and returns the
  // client-final-message "c=...,r=...,p=...". Errors (auth): malformed message, mandatory
  // extension (m=), nonce not extending ours, bad salt, iteration count outside
  // [1, k_max_iterations], or a call out of order.
  [[nodiscard]] Result<std::string> handle_server_first(std::string_view server_first);

  // Takes the server-final-message (the AuthenticationSASLFinal payload): "v=<signature>" must
  // match what the password predicts (compared in constant time); "e=<error>" is the server's
  // refusal. Errors are ErrorCategory::auth.
  [[nodiscard]] Result<void> handle_server_final(std::string_view server_final);

  // True once the server's signature has been verified.
  [[nodiscard]] bool complete() const noexcept { return state_ == State::complete; }

 private:
  enum class State : std::uint8_t { awaiting_server_first, awaiting_server_final, complete, failed };
  ScramClient() = default;
  void wipe() noexcept;

  State state_ = State::awaiting_server_first;
  bool plus_ = false;
  std::string password_;        // after SASLprep
  std::string gs2_header_;
  std::vector<std::byte> binding_data_;
  std::string client_nonce_;
  std::string client_first_;    // gs2 header + bare
  std::array<std::byte, 32> expected_server_signature_{};
};

}  // namespace pgstream::auth
