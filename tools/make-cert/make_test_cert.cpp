// pgstream-make-cert: writes a fresh self-signed certificate for a scratch Postgres server.
//
//   pgstream-make-cert OUT_DIR [HOSTNAME...]
//
// Writes OUT_DIR/server.crt, OUT_DIR/server.key (mode 0600) and OUT_DIR/root.crt (the same
// certificate: being self-signed, it is its own CA, which is what sslrootcert wants). The
// certificate names localhost, 127.0.0.1 and ::1 (plus any HOSTNAME given) as subject alt names,
// so sslmode=verify-full works against the scratch server. wolfCrypt makes the key and signs;
// there is no OpenSSL anywhere.

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& what, int code) {
  std::fprintf(stderr, "pgstream-make-cert: %s (wolfCrypt error %d)\n", what.c_str(), code);
  std::exit(1);
}

bool write_file(const std::string& path, const unsigned char* data, size_t size, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  ::fchmod(fd, mode);  // an existing file keeps its old mode otherwise
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return ::close(fd) == 0;
}

// DER of the GeneralNames sequence: dNSName [2] entries and iPAddress [7] entries.
std::vector<unsigned char> alt_names(const std::vector<std::string>& dns_names) {
  std::vector<unsigned char> inner;
  for (const auto& name : dns_names) {
    inner.push_back(0x82);
    inner.push_back(static_cast<unsigned char>(name.size()));
    inner.insert(inner.end(), name.begin(), name.end());
  }
  const unsigned char v4[] = {0x87, 4, 127, 0, 0, 1};
  inner.insert(inner.end(), std::begin(v4), std::end(v4));
  unsigned char v6[18] = {0x87, 16};
  v6[17] = 1;  // ::1
  inner.insert(inner.end(), std::begin(v6), std::end(v6));
  std::vector<unsigned char> out{0x30, static_cast<unsigned char>(inner.size())};
  out.insert(out.end(), inner.begin(), inner.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pgstream-make-cert OUT_DIR [HOSTNAME...]\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::vector<std::string> names{"localhost"};
  for (int i = 2; i < argc; ++i) {
    if (std::strlen(argv[i]) > 60) {
      std::fprintf(stderr, "pgstream-make-cert: host name too long: %s\n", argv[i]);
      return 2;
    }
    names.emplace_back(argv[i]);
  }

  WC_RNG rng;
  if (int rc = wc_InitRng(&rng); rc != 0) die("cannot initialise the random generator", rc);
  ecc_key key;
  if (int rc = wc_ecc_init(&key); rc != 0) die("cannot initialise an EC key", rc);
  if (int rc = wc_ecc_make_key_ex(&rng, 32, &key, ECC_SECP256R1); rc != 0) die("cannot make a P-256 key", rc);

  Cert cert;
  if (int rc = wc_InitCert(&cert); rc != 0) die("cannot initialise the certificate", rc);
  std::snprintf(cert.subject.country, CTC_NAME_SIZE, "%s", "ZZ");
  std::snprintf(cert.subject.org, CTC_NAME_SIZE, "%s", "pgstream scratch server");
  std::snprintf(cert.subject.commonName, CTC_NAME_SIZE, "%s", "localhost");
  cert.daysValid = 3650;
  cert.selfSigned = 1;
  cert.isCA = 1;  // it must verify as its own root
  cert.sigType = CTC_SHA256wECDSA;
  auto san = alt_names(names);
  if (san.size() > sizeof(cert.altNames)) die("too many subject alt names", 0);
  std::memcpy(cert.altNames, san.data(), san.size());
  cert.altNamesSz = static_cast<int>(san.size());
  if (int rc = wc_SetSubjectKeyIdFromPublicKey_ex(&cert, ECC_TYPE, &key); rc != 0) die("cannot set the key id", rc);
  if (int rc = wc_SetKeyUsage(&cert, "digitalSignature,keyCertSign,cRLSign"); rc != 0) die("cannot set key usage", rc);

  std::vector<unsigned char> der(8192);
  int body = wc_MakeCert_ex(&cert, der.data(), static_cast<word32>(der.size()), ECC_TYPE, &key, &rng);
  if (body < 0) die("cannot make the certificate", body);
  int der_size = wc_SignCert_ex(cert.bodySz, cert.sigType, der.data(), static_cast<word32>(der.size()), ECC_TYPE, &key, &rng);
  if (der_size < 0) die("cannot sign the certificate", der_size);

  std::vector<unsigned char> pem(16384);
  int pem_size = wc_DerToPem(der.data(), static_cast<word32>(der_size), pem.data(), static_cast<word32>(pem.size()), CERT_TYPE);
  if (pem_size < 0) die("cannot write the certificate as PEM", pem_size);

  std::vector<unsigned char> key_der(1024);
  int key_der_size = wc_EccKeyToDer(&key, key_der.data(), static_cast<word32>(key_der.size()));
  if (key_der_size < 0) die("cannot serialise the key", key_der_size);
  std::vector<unsigned char> key_pem(4096);
  int key_pem_size = wc_DerToPem(key_der.data(), static_cast<word32>(key_der_size), key_pem.data(),
                                 static_cast<word32>(key_pem.size()), ECC_PRIVATEKEY_TYPE);
  if (key_pem_size < 0) die("cannot write the key as PEM", key_pem_size);

  for (const char* name : {"server.crt", "root.crt"}) {
    if (!write_file(dir + "/" + name, pem.data(), static_cast<size_t>(pem_size), 0644)) {
      std::fprintf(stderr, "pgstream-make-cert: cannot write %s/%s: %s\n", dir.c_str(), name, std::strerror(errno));
      return 1;
    }
  }
  if (!write_file(dir + "/server.key", key_pem.data(), static_cast<size_t>(key_pem_size), 0600)) {
    std::fprintf(stderr, "pgstream-make-cert: cannot write %s/server.key: %s\n", dir.c_str(), std::strerror(errno));
    return 1;
  }
  wc_ecc_free(&key);
  wc_FreeRng(&rng);
  return 0;
}
