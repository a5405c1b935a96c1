#include <gtest/gtest.h>

#include "pgstream/client/conninfo.hpp"

namespace pgstream::client {
namespace {

ConnInfo parse_ok(std::string_view s) {
  auto r = parse_conninfo(s);
  EXPECT_TRUE(r.has_value()) << s << " -> " << (r ? "" : r.error().message());
  return r.value_or(ConnInfo{});
}

TEST(ConninfoKeywordValue, DocsExampleGivesTypedFields) {
  ConnInfo ci = parse_ok("host=localhost port=5432 dbname=mydb connect_timeout=10");
  EXPECT_EQ(ci.hosts, (std::vector<std::string>{"localhost"}));
  EXPECT_EQ(ci.ports, (std::vector<std::uint16_t>{5432}));
  EXPECT_EQ(ci.dbname, "mydb");
  EXPECT_EQ(ci.connect_timeout, 10);
  EXPECT_FALSE(ci.user.has_value());
  EXPECT_FALSE(ci.sslmode.has_value());
}

TEST(ConninfoKeywordValue, EmptyAndBlankStringsSetNothing) {
  EXPECT_EQ(parse_ok(""), ConnInfo{});
  EXPECT_EQ(parse_ok(" \t\n "), ConnInfo{});
}

struct StringCase {
  const char* input;
  const char* field;  // which string field to check
  const char* expected;
};

std::optional<std::string> string_field(const ConnInfo& ci, std::string_view field) {
  if (field == "dbname") return ci.dbname;
  if (field == "user") return ci.user;
  if (field == "password") return ci.password;
  if (field == "options") return ci.options;
  if (field == "application_name") return ci.application_name;
  if (field == "sslrootcert") return ci.sslrootcert;
  return std::nullopt;
}

TEST(ConninfoKeywordValue, QuotingEscapesAndSpacesFollowLibpq) {
  const StringCase cases[] = {
      {"dbname='my db'", "dbname", "my db"},
      {"password='it\\'s'", "password", "it's"},
      {"password=it\\'s", "password", "it's"},
      {"dbname=a\\ b", "dbname", "a b"},
      {"application_name='back\\\\slash'", "application_name", "back\\slash"},
      {"dbname = spaced", "dbname", "spaced"},
      {"dbname= spaced", "dbname", "spaced"},
      {"dbname =spaced", "dbname", "spaced"},
      {"dbname=''", "dbname", ""},
      {"dbname=x=y", "dbname", "x=y"},
      {"options='-c geqo=off -c search_path=s'", "options", "-c geqo=off -c search_path=s"},
      {"user='a'dbname=b", "dbname", "b"},
      {"user='a'dbname=b", "user", "a"},
      {"dbname=first dbname=second", "dbname", "second"},
      {"\tuser=tab\n", "user", "tab"},
      {"dbname='caf\xc3\xa9'", "dbname", "caf\xc3\xa9"},
      {"sslrootcert=/etc/ssl/ca.pem", "sslrootcert", "/etc/ssl/ca.pem"},
      {"dbname=trailing\\", "dbname", "trailing"},
      {"password='a b\\\\c\\'d'", "password", "a b\\c'd"},
  };
  for (const auto& c : cases) {
    ConnInfo ci = parse_ok(c.input);
    EXPECT_EQ(string_field(ci, c.field), std::optional<std::string>(c.expected)) << c.input;
  }
}

TEST(ConninfoKeywordValue, LibpqTakesTheNextWordAfterABareEquals) {
  // "Spaces around a setting's equal sign are optional", so `host= port=1` gives host the
  // value "port=1", exactly as libpq does.
  ConnInfo ci = parse_ok("host= port=1");
  EXPECT_EQ(ci.hosts, (std::vector<std::string>{"port=1"}));
  EXPECT_FALSE(ci.ports.has_value());
}

TEST(ConninfoKeywordValue, HostAndPortListsKeepEmptyItems) {
  ConnInfo ci = parse_ok("host=h1,,/tmp port=5432,,5434 hostaddr=10.0.0.1,,::1");
  EXPECT_EQ(ci.hosts, (std::vector<std::string>{"h1", "", "/tmp"}));
  EXPECT_EQ(ci.ports, (std::vector<std::uint16_t>{5432, 0, 5434}));
  EXPECT_EQ(ci.hostaddrs, (std::vector<std::string>{"10.0.0.1", "", "::1"}));
  ConnInfo empty = parse_ok("host='' port=''");
  EXPECT_EQ(empty.hosts, (std::vector<std::string>{""}));
  EXPECT_EQ(empty.ports, (std::vector<std::uint16_t>{0}));
}

TEST(ConninfoKeywordValue, EveryEnumKeywordAcceptsEachLibpqValue) {
  const std::pair<const char*, SslMode> sslmodes[] = {
      {"disable", SslMode::disable}, {"allow", SslMode::allow},         {"prefer", SslMode::prefer},
      {"require", SslMode::require}, {"verify-ca", SslMode::verify_ca}, {"verify-full", SslMode::verify_full}};
  for (auto [text, mode] : sslmodes) {
    EXPECT_EQ(parse_ok(std::string("sslmode=") + text).sslmode, mode) << text;
    EXPECT_EQ(to_string(mode), text);
  }
  const std::pair<const char*, TargetSessionAttrs> tsas[] = {
      {"any", TargetSessionAttrs::any},           {"read-write", TargetSessionAttrs::read_write},
      {"read-only", TargetSessionAttrs::read_only}, {"primary", TargetSessionAttrs::primary},
      {"standby", TargetSessionAttrs::standby},   {"prefer-standby", TargetSessionAttrs::prefer_standby}};
  for (auto [text, v] : tsas) {
    EXPECT_EQ(parse_ok(std::string("target_session_attrs=") + text).target_session_attrs, v) << text;
  }
  EXPECT_EQ(parse_ok("load_balance_hosts=random").load_balance_hosts, LoadBalanceHosts::random);
  EXPECT_EQ(parse_ok("load_balance_hosts=disable").load_balance_hosts, LoadBalanceHosts::disable);
  EXPECT_EQ(parse_ok("channel_binding=disable").channel_binding, ChannelBinding::disable);
  EXPECT_EQ(parse_ok("channel_binding=prefer").channel_binding, ChannelBinding::prefer);
  EXPECT_EQ(parse_ok("channel_binding=require").channel_binding, ChannelBinding::require);
  EXPECT_EQ(parse_ok("gssencmode=disable").gssencmode, GssEncMode::disable);
  EXPECT_EQ(parse_ok("gssencmode=prefer").gssencmode, GssEncMode::prefer);
  EXPECT_EQ(parse_ok("gssencmode=require").gssencmode, GssEncMode::require);
  EXPECT_EQ(parse_ok("sslnegotiation=postgres").sslnegotiation, SslNegotiation::postgres);
  EXPECT_EQ(parse_ok("sslnegotiation=direct").sslnegotiation, SslNegotiation::direct);
  EXPECT_EQ(parse_ok("sslcertmode=disable").sslcertmode, SslCertMode::disable);
  EXPECT_EQ(parse_ok("sslcertmode=allow").sslcertmode, SslCertMode::allow);
  EXPECT_EQ(parse_ok("sslcertmode=require").sslcertmode, SslCertMode::require);
  // libpq compares TLS versions case-insensitively.
  EXPECT_EQ(parse_ok("ssl_min_protocol_version=TLSv1").ssl_min_protocol_version, TlsVersion::tls1_0);
  EXPECT_EQ(parse_ok("ssl_min_protocol_version=tlsv1.1").ssl_min_protocol_version, TlsVersion::tls1_1);
  EXPECT_EQ(parse_ok("ssl_max_protocol_version=TLSV1.2").ssl_max_protocol_version, TlsVersion::tls1_2);
  EXPECT_EQ(parse_ok("ssl_max_protocol_version=TLSv1.3").ssl_max_protocol_version, TlsVersion::tls1_3);
  EXPECT_EQ(parse_ok("min_protocol_version=3.0").min_protocol_version, kProtocol30);
  EXPECT_EQ(parse_ok("min_protocol_version=3.2").min_protocol_version, kProtocol32);
  EXPECT_EQ(parse_ok("max_protocol_version=latest").max_protocol_version, (ProtocolVersion{3, 2}));
}

TEST(ConninfoKeywordValue, IntegerAndFlagKeywords) {
  ConnInfo ci = parse_ok(
      "connect_timeout=' 7 ' keepalives=0 keepalives_idle=30 keepalives_interval=5 keepalives_count=3 "
      "tcp_user_timeout=1500 sslsni=0 sslcompression=1");
  EXPECT_EQ(ci.connect_timeout, 7);
  EXPECT_EQ(ci.keepalives, false);
  EXPECT_EQ(ci.keepalives_idle, 30);
  EXPECT_EQ(ci.keepalives_interval, 5);
  EXPECT_EQ(ci.keepalives_count, 3);
  EXPECT_EQ(ci.tcp_user_timeout, 1500);
  EXPECT_EQ(ci.sslsni, false);
  EXPECT_EQ(ci.sslcompression, true);
  EXPECT_EQ(parse_ok("connect_timeout=-1").connect_timeout, -1);
}

TEST(ConninfoKeywordValue, RemainingStringKeywordsAreStored) {
  ConnInfo ci = parse_ok(
      "passfile=/p fallback_application_name=fb client_encoding=UTF8 sslcert=/c sslkey=/k sslpassword=kp "
      "sslcrl=/crl sslcrldir=/crld requirepeer=postgres krbsrvname=pg gsslib=gssapi");
  EXPECT_EQ(ci.passfile, "/p");
  EXPECT_EQ(ci.fallback_application_name, "fb");
  EXPECT_EQ(ci.client_encoding, "UTF8");
  EXPECT_EQ(ci.sslcert, "/c");
  EXPECT_EQ(ci.sslkey, "/k");
  EXPECT_EQ(ci.sslpassword, "kp");
  EXPECT_EQ(ci.sslcrl, "/crl");
  EXPECT_EQ(ci.sslcrldir, "/crld");
  EXPECT_EQ(ci.requirepeer, "postgres");
  EXPECT_EQ(ci.krbsrvname, "pg");
  EXPECT_EQ(ci.gsslib, "gssapi");
  EXPECT_EQ(ci.effective_application_name(), "fb");
  EXPECT_EQ(parse_ok("application_name=a fallback_application_name=fb").effective_application_name(), "a");
}

TEST(ConninfoKeywordValue, RequireAuthListsAndNegations) {
  RequireAuth plain = *parse_ok("require_auth=scram-sha-256,md5").require_auth;
  EXPECT_FALSE(plain.negated);
  EXPECT_TRUE(plain.permits(AuthMethod::scram_sha_256));
  EXPECT_TRUE(plain.permits(AuthMethod::md5));
  EXPECT_FALSE(plain.permits(AuthMethod::password));
  EXPECT_FALSE(plain.permits(AuthMethod::none));
  EXPECT_EQ(to_string(plain), "md5,scram-sha-256");

  RequireAuth negated = *parse_ok("require_auth=!password,!none").require_auth;
  EXPECT_TRUE(negated.negated);
  EXPECT_FALSE(negated.permits(AuthMethod::password));
  EXPECT_FALSE(negated.permits(AuthMethod::none));
  EXPECT_TRUE(negated.permits(AuthMethod::scram_sha_256));
  EXPECT_EQ(to_string(negated), "!password,!none");

  RequireAuth all = *parse_ok("require_auth=password,md5,gss,sspi,scram-sha-256,oauth,none").require_auth;
  EXPECT_EQ(all.methods, 0x7F);
}

TEST(ConninfoKeywordValue, ReplicationOffIsAcceptedOnIsUnsupported) {
  for (const char* off : {"replication=false", "replication=OFF", "replication=no", "replication=0"}) {
    EXPECT_EQ(parse_ok(off), ConnInfo{}) << off;
  }
  for (const char* on : {"replication=true", "replication=database", "replication=1"}) {
    auto r = parse_conninfo(on);
    ASSERT_FALSE(r.has_value()) << on;
    EXPECT_EQ(r.error().category(), ErrorCategory::unsupported) << on;
  }
}

struct ErrorCase {
  const char* input;
  ErrorCategory category;
  const char* message;
};

TEST(ConninfoKeywordValue, MalformedStringsGiveOneLineErrorsNamingTheKeyword) {
  const ErrorCase cases[] = {
      {"foo=bar", ErrorCategory::config, "unknown connection option \"foo\""},
      {"host=a foo='unterminated", ErrorCategory::config, "unterminated quoted string in value of \"foo\""},
      {"host", ErrorCategory::config, "missing \"=\" after \"host\" in connection string"},
      {"host localhost", ErrorCategory::config, "missing \"=\" after \"host\" in connection string"},
      {"postgre://", ErrorCategory::config, "missing \"=\" after \"postgre://\" in connection string"},
      {"=x", ErrorCategory::config, "missing keyword before \"=\" in connection string"},
      {"dbname='abc", ErrorCategory::config, "unterminated quoted string in value of \"dbname\""},
      {"dbname='abc\\'", ErrorCategory::config, "unterminated quoted string in value of \"dbname\""},
      {"port=abc", ErrorCategory::config,
       "invalid port number \"abc\" in \"port\" (expected an integer from 1 to 65535)"},
      {"port=0", ErrorCategory::config, "invalid port number \"0\" in \"port\" (expected an integer from 1 to 65535)"},
      {"port=65536", ErrorCategory::config,
       "invalid port number \"65536\" in \"port\" (expected an integer from 1 to 65535)"},
      {"port=5432,54x", ErrorCategory::config,
       "invalid port number \"54x\" in \"port\" (expected an integer from 1 to 65535)"},
      {"port=-5", ErrorCategory::config, "invalid port number \"-5\" in \"port\" (expected an integer from 1 to 65535)"},
      {"connect_timeout=ten", ErrorCategory::config, "invalid integer value \"ten\" for \"connect_timeout\""},
      {"connect_timeout=", ErrorCategory::config, "invalid integer value \"\" for \"connect_timeout\""},
      {"keepalives_idle=99999999999", ErrorCategory::config,
       "invalid integer value \"99999999999\" for \"keepalives_idle\""},
      {"keepalives=2", ErrorCategory::config, "invalid value \"2\" for \"keepalives\" (expected 0 or 1)"},
      {"sslsni=yes", ErrorCategory::config, "invalid value \"yes\" for \"sslsni\" (expected 0 or 1)"},
      {"sslmode=bogus", ErrorCategory::config,
       "invalid value \"bogus\" for \"sslmode\" (expected disable, allow, prefer, require, verify-ca or verify-full)"},
      {"sslmode=Require", ErrorCategory::config,
       "invalid value \"Require\" for \"sslmode\" (expected disable, allow, prefer, require, verify-ca or verify-full)"},
      {"target_session_attrs=rw", ErrorCategory::config,
       "invalid value \"rw\" for \"target_session_attrs\" (expected any, read-write, read-only, primary, standby or "
       "prefer-standby)"},
      {"load_balance_hosts=yes", ErrorCategory::config,
       "invalid value \"yes\" for \"load_balance_hosts\" (expected disable or random)"},
      {"channel_binding=maybe", ErrorCategory::config,
       "invalid value \"maybe\" for \"channel_binding\" (expected disable, prefer or require)"},
      {"gssencmode=always", ErrorCategory::config,
       "invalid value \"always\" for \"gssencmode\" (expected disable, prefer or require)"},
      {"sslnegotiation=tls", ErrorCategory::config,
       "invalid value \"tls\" for \"sslnegotiation\" (expected postgres or direct)"},
      {"sslcertmode=maybe", ErrorCategory::config,
       "invalid value \"maybe\" for \"sslcertmode\" (expected disable, allow or require)"},
      {"ssl_min_protocol_version=TLSv1.4", ErrorCategory::config,
       "invalid value \"TLSv1.4\" for \"ssl_min_protocol_version\" (expected TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)"},
      {"ssl_max_protocol_version=SSLv3", ErrorCategory::config,
       "invalid value \"SSLv3\" for \"ssl_max_protocol_version\" (expected TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)"},
      {"min_protocol_version=3.1", ErrorCategory::config,
       "invalid value \"3.1\" for \"min_protocol_version\" (expected 3.0, 3.2 or latest)"},
      {"max_protocol_version=4", ErrorCategory::config,
       "invalid value \"4\" for \"max_protocol_version\" (expected 3.0, 3.2 or latest)"},
      {"require_auth=kerberos", ErrorCategory::config,
       "invalid method \"kerberos\" in \"require_auth\" (expected a comma list of password, md5, gss, sspi, "
       "scram-sha-256, oauth or none, each optionally prefixed with \"!\")"},
      {"require_auth=", ErrorCategory::config,
       "invalid method \"\" in \"require_auth\" (expected a comma list of password, md5, gss, sspi, scram-sha-256, "
       "oauth or none, each optionally prefixed with \"!\")"},
      {"require_auth=password,!md5", ErrorCategory::config,
       "\"require_auth\" cannot mix negated (\"!method\") and plain methods"},
      {"require_auth=!md5,password", ErrorCategory::config,
       "\"require_auth\" cannot mix negated (\"!method\") and plain methods"},
      {"require_auth=md5,md5", ErrorCategory::config, "method \"md5\" is listed twice in \"require_auth\""},
      {"hostaddr=localhost", ErrorCategory::config,
       "invalid address \"localhost\" in \"hostaddr\" (expected a numeric IPv4 or IPv6 address; put names in host)"},
      {"replication=maybe", ErrorCategory::config,
       "invalid value \"maybe\" for \"replication\" (expected true, on, yes, 1, database, false, off, no or 0)"},
      {"service=mydb", ErrorCategory::unsupported,
       "connection option \"service\" is not supported by pgstream (pg_service.conf is not read; give the "
       "connection parameters directly)"},
      {"servicefile=/etc/pg_service.conf", ErrorCategory::unsupported,
       "connection option \"servicefile\" is not supported by pgstream (pg_service.conf is not read; give the "
       "connection parameters directly)"},
      {"requiressl=1", ErrorCategory::unsupported,
       "connection option \"requiressl\" is not supported by pgstream (it is deprecated; use sslmode=require)"},
      {"gssdelegation=1", ErrorCategory::unsupported,
       "connection option \"gssdelegation\" is not supported by pgstream (no GSSAPI support)"},
      {"oauth_client_secret=x", ErrorCategory::unsupported,
       "connection option \"oauth_client_secret\" is not supported by pgstream (OAuth authentication is not "
       "implemented)"},
      {"sslkeylogfile=/tmp/k", ErrorCategory::unsupported,
       "connection option \"sslkeylogfile\" is not supported by pgstream (TLS key logging is not implemented)"},
  };
  for (const auto& c : cases) {
    auto r = parse_conninfo(c.input);
    ASSERT_FALSE(r.has_value()) << c.input;
    EXPECT_EQ(r.error().category(), c.category) << c.input;
    EXPECT_EQ(r.error().message(), c.message) << c.input;
    EXPECT_EQ(r.error().message().find('\n'), std::string::npos) << c.input;
  }
}

TEST(ConninfoKeywordValue, NulBytesAreRejectedInBothForms) {
  using namespace std::string_view_literals;
  for (std::string_view s : {"dbname=a\0b"sv, "postgresql://host/a\0b"sv}) {
    auto r = parse_conninfo(s);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message(), "connection string contains a NUL byte");
  }
}

TEST(ConninfoKeywordValue, EchoedValuesAreShortenedAndKeptOnOneLine) {
  auto r = parse_conninfo("sslmode='line1\nline2'");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(),
            "invalid value \"line1?line2\" for \"sslmode\" (expected disable, allow, prefer, require, verify-ca or "
            "verify-full)");
  auto long_value = parse_conninfo("sslmode=" + std::string(100, 'x'));
  ASSERT_FALSE(long_value.has_value());
  EXPECT_NE(long_value.error().message().find("\"" + std::string(64, 'x') + "...\""), std::string::npos);
  EXPECT_EQ(long_value.error().message().find(std::string(65, 'x')), std::string::npos);
}

}  // namespace
}  // namespace pgstream::client
