#include <gtest/gtest.h>

#include "pgstream/client/conninfo.hpp"

namespace pgstream::client {
namespace {

struct UriCase {
  const char* uri;
  const char* redacted;      // expected to_string_redacted()
  const char* password;      // expected password, or nullptr for none
};

void expect_parses(const UriCase& c) {
  auto r = parse_conninfo(c.uri);
  ASSERT_TRUE(r.has_value()) << c.uri << " -> " << r.error().message();
  EXPECT_EQ(r->to_string_redacted(), c.redacted) << c.uri;
  if (c.password == nullptr) {
    EXPECT_FALSE(r->password.has_value()) << c.uri;
  } else {
    EXPECT_EQ(r->password, std::optional<std::string>(c.password)) << c.uri;
  }
}

// Every example of the "Connection URIs" section of the libpq documentation (PostgreSQL 18).
TEST(ConninfoUri, EveryExampleFromTheLibpqDocs) {
  const UriCase cases[] = {
      {"postgresql://", "", nullptr},
      {"postgresql://localhost", "host=localhost", nullptr},
      {"postgresql://localhost:5433", "host=localhost port=5433", nullptr},
      {"postgresql://localhost/mydb", "host=localhost dbname=mydb", nullptr},
      {"postgresql://user@localhost", "host=localhost user=user", nullptr},
      {"postgresql://user:secret@localhost", "host=localhost user=user password=********", "secret"},
      {"postgresql://other@localhost/otherdb?connect_timeout=10&application_name=myapp",
       "host=localhost dbname=otherdb user=other connect_timeout=10 application_name=myapp", nullptr},
      {"postgresql://host1:123,host2:456/somedb?target_session_attrs=any&application_name=myapp",
       "host=host1,host2 port=123,456 dbname=somedb application_name=myapp target_session_attrs=any", nullptr},
      {"postgresql:///mydb?host=localhost&port=5433", "host=localhost port=5433 dbname=mydb", nullptr},
      {"postgresql://user@localhost:5433/mydb?options=-c%20synchronous_commit%3Doff",
       "host=localhost port=5433 dbname=mydb user=user options='-c synchronous_commit=off'", nullptr},
      {"postgresql://[2001:db8::1234]/database", "host=2001:db8::1234 dbname=database", nullptr},
      {"postgresql:///dbname?host=/var/lib/postgresql", "host=/var/lib/postgresql dbname=dbname", nullptr},
      {"postgresql://%2Fvar%2Flib%2Fpostgresql/dbname", "host=/var/lib/postgresql dbname=dbname", nullptr},
      {"postgresql://host1:5432,host2:5433,host3:5434/", "host=host1,host2,host3 port=5432,5433,5434", nullptr},
  };
  for (const auto& c : cases) expect_parses(c);
}

// The valid cases of libpq's own URI regression test, as our keyword/value rendering.
TEST(ConninfoUri, AgreesWithLibpqsUriRegressionCases) {
  const UriCase cases[] = {
      {"postgresql://uri-user:secret@host:12345/db", "host=host port=12345 dbname=db user=uri-user password=********",
       "secret"},
      {"postgresql://uri-user@host:12345/db", "host=host port=12345 dbname=db user=uri-user", nullptr},
      {"postgresql://uri-user@host/db", "host=host dbname=db user=uri-user", nullptr},
      {"postgresql://host:12345/db", "host=host port=12345 dbname=db", nullptr},
      {"postgresql://uri-user@host:12345/", "host=host port=12345 user=uri-user", nullptr},
      {"postgresql://uri-user@", "user=uri-user", nullptr},
      {"postgresql://host:12345", "host=host port=12345", nullptr},
      {"postgresql://host/", "host=host", nullptr},
      {"postgresql://?hostaddr=127.0.0.1", "hostaddr=127.0.0.1", nullptr},
      {"postgresql://example.com?hostaddr=63.1.2.4", "host=example.com hostaddr=63.1.2.4", nullptr},
      {"postgresql://%68ost/", "host=host", nullptr},
      {"postgresql://host/db?user=uri-user&port=12345", "host=host port=12345 dbname=db user=uri-user", nullptr},
      {"postgresql://host/db?u%73er=someotheruser&port=12345", "host=host port=12345 dbname=db user=someotheruser",
       nullptr},
      {"postgresql://host:12345?user=uri-user", "host=host port=12345 user=uri-user", nullptr},
      {"postgresql://host?", "host=host", nullptr},
      {"postgresql://[::1]:12345/db", "host=::1 port=12345 dbname=db", nullptr},
      {"postgresql://[::1]/db", "host=::1 dbname=db", nullptr},
      {"postgresql://[200z:db8::1234]/", "host=200z:db8::1234", nullptr},
      {"postgresql://[::1]", "host=::1", nullptr},
      {"postgres://", "", nullptr},
      {"postgres:///", "", nullptr},
      {"postgres:///db", "dbname=db", nullptr},
      {"postgres://uri-user@/db", "dbname=db user=uri-user", nullptr},
      {"postgres://?host=/path/to/socket/dir", "host=/path/to/socket/dir", nullptr},
      {"postgres://@host", "host=host", nullptr},
      {"postgres://host:/", "host=host", nullptr},
      {"postgres://:12345/", "port=12345", nullptr},
      {"postgres://otheruser@?host=/no/such/directory", "host=/no/such/directory user=otheruser", nullptr},
      {"postgres://otheruser@/?host=/no/such/directory", "host=/no/such/directory user=otheruser", nullptr},
      {"postgres://otheruser@:12345?host=/no/such/socket/path", "host=/no/such/socket/path port=12345 user=otheruser",
       nullptr},
      {"postgres://otheruser@:12345/db?host=/path/to/socket",
       "host=/path/to/socket port=12345 dbname=db user=otheruser", nullptr},
      {"postgres://:12345/db?host=/path/to/socket", "host=/path/to/socket port=12345 dbname=db", nullptr},
      {"postgresql://host?sslmode=disable", "host=host sslmode=disable", nullptr},
  };
  for (const auto& c : cases) expect_parses(c);
}

TEST(ConninfoUri, PercentDecodingHostListsAndQueryParameters) {
  const UriCase cases[] = {
      {"postgresql://u%40corp:p%40ss%3Aw%2Frd@host/my%20db", "host=host dbname='my db' user=u@corp password=********",
       "p@ss:w/rd"},
      // An unencoded '@' or ':' or '?' in the password still works: the last '@' ends the user info.
      {"postgresql://u:p@ss:w@host/db", "host=host dbname=db user=u password=********", "p@ss:w"},
      {"postgresql://u:pa?ss@host/db", "host=host dbname=db user=u password=********", "pa?ss"},
      {"postgresql://user@host?application_name=a@b", "host=host user=user application_name=a@b", nullptr},
      {"postgresql://u:@host", "host=host user=u", nullptr},
      {"postgresql://h1,h2:5433,[::1]/db", "host=h1,h2,::1 port=,5433, dbname=db", nullptr},
      {"postgresql://[::1]:5432,[fe80::1%25eth0]:5433", "host=::1,fe80::1%eth0 port=5432,5433", nullptr},
      {"postgresql://,host2", "host=,host2", nullptr},
      {"postgresql://host?ssl=true", "host=host sslmode=require", nullptr},
      {"postgresql://host?&sslmode=verify-full&&sslrootcert=%2Fetc%2Fca.pem&",
       "host=host sslmode=verify-full sslrootcert=/etc/ca.pem", nullptr},
      {"postgresql://host?password=a%26b%3Dc", "host=host password=********", "a&b=c"},
      {"postgres://host?host=other", "host=other", nullptr},
      {"postgresql://host?require_auth=%21md5,%21password&load_balance_hosts=random",
       "host=host require_auth=!password,!md5 load_balance_hosts=random", nullptr},
      {"postgresql://h?application_name=caf%C3%A9", "host=h application_name=caf\xc3\xa9", nullptr},
  };
  for (const auto& c : cases) expect_parses(c);
}

struct UriErrorCase {
  const char* uri;
  ErrorCategory category;
  const char* message;
};

TEST(ConninfoUri, MalformedUrisGiveOneLineErrors) {
  const UriErrorCase cases[] = {
      {"postgresql://host/db?u%7aer=someotheruser", ErrorCategory::config,
       "unknown connection option \"uzer\" in URI query"},
      {"postgresql://host?uzer=", ErrorCategory::config, "unknown connection option \"uzer\" in URI query"},
      {"postgresql://host?ssl=false", ErrorCategory::config, "unknown connection option \"ssl\" in URI query"},
      {"postgres://[::1", ErrorCategory::config, "missing \"]\" after IPv6 address in URI"},
      {"postgres://[]", ErrorCategory::config, "empty IPv6 address \"[]\" in URI"},
      // A fuzz finding: the brackets swallowed "?password=..." and it came back as the host name.
      {"postgres://[::1^:5432,db2mydb?password=SECRETxyz&1]:,,,,var/xout=5", ErrorCategory::config,
       "invalid IPv6 address in URI: only hex digits, ':', '.' and a %zone may stand inside \"[]\""},
      {"postgres://[::1]z", ErrorCategory::config,
       "unexpected character \"z\" after IPv6 address in URI (expected \":\", \"/\", \"?\" or \",\")"},
      {"postgresql://host?zzz", ErrorCategory::config, "missing \"=\" in URI query parameter \"zzz\""},
      {"postgresql://host?value1&value2", ErrorCategory::config, "missing \"=\" in URI query parameter \"value1\""},
      {"postgresql://host?key=key=value", ErrorCategory::config,
       "extra \"=\" in URI query parameter \"key\" (percent-encode \"=\" in values as %3D)"},
      {"postgres://host?dbname=%XXfoo", ErrorCategory::config,
       "invalid percent-encoding \"%XX\" in the value of URI query parameter \"dbname\" (write \"%\" as %25)"},
      {"postgresql://a%00b", ErrorCategory::config, "percent-encoded NUL (%00) is not allowed in the URI host list"},
      {"postgresql://%zz", ErrorCategory::config, "invalid percent-encoding \"%zz\" in the URI host list (write \"%\" as %25)"},
      {"postgresql://%1", ErrorCategory::config, "invalid percent-encoding \"%1\" in the URI host list (write \"%\" as %25)"},
      {"postgresql://%", ErrorCategory::config, "invalid percent-encoding \"%\" in the URI host list (write \"%\" as %25)"},
      {"postgresql://host/d%g", ErrorCategory::config,
       "invalid percent-encoding \"%g\" in the URI database name (write \"%\" as %25)"},
      {"postgresql://us%er@host", ErrorCategory::config,
       "invalid percent-encoding \"%er\" in the URI user name (write \"%\" as %25)"},
      {"postgresql://host?%zz=1", ErrorCategory::config,
       "invalid percent-encoding \"%zz\" in a URI query parameter name (write \"%\" as %25)"},
      {"postgresql://host:abc/db", ErrorCategory::config,
       "invalid port number \"abc\" in \"port\" (expected an integer from 1 to 65535)"},
      {"postgresql://h1:5432,h2:99999", ErrorCategory::config,
       "invalid port number \"99999\" in \"port\" (expected an integer from 1 to 65535)"},
      {"postgresql://host?sslmode=bogus", ErrorCategory::config,
       "invalid value \"bogus\" for \"sslmode\" (expected disable, allow, prefer, require, verify-ca or verify-full)"},
      {"postgresql://host?target_session_attrs=replica", ErrorCategory::config,
       "invalid value \"replica\" for \"target_session_attrs\" (expected any, read-write, read-only, primary, "
       "standby or prefer-standby)"},
      {"postgresql://host?service=x", ErrorCategory::unsupported,
       "connection option \"service\" is not supported by pgstream (pg_service.conf is not read; give the "
       "connection parameters directly)"},
  };
  for (const auto& c : cases) {
    auto r = parse_conninfo(c.uri);
    ASSERT_FALSE(r.has_value()) << c.uri;
    EXPECT_EQ(r.error().category(), c.category) << c.uri;
    EXPECT_EQ(r.error().message(), c.message) << c.uri;
  }
}

TEST(ConninfoUri, SchemeIsCaseSensitiveAsInLibpq) {
  auto r = parse_conninfo("POSTGRESQL://host");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "missing \"=\" after \"POSTGRESQL://host\" in connection string");
}

TEST(ConninfoUri, UriAndKeywordValueFormsGiveTheSameConnInfo) {
  auto uri = parse_conninfo(
      "postgresql://alice:pw@db1:5432,db2:5433/app?sslmode=verify-full&application_name=loader"
      "&target_session_attrs=read-write&connect_timeout=5");
  auto kv = parse_conninfo(
      "host=db1,db2 port=5432,5433 dbname=app user=alice password=pw sslmode=verify-full "
      "application_name=loader target_session_attrs=read-write connect_timeout=5");
  ASSERT_TRUE(uri.has_value());
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(*uri, *kv);
}

}  // namespace
}  // namespace pgstream::client
