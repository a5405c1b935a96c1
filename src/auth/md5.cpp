#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/md5.h>

#include "pgstream/auth/md5.hpp"

#include <array>

#include "secure_memory.hpp"

namespace pgstream::auth {
namespace {

using Digest = std::array<unsigned char, WC_MD5_DIGEST_SIZE>;
using HexDigest = std::array<char, 2 * WC_MD5_DIGEST_SIZE>;

// Frees the wolfCrypt state and wipes it: it holds password-derived bytes.
struct Md5 {
  wc_Md5 state{};
  bool ready = false;
  Md5() { ready = wc_InitMd5(&state) == 0; }
  ~Md5() {
    wc_Md5Free(&state);
    detail::secure_zero(&state, sizeof state);
  }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  bool update(const void* data, std::size_t size) {
    return wc_Md5Update(&state, static_cast<const byte*>(data), static_cast<word32>(size)) == 0;
  }
};

void to_hex(const Digest& digest, HexDigest& hex) {
  constexpr char k_digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < digest.size(); ++i) {
    hex[2 * i] = k_digits[digest[i] >> 4];
    hex[2 * i + 1] = k_digits[digest[i] & 0xF];
  }
}

}  // namespace

Result<std::string> md5_password_response(std::string_view user, std::string_view password,
                                          std::span<const std::byte, 4> salt) {
  Digest digest{};
  HexDigest hex{};
  bool ok = false;
  {
    Md5 inner;
    ok = inner.ready && inner.update(password.data(), password.size()) && inner.update(user.data(), user.size()) &&
         wc_Md5Final(&inner.state, digest.data()) == 0;
  }
  if (ok) {
    to_hex(digest, hex);
    Md5 outer;
    ok = outer.ready && outer.update(hex.data(), hex.size()) && outer.update(salt.data(), salt.size()) &&
         wc_Md5Final(&outer.state, digest.data()) == 0;
  }
  std::string response;
  if (ok) {
    to_hex(digest, hex);
    response.reserve(3 + hex.size());
    response.append("md5").append(hex.data(), hex.size());
  }
  detail::secure_zero(digest.data(), digest.size());
  detail::secure_zero(hex.data(), hex.size());
  if (!ok) return make_error(ErrorCategory::auth, "MD5 password authentication failed: wolfCrypt MD5 is unavailable");
  return response;
}

}  // namespace pgstream::auth
