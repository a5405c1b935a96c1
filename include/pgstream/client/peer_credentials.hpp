#pragma once
// libpq's requirepeer: on a Unix-domain socket, the operating-system user running the server
// must be the one named, so a local user cannot impersonate the server with a socket of its own.

#include <string>
#include <string_view>

#include "pgstream/result.hpp"

namespace pgstream::client {

// The name of the user at the other end of the connected Unix-domain socket `fd`
// (SO_PEERCRED, then the password database).
[[nodiscard]] Result<std::string> peer_user_name(int fd);

// Fails (ErrorCategory::auth, libpq's message) unless peer_user_name(fd) is `required`.
[[nodiscard]] Result<void> check_requirepeer(int fd, std::string_view required);

}  // namespace pgstream::client
