#include "support/test_crl.hpp"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

namespace pgstream::testing {
namespace {

using Bytes = std::vector<unsigned char>;

Bytes tlv(unsigned char tag, const Bytes& value) {
  Bytes out{tag};
  const std::size_t n = value.size();
  if (n < 0x80) {
    out.push_back(static_cast<unsigned char>(n));
  } else if (n < 0x100) {
    out.insert(out.end(), {0x81, static_cast<unsigned char>(n)});
  } else {
    out.insert(out.end(), {0x82, static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)});
  }
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes utc_time(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%y%m%d%H%M%SZ", &tm);
  return tlv(0x17, Bytes(buf, buf + 13));
}

// One DER element at `pos`: where it starts, where its value starts, and where it ends.
struct Element {
  std::size_t start, value, end;
};

std::optional<Element> element(const Bytes& d, std::size_t pos) {
  if (pos + 2 > d.size()) return std::nullopt;
  std::size_t len = d[pos + 1], value = pos + 2;
  if (len & 0x80) {
    const std::size_t k = len & 0x7f;
    if (k == 0 || k > 3 || value + k > d.size()) return std::nullopt;
    len = 0;
    for (std::size_t i = 0; i < k; ++i) len = len << 8 | d[value + i];
    value += k;
  }
  if (value + len > d.size()) return std::nullopt;
  return Element{pos, value, value + len};
}

std::optional<Bytes> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::string write_test_crl(const std::string& ca_cert_pem, const std::string& ca_key_pem, bool revoke_ca_itself,
                           const std::string& out_path) {
  auto cert_pem = read_file(ca_cert_pem);
  auto key_pem = read_file(ca_key_pem);
  if (!cert_pem || !key_pem) return "cannot read the certificate or key";
  Bytes cert(cert_pem->size()), key_der(key_pem->size());
  int n = wc_CertPemToDer(cert_pem->data(), static_cast<int>(cert_pem->size()), cert.data(),
                          static_cast<int>(cert.size()), CERT_TYPE);
  if (n <= 0) return "certificate is not PEM";
  cert.resize(static_cast<std::size_t>(n));
  n = wc_KeyPemToDer(key_pem->data(), static_cast<int>(key_pem->size()), key_der.data(),
                     static_cast<int>(key_der.size()), nullptr);
  if (n <= 0) return "key is not PEM";
  key_der.resize(static_cast<std::size_t>(n));

  // Certificate ::= SEQ { tbs SEQ { [0] version, serial, sigAlg, issuer, validity, subject, ...
  auto outer = element(cert, 0);
  auto tbs = outer ? element(cert, outer->value) : std::nullopt;
  if (!tbs) return "cannot parse the certificate";
  std::vector<Element> fields;
  for (std::size_t pos = tbs->value; pos < tbs->end && fields.size() < 6;) {
    auto e = element(cert, pos);
    if (!e) return "cannot parse the certificate";
    fields.push_back(*e);
    pos = e->end;
  }
  if (fields.size() < 6 || cert[fields[0].start] != 0xa0) return "unexpected certificate layout";
  const Bytes serial(cert.begin() + static_cast<std::ptrdiff_t>(fields[1].start),
                     cert.begin() + static_cast<std::ptrdiff_t>(fields[1].end));
  const Bytes subject(cert.begin() + static_cast<std::ptrdiff_t>(fields[5].start),
                      cert.begin() + static_cast<std::ptrdiff_t>(fields[5].end));

  const Bytes ecdsa_sha256 = tlv(0x30, tlv(0x06, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}));
  const std::time_t now = std::time(nullptr);
  Bytes tbs_list = cat({tlv(0x02, {0x01}), ecdsa_sha256, subject, utc_time(now - 86400), utc_time(now + 30 * 86400)});
  if (revoke_ca_itself) tbs_list = cat({tbs_list, tlv(0x30, tlv(0x30, cat({serial, utc_time(now - 3600)})))});
  tbs_list = tlv(0x30, tbs_list);

  unsigned char hash[WC_SHA256_DIGEST_SIZE];
  if (wc_Sha256Hash(tbs_list.data(), static_cast<word32>(tbs_list.size()), hash) != 0) return "SHA-256 failed";
  ecc_key key;
  WC_RNG rng;
  if (wc_ecc_init(&key) != 0) return "cannot initialise an EC key";
  word32 idx = 0;
  if (wc_EccPrivateKeyDecode(key_der.data(), &idx, &key, static_cast<word32>(key_der.size())) != 0) {
    wc_ecc_free(&key);
    return "cannot decode the EC key";
  }
  if (wc_InitRng(&rng) != 0) {
    wc_ecc_free(&key);
    return "cannot initialise the random generator";
  }
  Bytes sig(ECC_MAX_SIG_SIZE);
  word32 sig_len = static_cast<word32>(sig.size());
  const int rc = wc_ecc_sign_hash(hash, sizeof hash, sig.data(), &sig_len, &rng, &key);
  wc_FreeRng(&rng);
  wc_ecc_free(&key);
  if (rc != 0) return "cannot sign the CRL";
  sig.resize(sig_len);
  sig.insert(sig.begin(), 0x00);  // BIT STRING: no unused bits

  const Bytes crl = tlv(0x30, cat({tbs_list, ecdsa_sha256, tlv(0x03, sig)}));
  Bytes pem(crl.size() * 2 + 256);
  n = wc_DerToPem(crl.data(), static_cast<word32>(crl.size()), pem.data(), static_cast<word32>(pem.size()), CRL_TYPE);
  if (n <= 0) return "cannot write the CRL as PEM";
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(pem.data()), n);
  return out ? "" : "cannot write " + out_path;
}

}  // namespace pgstream::testing
