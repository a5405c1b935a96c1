// The reactor honours the same TLS and socket settings as the blocking connection:
// sslnegotiation=direct (TLS first, ALPN "postgresql"), sslcertmode=require, and requirepeer.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/uring/connection.hpp"
#include "pgstream/uring/reactor.hpp"
#include "support/fake_tls_server.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

// Opens one reactor connection and runs until it is ready or closed: the error, if any.
std::optional<Error> open_through_reactor(const std::string& dsn) {
  auto builder = client::ConnectionBuilder::from_conninfo(dsn);
  if (!builder) return builder.error();
  uring::ReactorOptions ro;
  ro.max_connections = 1;
  auto reactor = uring::Reactor::create(ro);
  if (!reactor) return reactor.error();
  bool ready = false;
  std::optional<Error> closed;
  uring::ConnectionEvents ev;
  ev.on_ready = [&](uring::Connection&) { ready = true; };
  ev.on_closed = [&](uring::Connection&, const Error& e) { closed = e; };
  auto c = (*reactor)->open(*builder, ev);
  if (!c) return c.error();
  for (int i = 0; i < 200 && !ready && !closed; ++i)
    if (auto r = (*reactor)->run_once(std::chrono::milliseconds(50)); !r) return r.error();
  if (!ready && !closed) return Error(ErrorCategory::timeout, "neither ready nor closed");
  return closed;
}

class ReactorTlsSettings : public ::testing::Test {
 protected:
  void SetUp() override {
    PGSTREAM_REQUIRE_SERVER();
    cert_ = TempCert::make("reactor-tls");
    ASSERT_TRUE(cert_.ok()) << "pgstream-make-cert failed";
  }
  FakeTlsServer::Options options() const {
    FakeTlsServer::Options o;
    o.cert_file = cert_.cert;
    o.key_file = cert_.key;
    return o;
  }
  TempCert cert_;
};

TEST_F(ReactorTlsSettings, DirectNegotiationStartsWithTlsAndAlpn) {
  FakeTlsServer server(options());
  auto err = open_through_reactor(server.dsn("sslmode=verify-full sslnegotiation=direct sslrootcert=" + cert_.cert));
  EXPECT_FALSE(err) << err->to_string();
  const auto seen = server.finish();
  EXPECT_TRUE(seen.tls_first);
  EXPECT_FALSE(seen.ssl_request_first);
  EXPECT_EQ(seen.alpn_selected, "postgresql");
}

TEST_F(ReactorTlsSettings, DirectNegotiationRefusesAServerWithoutAlpn) {
  auto o = options();
  o.select_alpn = false;
  FakeTlsServer server(o);
  auto err = open_through_reactor(server.dsn("sslmode=verify-full sslnegotiation=direct sslrootcert=" + cert_.cert));
  ASSERT_TRUE(err);
  EXPECT_NE(err->message().find("without ALPN"), std::string::npos) << err->to_string();
  (void)server.finish();
}

TEST_F(ReactorTlsSettings, CertModeRequireFailsWhenTheServerDoesNotAsk) {
  FakeTlsServer server(options());
  auto err = open_through_reactor(server.dsn("sslmode=verify-full sslrootcert=" + cert_.cert + " sslcertmode=require sslcert=" +
                                             cert_.cert + " sslkey=" + cert_.key));
  ASSERT_TRUE(err);
  EXPECT_EQ(err->message(), "server did not request an SSL certificate (sslcertmode=require)");
  (void)server.finish();
}

TEST_F(ReactorTlsSettings, CertModeRequireConnectsWhenAskedAndSent) {
  auto o = options();
  o.request_client_cert = true;
  FakeTlsServer server(o);
  auto err = open_through_reactor(server.dsn("sslmode=verify-full sslrootcert=" + cert_.cert + " sslcertmode=require sslcert=" +
                                             cert_.cert + " sslkey=" + cert_.key));
  EXPECT_FALSE(err) << err->to_string();
  EXPECT_TRUE(server.finish().client_cert_received);
}

TEST_F(ReactorTlsSettings, RequirePeerIsCheckedOnUnixSockets) {
  const auto& s = *TestServer::instance();
  const std::string base = "host=" + s.socket_dir() + " port=" + std::to_string(s.port()) + " dbname=postgres user=" +
                           s.get("PGSTREAM_TEST_TRUST_USER");
  auto err = open_through_reactor(base + " requirepeer=nobody");
  ASSERT_TRUE(err);
  EXPECT_NE(err->message().find("requirepeer specifies \"nobody\""), std::string::npos) << err->to_string();
}

}  // namespace
}  // namespace pgstream::testing
