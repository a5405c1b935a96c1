// SCRAM-SHA-256-PLUS against a real PostgreSQL whose certificate is signed with RSASSA-PSS over
// SHA-384 (tests/integration/certs/rsa_pss_sha384): the tls-server-end-point hash then comes from
// the signature parameters, and only a binding equal to the server's own lets us in.

#include <gtest/gtest.h>

#include <string>

#include "pgstream/client/pg_connection.hpp"
#include "support/test_server.hpp"

namespace pgstream::client {
namespace {

const std::optional<testing::TestServer>& pss_server() {
  static const std::optional<testing::TestServer> server =
      testing::TestServer::from_environment("PGSTREAM_TEST_PSS_SERVER_FILE");
  return server;
}

std::string dsn(const std::string& extra) {
  const auto& s = *pss_server();
  return "host=127.0.0.1 port=" + std::to_string(s.port()) + " dbname=postgres user=" +
         s.get("PGSTREAM_TEST_SSL_USER") + " password='" + s.get("PGSTREAM_TEST_SSL_PASSWORD") +
         "' sslrootcert=" + s.ssl_root_cert() + " " + extra;
}

#define REQUIRE_PSS_SERVER()                                                                   \
  do {                                                                                         \
    if (!pss_server())                                                                         \
      GTEST_SKIP() << "no RSASSA-PSS test server: run through ctest (PGSTREAM_TEST_PSS_SERVER_FILE is not set)"; \
  } while (0)

TEST(ChannelBindingServerCertificate, RsaPssSha384BindsWithPlusAndTheServerAgrees) {
  REQUIRE_PSS_SERVER();
  auto conn = PgConnection::connect(dsn("sslmode=verify-full channel_binding=require"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->session().auth, AuthOutcome::scram_sha_256_plus);
  auto r = conn->simple_query("SELECT 1");
  EXPECT_TRUE(r) << r.error().to_string();
}

TEST(ChannelBindingServerCertificate, RsaPssSha384WithPreferStillBinds) {
  REQUIRE_PSS_SERVER();
  auto conn = PgConnection::connect(dsn("sslmode=require channel_binding=prefer"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  EXPECT_EQ(conn->session().auth, AuthOutcome::scram_sha_256_plus);
}

}  // namespace
}  // namespace pgstream::client
