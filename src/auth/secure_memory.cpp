#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "secure_memory.hpp"

namespace pgstream::auth::detail {

void secure_zero(void* data, std::size_t size) noexcept {
  if (size != 0) wolfSSL_OPENSSL_cleanse(data, size);
}

bool constant_time_equal(std::span<const std::byte> a, std::span<const std::byte> b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return wolfSSL_CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace pgstream::auth::detail
