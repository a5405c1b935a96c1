#pragma once
// Standard base64 (RFC 4648 section 4, with '=' padding, no line breaks), as SCRAM uses it.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/result.hpp"

namespace pgstream::auth {

[[nodiscard]] std::string base64_encode(std::span<const std::byte> data);
[[nodiscard]] inline std::string base64_encode(std::string_view data) {
  return base64_encode(std::as_bytes(std::span<const char>(data.data(), data.size())));
}

// Strict: the length must be a multiple of 4, padding only at the end, no whitespace, and no
// characters outside the alphabet. A SCRAM peer sending anything else is broken or hostile.
// Errors are ErrorCategory::protocol.
[[nodiscard]] Result<std::vector<std::byte>> base64_decode(std::string_view text);

}  // namespace pgstream::auth
