#include "pgstream/client/peer_credentials.hpp"

#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace pgstream::client {

Result<std::string> peer_user_name(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred)
    return make_error(ErrorCategory::io, std::string("could not get peer credentials: ") + std::strerror(errno));
  // getpwuid_r, not getpwuid: connections may be opened from several threads at once.
  long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(hint > 0 ? static_cast<std::size_t>(hint) : 4096);
  passwd pw{};
  passwd* found = nullptr;
  int rc;
  while ((rc = ::getpwuid_r(cred.uid, &pw, buf.data(), buf.size(), &found)) == ERANGE && buf.size() < (1u << 20))
    buf.resize(buf.size() * 2);
  if (rc != 0)
    return make_error(ErrorCategory::io, "could not look up local user ID " + std::to_string(cred.uid) + ": " +
                                             std::strerror(rc));
  if (!found)
    return make_error(ErrorCategory::auth, "local user with ID " + std::to_string(cred.uid) + " does not exist");
  return std::string(found->pw_name);
}

Result<void> check_requirepeer(int fd, std::string_view required) {
  auto name = peer_user_name(fd);
  if (!name) return std::unexpected(name.error());
  if (*name != required)
    return make_error(ErrorCategory::auth, "requirepeer specifies \"" + std::string(required) +
                                               "\", but actual peer user name is \"" + *name + "\"");
  return {};
}

}  // namespace pgstream::client
