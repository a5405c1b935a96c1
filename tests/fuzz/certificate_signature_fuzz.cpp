// The tls-server-end-point hash choice over hostile certificate bytes: the DER reader and the
// RSASSA-PSS parameter parser must never read outside the input, and every answer is a hash or
// an error of the two documented categories. The same bytes go through verify-full's name
// reader and host matching (tls/certificate_names), whose message must stay on one line.
//
// Input: the certificate's DER bytes. Seeds: tests/fuzz/corpus/certificate_signature (the
// certificates of tests/unit/vectors/cert_*.hex).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "pgstream/auth/certificate_signature.hpp"
#include "pgstream/auth/channel_binding.hpp"
#include "pgstream/tls/certificate_names.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pa = pgstream::auth;
  const auto der = std::as_bytes(std::span(data, size));
  if (auto names = pgstream::tls::certificate_names(der)) {
    for (const char* host : {"localhost", "127.0.0.1", "::1", "a.db.example.com"})
      (void)pgstream::tls::certificate_matches_host(*names, host);
    PGSTREAM_FUZZ_CHECK(pgstream::tls::describe_names(*names).find('\n') == std::string::npos);
  } else {
    PGSTREAM_FUZZ_CHECK(names.error().category() == pgstream::ErrorCategory::tls);
  }
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
