#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/pwdbased.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "support/scram_server.hpp"

#include <array>

#include "pgstream/auth/base64.hpp"

namespace pgstream::testing {
namespace {

using Key = std::array<unsigned char, WC_SHA256_DIGEST_SIZE>;

const byte* bytes_of(std::string_view s) { return reinterpret_cast<const byte*>(s.data()); }

Key hmac(const Key& key, std::string_view message) {
  Key out{};
  Hmac h;
  wc_HmacInit(&h, nullptr, INVALID_DEVID);
  wc_HmacSetKey(&h, WC_SHA256, key.data(), key.size());
  wc_HmacUpdate(&h, bytes_of(message), static_cast<word32>(message.size()));
  wc_HmacFinal(&h, out.data());
  wc_HmacFree(&h);
  return out;
}

std::string b64(const Key& k) { return auth::base64_encode(std::as_bytes(std::span(k))); }

}  // namespace

std::optional<std::string> ScramServer::server_first(std::string_view client_first) {
  if (!client_first.starts_with("n,,")) return std::nullopt;  // no channel binding over plain TCP
  client_first_bare_ = std::string(client_first.substr(3));
  const auto r = client_first_bare_.find("r=");
  if (r == std::string::npos) return std::nullopt;
  const std::string client_nonce = client_first_bare_.substr(r + 2, client_first_bare_.find(',', r) - r - 2);
  server_first_ = "r=" + client_nonce + server_nonce_ + ",s=" + auth::base64_encode(std::string_view(salt_)) +
                  ",i=" + std::to_string(iterations_);
  return server_first_;
}

std::optional<std::string> ScramServer::server_final(std::string_view client_final) {
  const auto p = client_final.rfind(",p=");
  if (p == std::string_view::npos) return std::nullopt;
  const std::string_view without_proof = client_final.substr(0, p);
  auto proof = auth::base64_decode(client_final.substr(p + 3));
  if (!proof || proof->size() != Key{}.size()) return std::nullopt;

  Key salted{};
  wc_PBKDF2(salted.data(), bytes_of(password_), static_cast<int>(password_.size()), bytes_of(salt_),
            static_cast<int>(salt_.size()), iterations_, static_cast<int>(salted.size()), WC_SHA256);
  const Key client_key_expected = hmac(salted, "Client Key");
  Key stored_key{};
  wc_Sha256Hash(client_key_expected.data(), static_cast<word32>(client_key_expected.size()), stored_key.data());
  const std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  const Key client_signature = hmac(stored_key, auth_message);
  // ClientKey = proof XOR ClientSignature; the client knows the password iff H(ClientKey) = StoredKey.
  Key client_key{};
  for (std::size_t i = 0; i < client_key.size(); ++i)
    client_key[i] = static_cast<unsigned char>(static_cast<unsigned char>((*proof)[i]) ^ client_signature[i]);
  Key check{};
  wc_Sha256Hash(client_key.data(), static_cast<word32>(client_key.size()), check.data());
  if (check != stored_key) return std::nullopt;
  return "v=" + b64(hmac(hmac(salted, "Server Key"), auth_message));
}

}  // namespace pgstream::testing
