#include "pgstream/client/tls_config.hpp"

#include <filesystem>
#include <string>

namespace pgstream::client {
namespace {

std::string home_file(const Environment& env, const char* rel) {
  auto home = env.home_directory();
  return home ? (std::filesystem::path(*home) / rel).string() : std::string();
}

}  // namespace

// libpq's TLS settings for an sslmode: what is verified, and where trusted roots come from.
Result<tls::TlsOptions> tls_options_for(const ConnInfo& info, const Endpoint& ep, const Environment& env) {
  tls::TlsOptions o;
  const SslMode mode = info.sslmode.value_or(SslMode::prefer);
  std::string root = info.sslrootcert.value_or("");
  const std::string default_root = home_file(env, ".postgresql/root.crt");
  if (root.empty() && !default_root.empty() && std::filesystem::exists(default_root)) root = default_root;
  switch (mode) {
    case SslMode::verify_full: o.verify = tls::VerifyMode::verify_full; break;
    case SslMode::verify_ca: o.verify = tls::VerifyMode::verify_ca; break;
    case SslMode::require:
      // As libpq: with a root certificate available, require behaves like verify-ca.
      o.verify = root.empty() ? tls::VerifyMode::none : tls::VerifyMode::verify_ca;
      break;
    default: o.verify = tls::VerifyMode::none; break;
  }
  if (o.verify != tls::VerifyMode::none && root.empty())
    return make_error(ErrorCategory::config,
                      "sslmode=" + std::string(to_string(mode)) + " needs a root certificate: \"" + default_root +
                          "\" does not exist; set sslrootcert=FILE (or sslrootcert=system)");
  o.root_cert_file = root;
  o.client_cert_file = info.sslcert.value_or("");
  o.client_key_file = info.sslkey.value_or("");
  if (o.client_cert_file.empty()) {  // libpq's default client certificate, used when present
    auto crt = home_file(env, ".postgresql/postgresql.crt");
    auto key = home_file(env, ".postgresql/postgresql.key");
    if (!crt.empty() && std::filesystem::exists(crt) && std::filesystem::exists(key)) {
      o.client_cert_file = crt;
      o.client_key_file = key;
    }
  }
  switch (info.sslcertmode.value_or(SslCertMode::allow)) {
    case SslCertMode::disable: o.client_cert_mode = tls::ClientCertMode::disable; break;
    case SslCertMode::allow: o.client_cert_mode = tls::ClientCertMode::allow; break;
    case SslCertMode::require: o.client_cert_mode = tls::ClientCertMode::require; break;
  }
  o.crl_file = info.sslcrl.value_or("");
  o.crl_dir = info.sslcrldir.value_or("");
  if (o.crl_file.empty() && o.crl_dir.empty()) {  // libpq's default, used when present
    auto crl = home_file(env, ".postgresql/root.crl");
    if (!crl.empty() && std::filesystem::exists(crl)) o.crl_file = crl;
  }
  o.server_name = ep.host.empty() ? ep.hostaddr : ep.host;
  o.send_sni = info.sslsni.value_or(true);
  auto version = [](std::optional<TlsVersion> v, tls::TlsVersion dflt) {
    if (!v) return dflt;
    return *v == TlsVersion::tls1_3 ? tls::TlsVersion::tls1_3 : tls::TlsVersion::tls1_2;
  };
  o.min_version = version(info.ssl_min_protocol_version, tls::TlsVersion::tls1_2);
  o.max_version = info.ssl_max_protocol_version ? version(info.ssl_max_protocol_version, tls::TlsVersion::any)
                                                : tls::TlsVersion::any;
  o.alpn_postgresql = info.sslnegotiation.value_or(SslNegotiation::postgres) == SslNegotiation::direct;
  return o;
}

}  // namespace pgstream::client
