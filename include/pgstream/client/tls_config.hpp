#pragma once
// libpq's TLS settings, from a connection string to tls::TlsOptions: sslmode, sslrootcert (and
// ~/.postgresql/root.crt), sslcert/sslkey (and ~/.postgresql/postgresql.crt/.key), sslcertmode,
// sslcrl/sslcrldir (and ~/.postgresql/root.crl), sslsni, ssl_min/max_protocol_version,
// sslnegotiation=direct (ALPN). The blocking connection and the reactor both use this, so a
// security setting is never honoured on one path and ignored on the other.

#include "pgstream/client/conninfo.hpp"
#include "pgstream/result.hpp"
#include "pgstream/tls/tls_options.hpp"

namespace pgstream::client {

// The options for a TLS session to `ep`. Errors (ErrorCategory::config): a verifying sslmode
// without any root certificate.
[[nodiscard]] Result<tls::TlsOptions> tls_options_for(const ConnInfo& info, const Endpoint& ep,
                                                      const Environment& env = process_environment());

}  // namespace pgstream::client
