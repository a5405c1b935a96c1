#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "pgstream/client/pgpass.hpp"

namespace pgstream::client {
namespace {

PgpassKey key(std::string host, std::string port, std::string db, std::string user) {
  return PgpassKey{std::move(host), std::move(port), std::move(db), std::move(user)};
}

TEST(PgpassLookup, MatchesFieldsWildcardsAndTakesTheFirstMatch) {
  const std::string file =
      "# hostname:port:database:username:password\n"
      "db1:5432:app:alice:first\n"
      "db1:5432:app:alice:second\n"
      "db1:*:*:bob:bobpw\n"
      "*:*:*:*:fallback\n";
  struct Case {
    PgpassKey key;
    const char* expected;
  };
  const Case cases[] = {
      {key("db1", "5432", "app", "alice"), "first"},
      {key("db1", "6543", "other", "bob"), "bobpw"},
      {key("db2", "5432", "app", "alice"), "fallback"},
      {key("db1", "5433", "app", "alice"), "fallback"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(lookup_pgpass(file, c.key), std::optional<std::string>(c.expected)) << c.key.host << " " << c.key.user;
  }
  EXPECT_FALSE(lookup_pgpass("db1:5432:app:alice:pw\n", key("db1", "5432", "app", "carol")).has_value());
  EXPECT_FALSE(lookup_pgpass("", key("db1", "5432", "app", "alice")).has_value());
}

TEST(PgpassLookup, BackslashEscapesColonsAndBackslashes) {
  const std::string file =
      "we\\:ird\\\\host:5432:d\\:b:us\\\\er:pa\\:ss\\\\word\n"
      "h:5432:db:u:tail:ignored after an unescaped colon\n";
  EXPECT_EQ(lookup_pgpass(file, key("we:ird\\host", "5432", "d:b", "us\\er")), "pa:ss\\word");
  EXPECT_EQ(lookup_pgpass(file, key("h", "5432", "db", "u")), "tail");
  // The escaped forms do not match the raw text.
  EXPECT_FALSE(lookup_pgpass(file, key("we\\:ird\\\\host", "5432", "d\\:b", "us\\\\er")).has_value());
}

TEST(PgpassLookup, OnlyABareStarIsAWildcard) {
  EXPECT_FALSE(lookup_pgpass("*db:5432:app:u:pw\n", key("mydb", "5432", "app", "u")).has_value());
  EXPECT_EQ(lookup_pgpass("*db:5432:app:u:pw\n", key("*db", "5432", "app", "u")), "pw");
  EXPECT_EQ(lookup_pgpass("\\*:5432:app:u:pw\n", key("*", "5432", "app", "u")), "pw");
  EXPECT_FALSE(lookup_pgpass("\\*:5432:app:u:pw\n", key("db", "5432", "app", "u")).has_value());
}

TEST(PgpassLookup, CommentsBlankLinesCrlfAndShortLines) {
  const std::string file =
      "\n"
      "#h:5432:db:u:commented\n"
      "h:5432:db:u\n"            // no password field: never matches
      "h:5432:db\r\n"
      "h:5432:db:u:crlf\r\n"
      "h:5432:db:u:later";
  EXPECT_EQ(lookup_pgpass(file, key("h", "5432", "db", "u")), "crlf");
  EXPECT_EQ(lookup_pgpass("h:5432:db:u:no-newline", key("h", "5432", "db", "u")), "no-newline");
  EXPECT_EQ(lookup_pgpass("h:5432:db:u:\n", key("h", "5432", "db", "u")), "");
  EXPECT_EQ(lookup_pgpass(" #h:5432:db:u:x\n", key(" #h", "5432", "db", "u")), "x");
}

TEST(PgpassKey, LocalhostStandsForTheDefaultSocketAndEmptyHost) {
  ConnInfo ci;
  ci.dbname = "app";
  ci.user = "alice";
  EXPECT_EQ(pgpass_key(ci, Endpoint{EndpointKind::unix_socket, "/var/run/postgresql", "", 5432}),
            key("localhost", "5432", "app", "alice"));
  EXPECT_EQ(pgpass_key(ci, Endpoint{EndpointKind::unix_socket, "/tmp", "", 5433}), key("/tmp", "5433", "app", "alice"));
  EXPECT_EQ(pgpass_key(ci, Endpoint{EndpointKind::tcp, "db.example", "192.0.2.1", 6000}),
            key("db.example", "6000", "app", "alice"));
  EXPECT_EQ(pgpass_key(ci, Endpoint{EndpointKind::tcp, "", "192.0.2.1", 6000}),
            key("192.0.2.1", "6000", "app", "alice"));
  EXPECT_EQ(pgpass_key(ci, Endpoint{EndpointKind::tcp, "localhost", "", 5432}),
            key("localhost", "5432", "app", "alice"));

  // So a "localhost" line serves both TCP localhost and the default socket, as in libpq.
  const std::string file = "localhost:5432:app:alice:local\n";
  FixedEnvironment env;
  env.user = "alice";
  auto resolved = resolve(*parse_conninfo("dbname=app"), env);
  ASSERT_TRUE(resolved.has_value());
  auto eps = make_endpoints(*resolved);
  ASSERT_TRUE(eps.has_value());
  EXPECT_EQ(lookup_pgpass(file, pgpass_key(*resolved, (*eps)[0])), "local");
}

class PgpassFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pgstream-pgpass-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content, mode_t mode) {
    std::string path = (dir_ / name).string();
    {
      std::ofstream out(path, std::ios::binary);
      out << content;
    }
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(PgpassFileTest, PrivateFileIsRead) {
  for (mode_t mode : {0600, 0400, 0700}) {
    std::string path = write("pgpass", "h:5432:db:u:pw\n", mode);
    PgpassFile f = read_pgpass_file(path);
    EXPECT_TRUE(f.usable) << std::oct << mode;
    EXPECT_EQ(f.content, "h:5432:db:u:pw\n");
    EXPECT_EQ(f.warning, "");
  }
}

TEST_F(PgpassFileTest, GroupOrWorldAccessIgnoresTheFileWithAWarning) {
  for (mode_t mode : {0640, 0604, 0660, 0644, 0601, 0610, 0620}) {
    std::string path = write("pgpass", "h:5432:db:u:pw\n", mode);
    PgpassFile f = read_pgpass_file(path);
    EXPECT_FALSE(f.usable) << std::oct << mode;
    EXPECT_EQ(f.content, "");
    EXPECT_EQ(f.warning, "password file \"" + path +
                             "\" has group or world access; ignoring it (permissions should be u=rw (0600) or less)")
        << std::oct << mode;
  }
}

TEST_F(PgpassFileTest, MissingFileIsSilentAndNonRegularFileWarns) {
  PgpassFile missing = read_pgpass_file((dir_ / "nope").string());
  EXPECT_FALSE(missing.usable);
  EXPECT_EQ(missing.warning, "");
  PgpassFile under_missing_dir = read_pgpass_file((dir_ / "nope" / "pgpass").string());
  EXPECT_FALSE(under_missing_dir.usable);
  EXPECT_EQ(under_missing_dir.warning, "");

  std::filesystem::create_directory(dir_ / "adir");
  ::chmod((dir_ / "adir").c_str(), 0700);
  PgpassFile dir = read_pgpass_file((dir_ / "adir").string());
  EXPECT_FALSE(dir.usable);
  EXPECT_EQ(dir.warning, "password file \"" + (dir_ / "adir").string() + "\" is not a plain file; ignoring it");

  std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  PgpassFile from_fifo = read_pgpass_file(fifo);  // must not block
  EXPECT_FALSE(from_fifo.usable);
  EXPECT_EQ(from_fifo.warning, "password file \"" + fifo + "\" is not a plain file; ignoring it");
}

TEST_F(PgpassFileTest, ChoosePasswordPrefersTheGivenOneAndReadsTheFileOnlyWithout) {
  std::string good = write("good", "*:*:*:alice:from-file\n", 0600);
  std::string loose = write("loose", "*:*:*:alice:from-loose-file\n", 0644);
  Endpoint ep{EndpointKind::tcp, "db", "", 5432};
  ConnInfo ci;
  ci.user = "alice";
  ci.dbname = "app";

  ci.passfile = loose;
  ci.password = "given";
  PasswordChoice given = choose_password(ci, ep);
  EXPECT_EQ(given.password, "given");
  EXPECT_FALSE(given.from_pgpass);
  EXPECT_EQ(given.warning, "");  // the file was not even looked at

  ci.password = "";  // empty counts as not given, as libpq
  PasswordChoice from_loose = choose_password(ci, ep);
  EXPECT_FALSE(from_loose.password.has_value());
  EXPECT_NE(from_loose.warning.find("group or world access"), std::string::npos);

  ci.password.reset();
  ci.passfile = good;
  PasswordChoice from_file = choose_password(ci, ep);
  EXPECT_EQ(from_file.password, "from-file");
  EXPECT_TRUE(from_file.from_pgpass);
  EXPECT_EQ(from_file.warning, "");

  ci.user = "bob";
  PasswordChoice no_match = choose_password(ci, ep);
  EXPECT_FALSE(no_match.password.has_value());
  EXPECT_FALSE(no_match.from_pgpass);

  ci.passfile.reset();
  EXPECT_FALSE(choose_password(ci, ep).password.has_value());
}

TEST_F(PgpassFileTest, PgpassfileFromTheEnvironmentChoosesPerEndpoint) {
  std::string path = write("pgpass",
                           "primary:5432:app:alice:primary-pw\n"
                           "standby:5433:app:alice:standby-pw\n",
                           0600);
  FixedEnvironment env;
  env.user = "alice";
  env.home = "/nonexistent-home";
  env.vars = {{"PGPASSFILE", path}};
  auto resolved = resolve(*parse_conninfo("postgresql://primary:5432,standby:5433/app"), env);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().message();
  auto eps = make_endpoints(*resolved);
  ASSERT_TRUE(eps.has_value());
  ASSERT_EQ(eps->size(), 2u);
  EXPECT_EQ(choose_password(*resolved, (*eps)[0]).password, "primary-pw");
  EXPECT_EQ(choose_password(*resolved, (*eps)[1]).password, "standby-pw");
}

}  // namespace
}  // namespace pgstream::client
