#pragma once
// The response to AuthenticationMD5Password.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "pgstream/result.hpp"

namespace pgstream::auth {

// "md5" + hex(md5(hex(md5(password + user)) + salt)), 35 characters, lowercase hex: what the
// PasswordMessage carries (without its terminating NUL). `user` is the role name sent in the
// StartupMessage. Fails (ErrorCategory::auth) only if wolfCrypt's MD5 does, e.g. on a FIPS build.
[[nodiscard]] Result<std::string> md5_password_response(std::string_view user, std::string_view password,
                                                        std::span<const std::byte, 4> salt);

}  // namespace pgstream::auth
