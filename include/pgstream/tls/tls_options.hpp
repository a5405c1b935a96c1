#pragma once
// What a client TLS session checks and offers, in libpq's terms (sslmode, sslrootcert, ...).

#include <string>

namespace pgstream::tls {

// How much of the server's identity is checked (libpq: require / verify-ca / verify-full).
enum class VerifyMode : unsigned char {
  none,         // encrypt only: any certificate is accepted
  verify_ca,    // the chain must lead to a trusted root
  verify_full,  // ...and the certificate must name the host we connected to
};

enum class TlsVersion : unsigned char { any, tls1_2, tls1_3 };

// libpq's sslcertmode: whether the client certificate may be sent, and whether the server must
// ask for it.
enum class ClientCertMode : unsigned char {
  disable,  // never send a client certificate, even when one is configured
  allow,    // send the configured one when the server asks (the default)
  require,  // as allow; the caller then refuses a session in which none was asked for or sent
};

struct TlsOptions {
  VerifyMode verify = VerifyMode::none;
  // PEM file of trusted roots; "system" means the system's trust store.
  std::string root_cert_file;
  // Client certificate and key (PEM), both or neither.
  std::string client_cert_file;
  std::string client_key_file;
  ClientCertMode client_cert_mode = ClientCertMode::allow;
  // Certificate revocation lists (PEM or DER) checked for every certificate of the server's
  // chain when the chain is verified: one file, and/or every CRL file in a directory. A missing
  // CRL for an issuer fails verification, as OpenSSL's CRL_CHECK_ALL does for libpq.
  std::string crl_file;
  std::string crl_dir;
  // The host name the user asked for: sent as SNI (unless an IP literal) and, under
  // verify_full, matched against the certificate's names (DNS SAN, IP SAN, or CN).
  std::string server_name;
  bool send_sni = true;
  TlsVersion min_version = TlsVersion::tls1_2;  // libpq's default floor
  TlsVersion max_version = TlsVersion::any;
  // Offer ALPN "postgresql" and insist that the server selects it (sslnegotiation=direct: a
  // server that does not select it is not a Postgres server speaking direct TLS).
  bool alpn_postgresql = false;
};

}  // namespace pgstream::tls
