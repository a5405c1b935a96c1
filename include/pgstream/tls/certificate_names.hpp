#pragma once
// The names a server certificate is for, read from its DER with our bounds-checked reader, and
// libpq's sslmode=verify-full rule for whether they cover the host the user asked for. Read here
// rather than through wolfSSL's X509 objects, which it does not build for every key type
// (an Ed25519 certificate verified, then could not be checked against the host name).

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/result.hpp"

namespace pgstream::tls {

struct CertificateNames {
  std::vector<std::string> dns;                // subjectAltName dNSName entries
  std::vector<std::vector<std::byte>> ips;     // subjectAltName iPAddress entries (4 or 16 bytes)
  std::vector<std::string> common_names;       // the subject's CN attributes
};

// The names of a DER certificate; an error when it is not one.
[[nodiscard]] Result<CertificateNames> certificate_names(std::span<const std::byte> der);

// libpq's rule: an IP literal matches an iPAddress entry, any host matches a dNSName entry
// (case-insensitive; "*." as the whole first label matches one label); the CN counts only when
// the certificate has neither kind of entry.
[[nodiscard]] bool certificate_matches_host(const CertificateNames& names, std::string_view host);

// "the certificate names a.example (and 2 other names)" for error messages.
[[nodiscard]] std::string describe_names(const CertificateNames& names);

}  // namespace pgstream::tls
