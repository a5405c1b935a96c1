// requirepeer over the scratch server's Unix socket, as libpq: the operating-system user running
// the server (SO_PEERCRED) must be the one named, else the connection fails before any byte is
// sent; over TCP the setting does not apply.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/client/peer_credentials.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

using client::PgConnection;

// Who owns the server's socket file: the user running the server.
std::string socket_owner(const TestServer& s) {
  struct stat st{};
  const std::string path = s.socket_dir() + "/.s.PGSQL." + std::to_string(s.port());
  if (::stat(path.c_str(), &st) != 0) return {};
  const passwd* pw = ::getpwuid(st.st_uid);
  return pw ? pw->pw_name : "";
}

std::string unix_dsn(const TestServer& s, const std::string& extra) {
  return "host=" + s.socket_dir() + " port=" + std::to_string(s.port()) + " dbname=postgres user=" +
         s.get("PGSTREAM_TEST_TRUST_USER") + " connect_timeout=10 " + extra;
}

TEST(RequirePeer, ServerUserConnects) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& s = *TestServer::instance();
  const std::string owner = socket_owner(s);
  ASSERT_FALSE(owner.empty()) << "cannot find the server's socket";
  if (owner != "postgres") GTEST_SKIP() << "the scratch server runs as " << owner << ", not postgres";
  auto conn = PgConnection::connect(unix_dsn(s, "requirepeer=postgres"));
  ASSERT_TRUE(conn) << conn.error().to_string();
  auto r = conn->simple_query("SELECT current_user");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->rows.at(0).at(0), s.get("PGSTREAM_TEST_TRUST_USER"));
}

TEST(RequirePeer, OtherUserIsRefused) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& s = *TestServer::instance();
  const std::string owner = socket_owner(s);
  ASSERT_FALSE(owner.empty()) << "cannot find the server's socket";
  ASSERT_NE(owner, "nobody");
  auto conn = PgConnection::connect(unix_dsn(s, "requirepeer=nobody"));
  ASSERT_FALSE(conn) << "connected although the server does not run as nobody";
  EXPECT_EQ(conn.error().category(), ErrorCategory::auth) << conn.error().to_string();
  EXPECT_EQ(conn.error().message(),
            "requirepeer specifies \"nobody\", but actual peer user name is \"" + owner + "\"");
}

TEST(RequirePeer, PeerUserNameMatchesTheSocketOwner) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& s = *TestServer::instance();
  const int fd = connect_unix(s.socket_dir(), s.port());
  ASSERT_GE(fd, 0);
  auto name = client::peer_user_name(fd);
  ::close(fd);
  ASSERT_TRUE(name) << name.error().to_string();
  EXPECT_EQ(*name, socket_owner(s));
}

TEST(RequirePeer, DoesNotApplyOverTcp) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& s = *TestServer::instance();
  auto conn = PgConnection::connect("host=127.0.0.1 port=" + std::to_string(s.port()) + " dbname=postgres user=" +
                                    s.get("PGSTREAM_TEST_TRUST_USER") + " sslmode=disable requirepeer=nobody");
  EXPECT_TRUE(conn) << conn.error().to_string();
}

}  // namespace
}  // namespace pgstream::testing
