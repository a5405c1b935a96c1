#pragma once
// tls-server-end-point channel binding data (RFC 5929 section 4.1) for SCRAM-SHA-256-PLUS.

#include <cstddef>
#include <span>
#include <vector>

#include "pgstream/result.hpp"

namespace pgstream::auth {

// The hash of the server's DER certificate with the hash tls_server_end_point_hash_algorithm
// picks for it (certificate_signature.hpp): the digest of the certificate's signature algorithm,
// MD5 and SHA-1 replaced by SHA-256, RSASSA-PSS by the hash in its parameters. Errors: tls (no
// certificate, or not a certificate's DER) or unsupported (a signature algorithm with no hash to
// bind to, such as Ed25519, named in the message).
[[nodiscard]] Result<std::vector<std::byte>> tls_server_end_point_hash(std::span<const std::byte> cert_der);

}  // namespace pgstream::auth
