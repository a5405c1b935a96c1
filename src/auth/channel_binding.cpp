#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha3.h>

#include "pgstream/auth/channel_binding.hpp"

#include <memory>
#include <string>

namespace pgstream::auth {
namespace {

struct CertDeleter {
  void operator()(DecodedCert* cert) const noexcept {
    wc_FreeDecodedCert(cert);
    delete cert;
  }
};

}  // namespace

Result<std::vector<std::byte>> tls_server_end_point_hash(std::span<const std::byte> cert_der) {
  if (cert_der.empty()) return make_error(ErrorCategory::tls, "channel binding: the server sent no certificate");
  std::unique_ptr<DecodedCert, CertDeleter> cert(new DecodedCert{});
  wc_InitDecodedCert(cert.get(), reinterpret_cast<const byte*>(cert_der.data()),
                     static_cast<word32>(cert_der.size()), nullptr);
  // No verification: the TLS layer does that; we only need the signature algorithm.
  if (const int rc = wc_ParseCert(cert.get(), CERT_TYPE, NO_VERIFY, nullptr); rc != 0) {
    return make_error(ErrorCategory::tls, "channel binding: cannot parse the server certificate (wolfCrypt error " +
                                              std::to_string(rc) + ")");
  }

  wc_HashType hash = WC_HASH_TYPE_NONE;
  switch (cert->signatureOID) {
    // RFC 5929: MD5 and SHA-1 are upgraded to SHA-256.
    case CTC_MD5wRSA:
    case CTC_SHAwRSA:
    case CTC_SHAwECDSA:
    case CTC_SHAwDSA:
    case CTC_SHA256wRSA:
    case CTC_SHA256wECDSA:
    case CTC_SHA256wDSA: hash = WC_HASH_TYPE_SHA256; break;
    case CTC_SHA224wRSA:
    case CTC_SHA224wECDSA: hash = WC_HASH_TYPE_SHA224; break;
    case CTC_SHA384wRSA:
    case CTC_SHA384wECDSA: hash = WC_HASH_TYPE_SHA384; break;
    case CTC_SHA512wRSA:
    case CTC_SHA512wECDSA: hash = WC_HASH_TYPE_SHA512; break;
    case CTC_SHA3_224wRSA:
    case CTC_SHA3_224wECDSA: hash = WC_HASH_TYPE_SHA3_224; break;
    case CTC_SHA3_256wRSA:
    case CTC_SHA3_256wECDSA: hash = WC_HASH_TYPE_SHA3_256; break;
    case CTC_SHA3_384wRSA:
    case CTC_SHA3_384wECDSA: hash = WC_HASH_TYPE_SHA3_384; break;
    case CTC_SHA3_512wRSA:
    case CTC_SHA3_512wECDSA: hash = WC_HASH_TYPE_SHA3_512; break;
    default:
      return make_error(ErrorCategory::unsupported,
                        "channel binding: the server certificate's signature algorithm (wolfCrypt OID sum " +
                            std::to_string(cert->signatureOID) +
                            ") has no single hash to bind to; use channel_binding=disable or another certificate");
  }
  const int size = wc_HashGetDigestSize(hash);
  if (size <= 0) {
    return make_error(ErrorCategory::unsupported, "channel binding: wolfCrypt lacks the certificate's hash");
  }
  std::vector<std::byte> digest(static_cast<std::size_t>(size));
  if (const int rc = wc_Hash(hash, reinterpret_cast<const byte*>(cert_der.data()), static_cast<word32>(cert_der.size()),
                             reinterpret_cast<byte*>(digest.data()), static_cast<word32>(digest.size()));
      rc != 0) {
    return make_error(ErrorCategory::tls, "channel binding: hashing the certificate failed (wolfCrypt error " +
                                              std::to_string(rc) + ")");
  }
  return digest;
}

}  // namespace pgstream::auth
