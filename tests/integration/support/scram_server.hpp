#pragma once
// The server side of SCRAM-SHA-256 (RFC 5802/7677) for the fake server: it checks the client's
// proof for real and signs its answer, so a test can make exactly one thing wrong (the signature).
// ASCII passwords only (SASLprep leaves them unchanged).

#include <optional>
#include <string>
#include <string_view>

namespace pgstream::testing {

class ScramServer {
 public:
  ScramServer(std::string password, std::string salt, int iterations, std::string server_nonce)
      : password_(std::move(password)), salt_(std::move(salt)), iterations_(iterations),
        server_nonce_(std::move(server_nonce)) {}

  // Takes the SASLInitialResponse data ("n,,n=,r=<nonce>"); returns the server-first-message, or
  // nullopt when the message is malformed or asks for channel binding.
  [[nodiscard]] std::optional<std::string> server_first(std::string_view client_first);
  // Takes the client-final-message; returns "v=<signature>" when the proof is right, else nullopt.
  [[nodiscard]] std::optional<std::string> server_final(std::string_view client_final);

 private:
  std::string password_, salt_;
  int iterations_;
  std::string server_nonce_;
  std::string client_first_bare_, server_first_;
};

}  // namespace pgstream::testing
