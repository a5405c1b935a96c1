// The tls-server-end-point hash choice over hostile certificate bytes: the DER reader and the
// RSASSA-PSS parameter parser must never read outside the input, and every answer is a hash or
// an error of the two documented categories.
//
// Input: the certificate's DER bytes. Seeds: tests/fuzz/corpus/certificate_signature (the
// certificates of tests/unit/vectors/cert_*.hex).

#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "pgstream/auth/certificate_signature.hpp"
#include "pgstream/auth/channel_binding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pa = pgstream::auth;
  const auto der = std::as_bytes(std::span(data, size));
  auto algorithm = pa::tls_server_end_point_hash_algorithm(der);
  if (!algorithm) {
    PGSTREAM_FUZZ_CHECK(algorithm.error().category() == pgstream::ErrorCategory::tls ||
                        algorithm.error().category() == pgstream::ErrorCategory::unsupported);
    return 0;
  }
  auto hash = pa::tls_server_end_point_hash(der);
  PGSTREAM_FUZZ_CHECK(hash.has_value());
  PGSTREAM_FUZZ_CHECK(hash->size() >= 28 && hash->size() <= 64);
  return 0;
}
