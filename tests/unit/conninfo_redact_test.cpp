#include <gtest/gtest.h>

#include "pgstream/client/conninfo.hpp"

namespace pgstream::client {
namespace {

TEST(ConninfoRedact, PasswordsAreStarredAndValuesQuotedWhenNeeded) {
  auto ci = parse_conninfo(
      "host=h password=Zq9secret sslpassword=Kp4key dbname='my db' options='-c a=\\'b\\'' "
      "application_name='back\\\\slash' user=''");
  ASSERT_TRUE(ci.has_value()) << ci.error().message();
  std::string s = ci->to_string_redacted();
  EXPECT_EQ(s,
            "host=h dbname='my db' user='' password=******** options='-c a=\\'b\\'' "
            "application_name='back\\\\slash' sslpassword=********");
  EXPECT_EQ(s.find("Zq9secret"), std::string::npos);
  EXPECT_EQ(s.find("Kp4key"), std::string::npos);
}

TEST(ConninfoRedact, UriPasswordIsRedactedToo) {
  auto ci = parse_conninfo("postgresql://alice:Zq9secret@db:5433/app?sslmode=require");
  ASSERT_TRUE(ci.has_value());
  EXPECT_EQ(ci->to_string_redacted(), "host=db port=5433 dbname=app user=alice password=******** sslmode=require");
}

TEST(ConninfoRedact, RedactedStringParsesBackToTheSameConnInfoButThePasswords) {
  const char* everything =
      "host=h1,,/tmp hostaddr=10.0.0.1,,::1 port=5432,,6000 dbname='d b' user=u password=p passfile=/pf "
      "require_auth=!md5,!password channel_binding=require connect_timeout=10 client_encoding=UTF8 "
      "options='-c x=y' application_name=app fallback_application_name=fb keepalives=0 keepalives_idle=1 "
      "keepalives_interval=2 keepalives_count=3 tcp_user_timeout=4 gssencmode=prefer sslmode=verify-ca "
      "sslnegotiation=direct sslcompression=0 sslcert=/c sslkey=/k sslpassword=sp sslcertmode=require "
      "sslrootcert=/r sslcrl=/crl sslcrldir=/crld sslsni=0 requirepeer=pg ssl_min_protocol_version=TLSv1.2 "
      "ssl_max_protocol_version=TLSv1.3 min_protocol_version=3.0 max_protocol_version=latest krbsrvname=k "
      "gsslib=gssapi target_session_attrs=prefer-standby load_balance_hosts=random";
  auto original = parse_conninfo(everything);
  ASSERT_TRUE(original.has_value()) << original.error().message();
  auto reparsed = parse_conninfo(original->to_string_redacted());
  ASSERT_TRUE(reparsed.has_value()) << reparsed.error().message();
  EXPECT_EQ(reparsed->password, "********");
  EXPECT_EQ(reparsed->sslpassword, "********");
  ConnInfo expected = *original;
  expected.password = "********";
  expected.sslpassword = "********";
  EXPECT_EQ(*reparsed, expected);
}

TEST(ConninfoRedact, ResolvedEnvironmentPasswordIsRedacted) {
  FixedEnvironment env;
  env.user = "alice";
  env.vars = {{"PGPASSWORD", "Zq9secret"}};
  auto ci = resolve(ConnInfo{}, env);
  ASSERT_TRUE(ci.has_value());
  EXPECT_EQ(ci->password, "Zq9secret");
  std::string s = ci->to_string_redacted();
  EXPECT_NE(s.find("password=********"), std::string::npos);
  EXPECT_EQ(s.find("Zq9secret"), std::string::npos);
}

// Every one of these is malformed and contains a password made of the fragments "Zq9" and
// "Xk7" (split where a careless string splits it); no error may show either fragment.
TEST(ConninfoRedact, PasswordNeverAppearsInAnyErrorMessage) {
  const char* cases[] = {
      "password='Zq9Xk7",
      "host=h password='Zq9 Xk7",
      "password=Zq9 Xk7",
      "password=Zq9 Xk7=1",
      "password=Zq9 Xk7='unterminated",
      "password=Zq9 host",
      "password=Zq9 port=Xk7",
      "postgresql://host?password=Zq9&port=Xk7",
      "sslpassword='Zq9Xk7",
      "sslpassword=Zq9 Xk7",
      "host=h password=Zq9Xk7 port=bad",
      "host=h password=Zq9Xk7 sslmode=bogus",
      "password=Zq9Xk7 foo=bar",
      "postgresql://u:Zq9%zzXk7@host/db",
      "postgresql://u:Zq9%00Xk7@host/db",
      "postgresql://u:Zq9/Xk7@host/db",
      "postgresql://u:Zq9Xk7@[::1",
      "postgresql://u:Zq9Xk7@[::1]z",
      "postgresql://u:Zq9Xk7@host:bad/db",
      "postgresql://u:Zq9Xk7@host/db?sslmode=bogus",
      "postgresql://u:Zq9Xk7@host/db?foo=bar",
      "postgresql://host?password=Zq9%zzXk7",
      "postgresql://host?password=Zq9%00Xk7",
      "postgresql://host?password=Zq9&Xk7",
      "postgresql://host?password=Zq9&Xk7=1",
      "postgresql://host?password=Zq9&Xk7%zz=1",
      "postgresql://host?password=Zq9=Xk7",
      "postgresql://host?sslpassword=Zq9=Xk7",
      "postgresql://host?oauth_client_secret=Zq9Xk7",
      "scram_client_key=Zq9Xk7",
  };
  for (const char* c : cases) {
    auto r = parse_conninfo(c);
    ASSERT_FALSE(r.has_value()) << c;
    const std::string& m = r.error().message();
    EXPECT_EQ(m.find("Zq9"), std::string::npos) << c << " -> " << m;
    EXPECT_EQ(m.find("Xk7"), std::string::npos) << c << " -> " << m;
    EXPECT_EQ(r.error().to_string().find("Xk7"), std::string::npos) << c;
  }
}

TEST(ConninfoRedact, TextAfterAnUnquotedPasswordGetsAnActionableMessage) {
  auto r = parse_conninfo("password=Zq9 Xk7");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(),
            "missing \"=\" after the text after the value of \"password\" (quote values that contain spaces: "
            "password='...') in connection string");
  auto unknown = parse_conninfo("password=Zq9 Xk7=1");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().message(),
            "unknown connection option the text after the value of \"password\" (quote values that contain spaces: "
            "password='...')");
  auto uri = parse_conninfo("postgresql://host?password=Zq9&Xk7");
  ASSERT_FALSE(uri.has_value());
  EXPECT_EQ(uri.error().message(),
            "missing \"=\" in URI query parameter the parameter after \"password\" (percent-encode \"&\" in values as "
            "%26)");
  auto slash = parse_conninfo("postgresql://u:Zq9/Xk7@host/db");
  ASSERT_FALSE(slash.has_value());
  EXPECT_EQ(slash.error().message(), "unencoded \"/\" in the URI user name or password (percent-encode it as %2F)");
  auto port = parse_conninfo("password=Zq9 port=Xk7");
  ASSERT_FALSE(port.has_value());
  EXPECT_EQ(port.error().message(),
            "invalid value for \"port\" (not shown: it may be part of the value of \"password\"; quote or "
            "percent-encode values that contain spaces or \"&\")");
  auto pct = parse_conninfo("postgresql://u:Zq9%zzXk7@host/db");
  ASSERT_FALSE(pct.has_value());
  EXPECT_EQ(pct.error().message(), "invalid percent-encoding in the URI password (write \"%\" as %25)");
}

}  // namespace
}  // namespace pgstream::client
