#pragma once
// The scratch server the integration tests share: read from the file scratch-postgres writes
// (PGSTREAM_TEST_SERVER_FILE, set by CTest). Without it, tests skip with the reason.

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

namespace pgstream::testing {

struct TestServer {
  std::map<std::string, std::string> vars;  // PGSTREAM_TEST_* from server.env

  [[nodiscard]] const std::string& get(const std::string& key) const;
  [[nodiscard]] std::string host() const { return get("PGSTREAM_TEST_HOST"); }
  [[nodiscard]] int port() const { return std::stoi(get("PGSTREAM_TEST_PORT")); }
  [[nodiscard]] std::string socket_dir() const { return get("PGSTREAM_TEST_SOCKET_DIR"); }
  [[nodiscard]] std::string admin_user() const { return get("PGSTREAM_TEST_ADMIN_USER"); }
  [[nodiscard]] std::string ssl_root_cert() const { return get("PGSTREAM_TEST_SSLROOTCERT"); }

  // The server, or nullopt when the suite runs without one (the caller skips).
  static const std::optional<TestServer>& instance();
};

// A blocking TCP connection to host:port, or -1 with errno set.
[[nodiscard]] int connect_tcp(const std::string& host, int port);
// A blocking Unix-socket connection to DIR/.s.PGSQL.PORT, or -1 with errno set.
[[nodiscard]] int connect_unix(const std::string& dir, int port);

}  // namespace pgstream::testing

// Skips the current test when no scratch server is configured.
#define PGSTREAM_REQUIRE_SERVER()                                                               \
  do {                                                                                           \
    if (!::pgstream::testing::TestServer::instance())                                            \
      GTEST_SKIP() << "no test server: run through ctest (PGSTREAM_TEST_SERVER_FILE is not set)"; \
  } while (0)
