#pragma once
// The libpq password file (~/.pgpass, PGPASSFILE, passfile=): lines of
// `hostname:port:database:username:password`, '*' matching anything in the first four fields,
// '\' escaping ':' and '\', '#' starting a comment line; the first matching line wins.
// Matching is pure (lookup_pgpass); reading the file, with libpq's permission rule, is separate.

#include <optional>
#include <string>
#include <string_view>

#include "pgstream/client/conninfo.hpp"

namespace pgstream::client {

// What a password file line is matched against.
struct PgpassKey {
  std::string host;  // "localhost" for the default Unix socket, as libpq
  std::string port;
  std::string dbname;
  std::string user;
  friend bool operator==(const PgpassKey&, const PgpassKey&) = default;
};

// The password of the first line of `content` matching `key`, unescaped. Never fails: lines
// that do not parse simply do not match.
[[nodiscard]] std::optional<std::string> lookup_pgpass(std::string_view content, const PgpassKey& key);

// The key libpq uses for one endpoint: the host name (or hostaddr when no name was given),
// with an empty host or the default socket directory written as "localhost".
[[nodiscard]] PgpassKey pgpass_key(const ConnInfo& resolved, const Endpoint& endpoint);

struct PgpassFile {
  bool usable = false;   // the file exists, is a regular file, and is private to its owner
  std::string content;   // empty unless usable
  std::string warning;   // why an existing file was ignored, for the caller to print; else empty
};

// Reads the password file at `path`. A missing file is not an error (usable = false, no
// warning). As libpq, a file that is not a regular file, or that its group or others may
// access (mode & 077), is ignored with a warning.
[[nodiscard]] PgpassFile read_pgpass_file(const std::string& path);

struct PasswordChoice {
  std::optional<std::string> password;  // nullopt: none given and none in the file
  bool from_pgpass = false;
  std::string warning;                  // from read_pgpass_file, for the caller to print
};

// The password to use for `endpoint`: the given one (password= or PGPASSWORD) when non-empty,
// else the password file's (resolved.passfile) entry; the file is only read in that case.
[[nodiscard]] PasswordChoice choose_password(const ConnInfo& resolved, const Endpoint& endpoint);

}  // namespace pgstream::client
