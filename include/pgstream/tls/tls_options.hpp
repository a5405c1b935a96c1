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

struct TlsOptions {
  VerifyMode verify = VerifyMode::none;
  // PEM file of trusted roots; "system" means the system's trust store.
  std::string root_cert_file;
  // Client certificate and key (PEM), both or neither.
  std::string client_cert_file;
  std::string client_key_file;
  // The host name the user asked for: sent as SNI (unless an IP literal) and, under
  // verify_full, matched against the certificate's names (DNS SAN, IP SAN, or CN).
  std::string server_name;
  bool send_sni = true;
  TlsVersion min_version = TlsVersion::tls1_2;  // libpq's default floor
  TlsVersion max_version = TlsVersion::any;
  // Offer ALPN "postgresql" (required by servers for sslnegotiation=direct).
  bool alpn_postgresql = false;
};

}  // namespace pgstream::tls
