#pragma once
// tls-server-end-point channel binding data (RFC 5929 section 4.1) for SCRAM-SHA-256-PLUS.

#include <cstddef>
#include <span>
#include <vector>

#include "pgstream/result.hpp"

namespace pgstream::auth {

// The hash of the server's DER certificate with the hash function of the certificate's
// signature algorithm, except that MD5 and SHA-1 are replaced by SHA-256. Supports RSA, ECDSA
// and DSA signatures with SHA-1/224/256/384/512 and SHA3-224/256/384/512. Errors: tls (not a
// parsable certificate) or unsupported (a signature without a single hash, such as Ed25519;
// and RSA-PSS, whose hash sits in the signature parameters, which we do not parse yet).
[[nodiscard]] Result<std::vector<std::byte>> tls_server_end_point_hash(std::span<const std::byte> cert_der);

}  // namespace pgstream::auth
