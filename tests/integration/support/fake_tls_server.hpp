#pragma once
// A fake Postgres server that speaks TLS (wolfSSL, server side, straight on the socket), for what
// the scratch Postgres 15 cannot do: direct TLS (sslnegotiation=direct, ALPN "postgresql"), a
// server that asks for a client certificate, a server that does not select ALPN.
//
//   FakeTlsServer server({.request_client_cert = true});
//   auto conn = PgConnection::connect(server.dsn("sslmode=require"));
//   FakeTlsServer::Observed seen = server.finish();  // joins; what the client did
//
// It accepts one connection on 127.0.0.1 (a free port). If the first bytes are an SSLRequest it
// answers 'S'; then it peeks at the ClientHello (to see its SNI, which wolfSSL's server only
// reports when it was told to expect a name); then the TLS handshake; then a trust start-up
// (AuthenticationOk, ParameterStatus, BackendKeyData, ReadyForQuery); then it answers every simple
// query with one row, column "answer", value "42", until the client terminates or closes. Every
// wait gives up after a few seconds, so a misbehaving client fails the test instead of hanging it.

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace pgstream::testing {

// A self-signed certificate and key from pgstream-make-cert (PGSTREAM_TEST_MAKE_CERT) in a fresh
// temporary directory, removed with the object.
struct TempCert {
  std::string dir;
  std::string cert;  // PEM; also its own root
  std::string key;
  // Empty when the tool is missing or failed (the caller skips or fails).
  [[nodiscard]] static TempCert make(std::string_view tag);
  TempCert() = default;
  TempCert(TempCert&&) noexcept;
  TempCert& operator=(TempCert&&) noexcept;
  ~TempCert();
  [[nodiscard]] bool ok() const noexcept { return !cert.empty(); }
};

class FakeTlsServer {
 public:
  struct Options {
    std::string cert_file;  // the server's certificate and key (PEM)
    std::string key_file;
    bool select_alpn = true;           // select "postgresql" when the client offers it
    bool request_client_cert = false;  // send a CertificateRequest (any certificate is accepted)
  };

  // What the client did, as seen from the server.
  struct Observed {
    bool accepted = false;            // a client connected at all
    bool ssl_request_first = false;   // it sent an SSLRequest before TLS
    bool tls_first = false;           // its first byte was a TLS handshake record
    bool client_hello_read = false;   // its ClientHello was read (and parsed) before the handshake
    std::optional<std::string> sni;   // the host name of its server_name extension, if it sent one
    std::vector<std::string> alpn_offered;  // the protocols of its ALPN extension
    std::string alpn_selected;              // what the server selected
    bool handshake_ok = false;
    std::string handshake_error;
    bool client_cert_received = false;
    std::map<std::string, std::string> startup;  // StartupMessage parameters
    std::vector<std::string> queries;            // simple queries received
    bool terminated = false;                     // a Terminate arrived
  };

  explicit FakeTlsServer(Options options);
  FakeTlsServer(const FakeTlsServer&) = delete;
  FakeTlsServer& operator=(const FakeTlsServer&) = delete;
  ~FakeTlsServer();

  [[nodiscard]] int port() const noexcept { return port_; }
  // "host=localhost hostaddr=127.0.0.1 port=N user=fake_user dbname=fake_db connect_timeout=5 " + extra
  [[nodiscard]] std::string dsn(std::string_view extra = {}) const;
  // Waits for the conversation to end (the client closed, or a timeout) and returns what was seen.
  [[nodiscard]] Observed finish();
  // For a client expected not to connect at all: stops waiting for one (a connection already
  // made is still served) and returns what was seen.
  [[nodiscard]] Observed stop();

 private:
  void run();
  void serve(int fd);

  Options options_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  Observed observed_;  // written by the server thread only until finish() joins it
  std::thread thread_;
};

}  // namespace pgstream::testing
