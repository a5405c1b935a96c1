#pragma once
// The scratch servers the integration tests share: read from the files scratch-postgres writes
// (PGSTREAM_TEST_SERVER_FILE, and PGSTREAM_TEST_NOSSL_SERVER_FILE for the one with ssl = off; set
// by CTest). Without them, tests skip with the reason.

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
  // The second scratch server, started with ssl = off (PGSTREAM_TEST_NOSSL_SERVER_FILE).
  static const std::optional<TestServer>& nossl_instance();
  // Reads the server file named by the environment variable `var`; nullopt when it is unset.
  static std::optional<TestServer> from_environment(const char* var);
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

// Skips the current test when the scratch server with ssl = off is not configured.
#define PGSTREAM_REQUIRE_NOSSL_SERVER()                                                          \
  do {                                                                                           \
    if (!::pgstream::testing::TestServer::nossl_instance())                                      \
      GTEST_SKIP() << "no ssl-off test server: run through ctest (PGSTREAM_TEST_NOSSL_SERVER_FILE is not set)"; \
  } while (0)
