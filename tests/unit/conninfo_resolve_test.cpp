#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "pgstream/client/conninfo.hpp"

namespace pgstream::client {
namespace {

FixedEnvironment alice_env() {
  FixedEnvironment env;
  env.user = "alice";
  env.home = "/home/alice";
  return env;
}

ConnInfo resolve_ok(std::string_view conninfo, const Environment& env) {
  auto parsed = parse_conninfo(conninfo);
  EXPECT_TRUE(parsed.has_value()) << conninfo << " -> " << parsed.error().message();
  if (!parsed) return {};
  auto r = resolve(*parsed, env);
  EXPECT_TRUE(r.has_value()) << conninfo << " -> " << r.error().message();
  return r.value_or(ConnInfo{});
}

Error resolve_error(std::string_view conninfo, const Environment& env) {
  auto parsed = parse_conninfo(conninfo);
  EXPECT_TRUE(parsed.has_value()) << conninfo << " -> " << parsed.error().message();
  if (!parsed) return Error(ErrorCategory::config, "parse failed");
  auto r = resolve(*parsed, env);
  EXPECT_FALSE(r.has_value()) << conninfo;
  return r ? Error(ErrorCategory::config, "resolved") : r.error();
}

TEST(ConninfoResolve, EmptyStringGetsLibpqDefaults) {
  ConnInfo ci = resolve_ok("", alice_env());
  EXPECT_EQ(ci.user, "alice");
  EXPECT_EQ(ci.dbname, "alice");
  EXPECT_EQ(ci.hosts, (std::vector<std::string>{"/var/run/postgresql"}));
  EXPECT_FALSE(ci.hostaddrs.has_value());
  EXPECT_EQ(ci.ports, (std::vector<std::uint16_t>{5432}));
  EXPECT_EQ(ci.passfile, "/home/alice/.pgpass");
  EXPECT_FALSE(ci.password.has_value());
  EXPECT_EQ(ci.sslmode, SslMode::prefer);
  EXPECT_EQ(ci.sslnegotiation, SslNegotiation::postgres);
  EXPECT_EQ(ci.sslcertmode, SslCertMode::allow);
  EXPECT_EQ(ci.sslsni, true);
  EXPECT_EQ(ci.ssl_min_protocol_version, TlsVersion::tls1_2);
  EXPECT_FALSE(ci.ssl_max_protocol_version.has_value());
  EXPECT_EQ(ci.channel_binding, ChannelBinding::prefer);
  EXPECT_EQ(ci.gssencmode, GssEncMode::disable);
  EXPECT_EQ(ci.target_session_attrs, TargetSessionAttrs::any);
  EXPECT_EQ(ci.load_balance_hosts, LoadBalanceHosts::disable);
  EXPECT_EQ(ci.keepalives, true);
  EXPECT_EQ(ci.min_protocol_version, kProtocol30);
  EXPECT_FALSE(ci.max_protocol_version.has_value());
  EXPECT_FALSE(ci.connect_timeout.has_value());

  auto eps = make_endpoints(ci);
  ASSERT_TRUE(eps.has_value());
  ASSERT_EQ(eps->size(), 1u);
  EXPECT_EQ((*eps)[0].kind, EndpointKind::unix_socket);
  EXPECT_EQ((*eps)[0].host, "/var/run/postgresql");
  EXPECT_EQ((*eps)[0].port, 5432);
  EXPECT_EQ((*eps)[0].unix_socket_path(), "/var/run/postgresql/.s.PGSQL.5432");
}

struct EnvCase {
  const char* var;
  const char* value;
  const char* expected_in_redacted;  // keyword=value expected in to_string_redacted()
};

TEST(ConninfoResolve, EachEnvironmentVariableFillsItsKeyword) {
  const EnvCase cases[] = {
      {"PGHOST", "db.example.com", "host=db.example.com"},
      {"PGHOSTADDR", "192.0.2.7", "hostaddr=192.0.2.7"},
      {"PGPORT", "6432", "port=6432"},
      {"PGDATABASE", "app", "dbname=app"},
      {"PGUSER", "bob", "user=bob"},
      {"PGPASSWORD", "pw", "password=********"},
      {"PGPASSFILE", "/etc/pgpass", "passfile=/etc/pgpass"},
      {"PGAPPNAME", "loader", "application_name=loader"},
      {"PGOPTIONS", "-c geqo=off", "options='-c geqo=off'"},
      {"PGSSLMODE", "require", "sslmode=require"},
      {"PGSSLROOTCERT", "/ca.pem", "sslrootcert=/ca.pem"},
      {"PGSSLCERT", "/c.pem", "sslcert=/c.pem"},
      {"PGSSLKEY", "/k.pem", "sslkey=/k.pem"},
      {"PGSSLCRL", "/crl.pem", "sslcrl=/crl.pem"},
      {"PGSSLSNI", "0", "sslsni=0"},
      {"PGSSLCERTMODE", "require", "sslcertmode=require"},
      {"PGCONNECT_TIMEOUT", "5", "connect_timeout=5"},
      {"PGCLIENTENCODING", "LATIN1", "client_encoding=LATIN1"},
      {"PGTARGETSESSIONATTRS", "standby", "target_session_attrs=standby"},
      {"PGLOADBALANCEHOSTS", "random", "load_balance_hosts=random"},
      {"PGCHANNELBINDING", "require", "channel_binding=require"},
      {"PGREQUIREAUTH", "scram-sha-256", "require_auth=scram-sha-256"},
      {"PGSSLNEGOTIATION", "postgres", "sslnegotiation=postgres"},
      {"PGMINPROTOCOLVERSION", "3.2", "min_protocol_version=3.2"},
      {"PGMAXPROTOCOLVERSION", "latest", "max_protocol_version=3.2"},
      {"PGSSLMINPROTOCOLVERSION", "TLSv1.3", "ssl_min_protocol_version=TLSv1.3"},
      {"PGSSLMAXPROTOCOLVERSION", "TLSv1.3", "ssl_max_protocol_version=TLSv1.3"},
      {"PGKRBSRVNAME", "POSTGRES", "krbsrvname=POSTGRES"},
      {"PGGSSENCMODE", "prefer", "gssencmode=prefer"},
      {"PGREQUIREPEER", "postgres", "requirepeer=postgres"},
  };
  for (const auto& c : cases) {
    FixedEnvironment env = alice_env();
    env.vars[c.var] = c.value;
    ConnInfo ci = resolve_ok("", env);
    std::string redacted = " " + ci.to_string_redacted() + " ";
    EXPECT_NE(redacted.find(std::string(" ") + c.expected_in_redacted + " "), std::string::npos)
        << c.var << ": " << redacted;
  }
}

TEST(ConninfoResolve, StringBeatsEnvironmentBeatsDefault) {
  FixedEnvironment env = alice_env();
  env.vars = {{"PGHOST", "envhost"}, {"PGPORT", "6000"}, {"PGUSER", "envuser"},
              {"PGSSLMODE", "disable"}, {"PGAPPNAME", "envapp"}, {"PGPASSWORD", "envpw"}};

  ConnInfo from_string = resolve_ok("host=strhost port=7000 user=struser sslmode=verify-full application_name=strapp password=strpw", env);
  EXPECT_EQ(from_string.hosts, (std::vector<std::string>{"strhost"}));
  EXPECT_EQ(from_string.ports, (std::vector<std::uint16_t>{7000}));
  EXPECT_EQ(from_string.user, "struser");
  EXPECT_EQ(from_string.dbname, "struser");  // dbname defaults to the final user
  EXPECT_EQ(from_string.sslmode, SslMode::verify_full);
  EXPECT_EQ(from_string.application_name, "strapp");
  EXPECT_EQ(from_string.password, "strpw");

  ConnInfo from_env = resolve_ok("dbname=d", env);
  EXPECT_EQ(from_env.hosts, (std::vector<std::string>{"envhost"}));
  EXPECT_EQ(from_env.ports, (std::vector<std::uint16_t>{6000}));
  EXPECT_EQ(from_env.user, "envuser");
  EXPECT_EQ(from_env.dbname, "d");
  EXPECT_EQ(from_env.sslmode, SslMode::disable);
  EXPECT_EQ(from_env.password, "envpw");

  ConnInfo from_default = resolve_ok("dbname=d", alice_env());
  EXPECT_EQ(from_default.user, "alice");
  EXPECT_EQ(from_default.sslmode, SslMode::prefer);
}

TEST(ConninfoResolve, UriValuesAlsoBeatTheEnvironment) {
  FixedEnvironment env = alice_env();
  env.vars = {{"PGHOST", "envhost"}, {"PGDATABASE", "envdb"}, {"PGUSER", "envuser"}};
  ConnInfo ci = resolve_ok("postgresql://uriuser@urihost/uridb", env);
  EXPECT_EQ(ci.hosts, (std::vector<std::string>{"urihost"}));
  EXPECT_EQ(ci.dbname, "uridb");
  EXPECT_EQ(ci.user, "uriuser");
}

TEST(ConninfoResolve, EmptyValuesBlockTheEnvironmentAndMeanDefault) {
  // As libpq: a value given in the string, even empty, stops the environment variable; empty
  // host/user/dbname then mean the built-in default.
  FixedEnvironment env = alice_env();
  env.vars = {{"PGHOST", "envhost"}, {"PGUSER", "envuser"}};
  ConnInfo ci = resolve_ok("host='' user=''", env);
  EXPECT_EQ(ci.user, "alice");
  EXPECT_EQ(ci.dbname, "alice");
  auto eps = make_endpoints(ci);
  ASSERT_TRUE(eps.has_value());
  ASSERT_EQ(eps->size(), 1u);
  EXPECT_EQ((*eps)[0].kind, EndpointKind::unix_socket);
  EXPECT_EQ((*eps)[0].host, "/var/run/postgresql");

  FixedEnvironment empty_env_var = alice_env();
  empty_env_var.vars = {{"PGHOST", ""}, {"PGUSER", ""}};
  ConnInfo from_env = resolve_ok("", empty_env_var);
  EXPECT_EQ(from_env.user, "alice");
}

TEST(ConninfoResolve, BadEnvironmentValuesNameTheVariable) {
  FixedEnvironment env = alice_env();
  env.vars = {{"PGSSLMODE", "bogus"}};
  Error e = resolve_error("", env);
  EXPECT_EQ(e.category(), ErrorCategory::config);
  EXPECT_EQ(e.message(),
            "invalid value \"bogus\" for \"sslmode\" (expected disable, allow, prefer, require, verify-ca or "
            "verify-full) (from environment variable PGSSLMODE)");

  env.vars = {{"PGPORT", "54x"}};
  EXPECT_EQ(resolve_error("", env).message(),
            "invalid port number \"54x\" in \"port\" (expected an integer from 1 to 65535) (from environment variable "
            "PGPORT)");

  env.vars = {{"PGSERVICE", "prod"}};
  Error service = resolve_error("", env);
  EXPECT_EQ(service.category(), ErrorCategory::unsupported);
  EXPECT_EQ(service.message(),
            "connection option \"service\" is not supported by pgstream (pg_service.conf is not read; give the "
            "connection parameters directly) (from environment variable PGSERVICE)");

  // An invalid variable is not consulted when the string gives the keyword.
  env.vars = {{"PGSSLMODE", "bogus"}};
  EXPECT_EQ(resolve_ok("sslmode=require", env).sslmode, SslMode::require);
}

TEST(ConninfoResolve, DeprecatedPgRequireSslOnlyWhenSslmodeIsUnset) {
  FixedEnvironment env = alice_env();
  env.vars = {{"PGREQUIRESSL", "1"}};
  EXPECT_EQ(resolve_ok("", env).sslmode, SslMode::require);
  env.vars = {{"PGREQUIRESSL", "1"}, {"PGSSLMODE", "disable"}};
  EXPECT_EQ(resolve_ok("", env).sslmode, SslMode::disable);
  env.vars = {{"PGREQUIRESSL", "0"}};
  EXPECT_EQ(resolve_ok("", env).sslmode, SslMode::prefer);
}

TEST(ConninfoResolve, MissingOsUserAndHomeAreHandled) {
  FixedEnvironment nobody;
  Error e = resolve_error("", nobody);
  EXPECT_EQ(e.message(), "could not determine the operating system user name; set user or PGUSER");
  ConnInfo ci = resolve_ok("user=u", nobody);
  EXPECT_EQ(ci.dbname, "u");
  EXPECT_FALSE(ci.passfile.has_value());  // no home: no default password file
}

TEST(ConninfoResolve, PassfileKeywordBeatsPgpassfileBeatsHome) {
  FixedEnvironment env = alice_env();
  EXPECT_EQ(resolve_ok("", env).passfile, "/home/alice/.pgpass");
  env.vars = {{"PGPASSFILE", "/env/pgpass"}};
  EXPECT_EQ(resolve_ok("", env).passfile, "/env/pgpass");
  EXPECT_EQ(resolve_ok("passfile=/str/pgpass", env).passfile, "/str/pgpass");
}

TEST(ConninfoResolve, SslrootcertSystemMakesVerifyFullTheDefaultAndRequiresIt) {
  EXPECT_EQ(resolve_ok("sslrootcert=system", alice_env()).sslmode, SslMode::verify_full);
  EXPECT_EQ(resolve_ok("sslrootcert=system sslmode=verify-full", alice_env()).sslmode, SslMode::verify_full);
  EXPECT_EQ(resolve_error("sslrootcert=system sslmode=require", alice_env()).message(),
            "sslrootcert=system needs sslmode=verify-full (sslmode is require)");
  FixedEnvironment env = alice_env();
  env.vars = {{"PGSSLROOTCERT", "system"}};
  EXPECT_EQ(resolve_ok("", env).sslmode, SslMode::verify_full);
  EXPECT_EQ(resolve_ok("sslmode=disable sslrootcert=./system", alice_env()).sslmode, SslMode::disable);
}

TEST(ConninfoResolve, InvalidCombinationsAreRejected) {
  struct Case {
    const char* conninfo;
    ErrorCategory category;
    const char* message;
  };
  const Case cases[] = {
      {"sslnegotiation=direct", ErrorCategory::config,
       "sslnegotiation=direct needs sslmode require, verify-ca or verify-full (sslmode is prefer)"},
      {"sslnegotiation=direct sslmode=allow", ErrorCategory::config,
       "sslnegotiation=direct needs sslmode require, verify-ca or verify-full (sslmode is allow)"},
      {"min_protocol_version=latest max_protocol_version=3.0", ErrorCategory::config,
       "min_protocol_version 3.2 is greater than max_protocol_version 3.0"},
      {"ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2", ErrorCategory::config,
       "ssl_min_protocol_version TLSv1.3 is greater than ssl_max_protocol_version TLSv1.2"},
      {"gssencmode=require", ErrorCategory::unsupported,
       "gssencmode=require is not supported by pgstream (no GSSAPI support)"},
      {"require_auth=gss", ErrorCategory::unsupported,
       "require_auth=gss is not supported by pgstream (it cannot use that method)"},
      {"host=a,b hostaddr=10.0.0.1,10.0.0.2,10.0.0.3", ErrorCategory::config,
       "could not match 2 host names to 3 hostaddr values"},
      {"host=a,b,c port=1,2", ErrorCategory::config, "could not match 2 port numbers to 3 hosts"},
      {"hostaddr=10.0.0.1,10.0.0.2 port=1,2,3", ErrorCategory::config, "could not match 3 port numbers to 2 hosts"},
  };
  for (const auto& c : cases) {
    Error e = resolve_error(c.conninfo, alice_env());
    EXPECT_EQ(e.category(), c.category) << c.conninfo;
    EXPECT_EQ(e.message(), c.message) << c.conninfo;
  }
  EXPECT_EQ(resolve_ok("sslnegotiation=direct sslmode=require", alice_env()).sslnegotiation, SslNegotiation::direct);
  EXPECT_EQ(resolve_ok("require_auth=scram-sha-256,gss", alice_env()).require_auth->methods, 0b10100);
}

TEST(ConninfoEndpoints, HostKindsPortsAndDefaultsPerPosition) {
  ConnInfo ci = resolve_ok("host=db1,/tmp,@abstract,,db2 port=6543", alice_env());
  auto eps = make_endpoints(ci);
  ASSERT_TRUE(eps.has_value());
  const std::vector<Endpoint> expected = {
      {EndpointKind::tcp, "db1", "", 6543},
      {EndpointKind::unix_socket, "/tmp", "", 6543},
      {EndpointKind::unix_socket, "@abstract", "", 6543},
      {EndpointKind::unix_socket, "/var/run/postgresql", "", 6543},
      {EndpointKind::tcp, "db2", "", 6543},
  };
  EXPECT_EQ(*eps, expected);
  EXPECT_EQ((*eps)[1].unix_socket_path(), "/tmp/.s.PGSQL.6543");
  EXPECT_EQ((*eps)[2].unix_socket_path(), "@abstract/.s.PGSQL.6543");
  EXPECT_EQ((*eps)[0].address(), "db1");
}

TEST(ConninfoEndpoints, PortListsMatchHostsAndEmptyItemsMeanDefault) {
  auto eps = make_endpoints(resolve_ok("host=a,b,c port=5433,,5435", alice_env()));
  ASSERT_TRUE(eps.has_value());
  ASSERT_EQ(eps->size(), 3u);
  EXPECT_EQ((*eps)[0].port, 5433);
  EXPECT_EQ((*eps)[1].port, 5432);
  EXPECT_EQ((*eps)[2].port, 5435);

  auto uri = make_endpoints(resolve_ok("postgresql://h1:6000,h2,[::1]:6002/db", alice_env()));
  ASSERT_TRUE(uri.has_value());
  const std::vector<Endpoint> expected = {
      {EndpointKind::tcp, "h1", "", 6000}, {EndpointKind::tcp, "h2", "", 5432}, {EndpointKind::tcp, "::1", "", 6002}};
  EXPECT_EQ(*uri, expected);
}

TEST(ConninfoEndpoints, HostaddrGivesTcpAndKeepsTheNameForTls) {
  auto eps = make_endpoints(resolve_ok("host=db.example,other hostaddr=192.0.2.1, port=5000,5001", alice_env()));
  ASSERT_TRUE(eps.has_value());
  const std::vector<Endpoint> expected = {{EndpointKind::tcp, "db.example", "192.0.2.1", 5000},
                                          {EndpointKind::tcp, "other", "", 5001}};
  EXPECT_EQ(*eps, expected);
  EXPECT_EQ((*eps)[0].address(), "192.0.2.1");

  auto only_addr = make_endpoints(resolve_ok("hostaddr=2001:db8::1", alice_env()));
  ASSERT_TRUE(only_addr.has_value());
  ASSERT_EQ(only_addr->size(), 1u);
  EXPECT_EQ((*only_addr)[0], (Endpoint{EndpointKind::tcp, "", "2001:db8::1", 5432}));

  // A host that is a socket path is ignored for connecting when hostaddr is given, as libpq.
  auto addr_wins = make_endpoints(resolve_ok("host=/tmp hostaddr=127.0.0.1", alice_env()));
  ASSERT_TRUE(addr_wins.has_value());
  EXPECT_EQ((*addr_wins)[0].kind, EndpointKind::tcp);
}

std::vector<std::string> hosts_of(const std::vector<Endpoint>& eps) {
  std::vector<std::string> out;
  for (const auto& e : eps) out.push_back(e.host);
  return out;
}

TEST(ConninfoEndpoints, LoadBalanceRandomShufflesDeterministicallyPerSeed) {
  const std::vector<std::string> given = {"h0", "h1", "h2", "h3"};
  ConnInfo in_order = resolve_ok("host=h0,h1,h2,h3", alice_env());
  for (std::uint64_t seed : {0ull, 1ull, 99ull}) {
    EXPECT_EQ(hosts_of(*make_endpoints(in_order, seed)), given) << "seed " << seed;
  }

  ConnInfo random = resolve_ok("host=h0,h1,h2,h3 load_balance_hosts=random", alice_env());
  std::map<std::string, int> first_counts;
  std::set<std::vector<std::string>> orders;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    auto a = make_endpoints(random, seed);
    auto b = make_endpoints(random, seed);
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(*a, *b) << "seed " << seed;
    auto hosts = hosts_of(*a);
    auto sorted = hosts;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(sorted, given) << "seed " << seed << " lost or duplicated a host";
    ++first_counts[hosts[0]];
    orders.insert(hosts);
  }
  EXPECT_EQ(orders.size(), 24u);  // every permutation of 4 hosts shows up over 2000 seeds
  for (const auto& [host, count] : first_counts) {
    EXPECT_GT(count, 400) << host;  // about 500 each
    EXPECT_LT(count, 600) << host;
  }
}

TEST(ConninfoEnvironment, ProcessEnvironmentReadsGetenvAndThePasswordDatabase) {
  const Environment& env = process_environment();
  ::setenv("PGSTREAM_CONNINFO_TEST_VAR", "value", 1);
  EXPECT_EQ(env.get("PGSTREAM_CONNINFO_TEST_VAR"), "value");
  ::unsetenv("PGSTREAM_CONNINFO_TEST_VAR");
  EXPECT_FALSE(env.get("PGSTREAM_CONNINFO_TEST_VAR").has_value());
  auto user = env.os_user_name();
  ASSERT_TRUE(user.has_value());
  EXPECT_FALSE(user->empty());
}

}  // namespace
}  // namespace pgstream::client
