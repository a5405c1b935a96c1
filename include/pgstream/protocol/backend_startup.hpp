#pragma once
// Messages of the start-up phase: Authentication ('R'), BackendKeyData ('K'), ParameterStatus
// ('S', also sent later when a reported setting changes) and NegotiateProtocolVersion ('v').

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "pgstream/protocol/backend_detail.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

// The Int32 request code at the start of every Authentication message.
enum class AuthRequest : std::int32_t {
  ok = 0,
  cleartext_password = 3,
  md5_password = 5,
  gss = 7,
  gss_continue = 8,
  sspi = 9,
  sasl = 10,
  sasl_continue = 11,
  sasl_final = 12,
};

// The protocol's name for an Authentication request code and the code, for error messages:
// "AuthenticationKerberosV5 (2)", "AuthenticationSCMCredential (6)"; a code the protocol does not
// define is named by its number alone ("authentication request code 99").
[[nodiscard]] std::string auth_request_name(std::int32_t code);

class Authentication {
 public:
  // Checks the body's shape for the request code. KerberosV5 (2) and SCMCredential (6), which
  // current servers never send, and unknown codes are ErrorCategory::unsupported errors.
  [[nodiscard]] static Result<Authentication> parse(const Frame& frame);

  [[nodiscard]] AuthRequest request() const noexcept { return request_; }
  // md5_password: the 4-byte salt.
  [[nodiscard]] std::span<const std::byte, 4> md5_salt() const noexcept {
    return std::span<const std::byte, 4>(data_.data(), 4);
  }
  // gss_continue, sasl_continue, sasl_final: the mechanism's data (may be empty); else empty.
  [[nodiscard]] std::span<const std::byte> data() const noexcept { return data_; }
  [[nodiscard]] std::string_view data_text() const noexcept { return detail::chars(data_.data(), data_.size()); }
  // sasl: the offered mechanism names in the server's order of preference; else empty.
  [[nodiscard]] detail::CStringRange sasl_mechanisms() const noexcept {
    return request_ == AuthRequest::sasl ? detail::CStringRange(data_.data(), data_.data() + data_.size())
                                         : detail::CStringRange();
  }
  [[nodiscard]] bool offers_mechanism(std::string_view name) const noexcept {
    for (std::string_view m : sasl_mechanisms()) {
      if (m == name) return true;
    }
    return false;
  }

 private:
  AuthRequest request_ = AuthRequest::ok;
  // md5: the salt; sasl: the names without the list's final empty name; continue/final: data.
  std::span<const std::byte> data_;
};

// The cancellation key. Protocol 3.0 keys are 4 bytes; 3.2 allows 4 to 256.
class BackendKeyData {
 public:
  static constexpr std::size_t min_key_size = 4;
  static constexpr std::size_t max_key_size = 256;

  [[nodiscard]] static Result<BackendKeyData> parse(const Frame& frame);
  [[nodiscard]] std::int32_t process_id() const noexcept { return pid_; }
  [[nodiscard]] std::span<const std::byte> secret_key() const noexcept { return key_; }

 private:
  std::int32_t pid_ = 0;
  std::span<const std::byte> key_;
};

class ParameterStatus {
 public:
  [[nodiscard]] static Result<ParameterStatus> parse(const Frame& frame);
  [[nodiscard]] std::string_view name() const noexcept { return name_; }
  [[nodiscard]] std::string_view value() const noexcept { return value_; }

 private:
  std::string_view name_;
  std::string_view value_;
};

// The server speaks an older minor version than requested, or ignored some `_pq_.` options.
class NegotiateProtocolVersion {
 public:
  [[nodiscard]] static Result<NegotiateProtocolVersion> parse(const Frame& frame);
  // The newest version the server supports for the requested major version, encoded like the
  // StartupMessage's: (major << 16) | minor, e.g. 196608 for 3.0.
  [[nodiscard]] std::int32_t newest_version() const noexcept { return version_; }
  [[nodiscard]] int newest_major() const noexcept { return static_cast<int>(static_cast<std::uint32_t>(version_) >> 16); }
  [[nodiscard]] int newest_minor() const noexcept { return static_cast<int>(version_ & 0xffff); }
  [[nodiscard]] std::size_t unrecognized_count() const noexcept { return count_; }
  // The protocol options (names starting `_pq_.`) the server did not recognise.
  [[nodiscard]] detail::CStringRange unrecognized_options() const noexcept { return options_; }

 private:
  std::int32_t version_ = 0;
  std::size_t count_ = 0;
  detail::CStringRange options_;
};

}  // namespace pgstream::protocol
