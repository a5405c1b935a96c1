#pragma once
// The connection flags every subcommand shares (-d, -h, -p, -U, -W), as psql spells them.

#include <CLI/CLI.hpp>

#include <string>

#include "pgstream/client/pg_connection.hpp"

namespace pgstream::cli {

struct ConnectFlags {
  std::string dsn;
  std::string host;
  std::string port;
  std::string user;
  bool prompt_password = false;

  void add_to(CLI::App& app);
  // The builder for these flags: the DSN (default: PG* variables, as psql), then -h/-p/-U over it.
  // Throws std::runtime_error with a one-line message (never containing the password).
  [[nodiscard]] client::ConnectionBuilder builder() const;
};

// Opens the connection or throws std::runtime_error naming the server and the reason.
[[nodiscard]] client::PgConnection connect_or_throw(const ConnectFlags& flags);

}  // namespace pgstream::cli
