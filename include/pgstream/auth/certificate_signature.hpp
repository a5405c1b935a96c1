#pragma once
// Which hash tls-server-end-point channel binding (RFC 5929 section 4.1) uses for a certificate.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pgstream/result.hpp"

namespace pgstream::auth {

enum class BindingHash : std::uint8_t {
  sha224,
  sha256,
  sha384,
  sha512,
  sha512_224,
  sha512_256,
  sha3_224,
  sha3_256,
  sha3_384,
  sha3_512,
};

[[nodiscard]] std::string_view to_string(BindingHash hash) noexcept;  // "SHA-256", "SHA3-384", ...

// The hash to bind a DER certificate with: the digest of its signatureAlgorithm, with MD5 and
// SHA-1 replaced by SHA-256. The choice follows PostgreSQL's server (be_tls_get_certificate_hash,
// which asks OpenSSL's X509_get_signature_info), since the binding must equal what the server
// computes:
//   - RSA PKCS#1 v1.5, ECDSA and DSA with MD5, SHA-1, SHA-2 or SHA-3: that digest;
//   - RSASSA-PSS: the hashAlgorithm of its parameters (SHA-1 when absent), whatever the MGF1
//     hash; parameters OpenSSL would refuse (no parameters, an unknown digest, a mask other than
//     MGF1, a negative salt length, a trailer field other than 1) are refused here too;
//   - Ed25519 and Ed448 sign without a separate digest, and the server cannot bind to them.
// Errors: tls (the bytes are not a certificate's outer DER structure) or unsupported (an
// algorithm with no hash we can map, named in the message, by OID when we do not know it).
// Only the outer Certificate SEQUENCE and its signatureAlgorithm are parsed; the TLS layer has
// already parsed and verified the certificate itself.
[[nodiscard]] Result<BindingHash> tls_server_end_point_hash_algorithm(std::span<const std::byte> cert_der);

}  // namespace pgstream::auth
