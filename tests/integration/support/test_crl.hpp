#pragma once
// Certificate revocation lists for tests, made with wolfCrypt (which can parse CRLs but not make
// them): a minimal v2 CRL in DER, signed with ECDSA P-256 / SHA-256 by the key of a self-signed
// certificate such as pgstream-make-cert writes.

#include <string>

namespace pgstream::testing {

// Writes to `out_path` (PEM) a CRL issued by the certificate in `ca_cert_pem` (signed with
// `ca_key_pem`), valid from yesterday for 30 days, revoking the certificate's own serial number
// when `revoke_ca_itself` (for a self-signed server certificate, the server's), else nothing.
// Returns an empty string on success, else what went wrong.
[[nodiscard]] std::string write_test_crl(const std::string& ca_cert_pem, const std::string& ca_key_pem,
                                         bool revoke_ca_itself, const std::string& out_path);

}  // namespace pgstream::testing
