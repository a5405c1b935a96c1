#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha3.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include "pgstream/auth/channel_binding.hpp"

#include <string>

#include "pgstream/auth/certificate_signature.hpp"

namespace pgstream::auth {
namespace {

struct HashFunction {
  wc_HashType type = WC_HASH_TYPE_NONE;  // NONE: a wolfCrypt function outside wc_Hash
  int (*direct)(const byte*, word32, byte*) = nullptr;
  std::size_t size = 0;
};

HashFunction hash_function(BindingHash hash) noexcept {
  switch (hash) {
    case BindingHash::sha224: return {WC_HASH_TYPE_SHA224, nullptr, WC_SHA224_DIGEST_SIZE};
    case BindingHash::sha256: return {WC_HASH_TYPE_SHA256, nullptr, WC_SHA256_DIGEST_SIZE};
    case BindingHash::sha384: return {WC_HASH_TYPE_SHA384, nullptr, WC_SHA384_DIGEST_SIZE};
    case BindingHash::sha512: return {WC_HASH_TYPE_SHA512, nullptr, WC_SHA512_DIGEST_SIZE};
    // This wolfSSL's wc_Hash has no SHA-512/t types, but the functions exist.
    case BindingHash::sha512_224: return {WC_HASH_TYPE_NONE, wc_Sha512_224Hash, WC_SHA512_224_DIGEST_SIZE};
    case BindingHash::sha512_256: return {WC_HASH_TYPE_NONE, wc_Sha512_256Hash, WC_SHA512_256_DIGEST_SIZE};
    case BindingHash::sha3_224: return {WC_HASH_TYPE_SHA3_224, nullptr, WC_SHA3_224_DIGEST_SIZE};
    case BindingHash::sha3_256: return {WC_HASH_TYPE_SHA3_256, nullptr, WC_SHA3_256_DIGEST_SIZE};
    case BindingHash::sha3_384: return {WC_HASH_TYPE_SHA3_384, nullptr, WC_SHA3_384_DIGEST_SIZE};
    case BindingHash::sha3_512: return {WC_HASH_TYPE_SHA3_512, nullptr, WC_SHA3_512_DIGEST_SIZE};
  }
  return {};
}

}  // namespace

Result<std::vector<std::byte>> tls_server_end_point_hash(std::span<const std::byte> cert_der) {
  if (cert_der.empty()) return make_error(ErrorCategory::tls, "channel binding: the server sent no certificate");
  auto algorithm = tls_server_end_point_hash_algorithm(cert_der);
  if (!algorithm) return std::unexpected(algorithm.error());
  const HashFunction f = hash_function(*algorithm);
  std::vector<std::byte> digest(f.size);
  const auto* in = reinterpret_cast<const byte*>(cert_der.data());
  const auto in_size = static_cast<word32>(cert_der.size());
  auto* out = reinterpret_cast<byte*>(digest.data());
  const int rc = f.direct ? f.direct(in, in_size, out)
                 : f.size  ? wc_Hash(f.type, in, in_size, out, static_cast<word32>(digest.size()))
                           : -1;
  if (rc != 0) {
    return make_error(ErrorCategory::unsupported, "channel binding: hashing the server certificate with " +
                                                      std::string(to_string(*algorithm)) +
                                                      " failed (wolfCrypt error " + std::to_string(rc) + ")");
  }
  return digest;
}

}  // namespace pgstream::auth
