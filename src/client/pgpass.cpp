#include "pgstream/client/pgpass.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pgstream::client {
namespace {

// Matches one field at the start of `line` against `value`, advancing past the field and its
// terminating ':'. "*:" matches anything; otherwise '\' escapes the next character.
bool match_field(std::string_view& line, std::string_view value) {
  if (line.starts_with("*:")) {
    line.remove_prefix(2);
    return true;
  }
  std::size_t v = 0;
  std::size_t i = 0;
  while (i < line.size() && line[i] != ':') {
    if (line[i] == '\\' && i + 1 < line.size()) ++i;
    if (v == value.size() || line[i] != value[v]) return false;
    ++i;
    ++v;
  }
  if (i == line.size() || v != value.size()) return false;  // no ':' after the field, or too short
  line.remove_prefix(i + 1);
  return true;
}

// The password field: unescaped, ending at an unescaped ':' or the end of the line.
std::string unescape_password(std::string_view rest) {
  std::string out;
  for (std::size_t i = 0; i < rest.size() && rest[i] != ':'; ++i) {
    if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
    out += rest[i];
  }
  return out;
}

class ScopedFd {
 public:
  explicit ScopedFd(int fd) noexcept : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::optional<std::string> lookup_pgpass(std::string_view content, const PgpassKey& key) {
  while (!content.empty()) {
    std::size_t nl = content.find('\n');
    std::string_view line = content.substr(0, nl);
    content = nl == std::string_view::npos ? std::string_view{} : content.substr(nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (match_field(line, key.host) && match_field(line, key.port) && match_field(line, key.dbname) &&
        match_field(line, key.user)) {
      return unescape_password(line);
    }
  }
  return std::nullopt;
}

PgpassKey pgpass_key(const ConnInfo& resolved, const Endpoint& endpoint) {
  PgpassKey key;
  key.host = endpoint.host.empty() ? endpoint.hostaddr : endpoint.host;
  if (key.host.empty() || key.host == kDefaultSocketDir) key.host = "localhost";
  key.port = std::to_string(endpoint.port);
  key.dbname = resolved.dbname.value_or("");
  key.user = resolved.user.value_or("");
  return key;
}

PgpassFile read_pgpass_file(const std::string& path) {
  PgpassFile out;
  if (path.empty()) return out;
  // open then fstat, so the checks apply to the file actually read.
  // O_NONBLOCK: a FIFO at that path must not hang us; it is rejected below.
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    int err = errno;
    if (err != ENOENT && err != ENOTDIR) {
      out.warning = "could not open password file \"" + path + "\": " + std::strerror(err);
    }
    return out;
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) {
    out.warning = "could not stat password file \"" + path + "\": " + std::strerror(errno);
    return out;
  }
  if (!S_ISREG(st.st_mode)) {
    out.warning = "password file \"" + path + "\" is not a plain file; ignoring it";
    return out;
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    out.warning = "password file \"" + path +
                  "\" has group or world access; ignoring it (permissions should be u=rw (0600) or less)";
    return out;
  }
  std::string content;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.warning = "could not read password file \"" + path + "\": " + std::strerror(errno);
      return out;
    }
    if (n == 0) break;
    content.append(buf, static_cast<std::size_t>(n));
  }
  out.usable = true;
  out.content = std::move(content);
  return out;
}

PasswordChoice choose_password(const ConnInfo& resolved, const Endpoint& endpoint) {
  PasswordChoice out;
  if (resolved.password && !resolved.password->empty()) {
    out.password = resolved.password;
    return out;
  }
  if (!resolved.passfile) return out;
  PgpassFile file = read_pgpass_file(*resolved.passfile);
  out.warning = std::move(file.warning);
  if (!file.usable) return out;
  out.password = lookup_pgpass(file.content, pgpass_key(resolved, endpoint));
  out.from_pgpass = out.password.has_value();
  return out;
}

}  // namespace pgstream::client
