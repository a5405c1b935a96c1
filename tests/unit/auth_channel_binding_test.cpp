#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgstream/auth/certificate_signature.hpp"
#include "pgstream/auth/channel_binding.hpp"
#include "vectors/vectors.hpp"

namespace pgstream::auth {
namespace {

// Self-signed test certificates (DER, hex). The first is the output of pgstream-make-cert
// (ECDSA P-256 with SHA-256); the others were made the same way with wolfCrypt, signed with
// ECDSA-SHA1/-SHA384/-SHA512 and Ed25519. Expected hashes were computed independently with
// Python's hashlib over the same DER bytes.
constexpr std::string_view k_ecdsa_sha256_make_cert =
    "308201f43082019ba0030201020210105452d5c9a4f11de6a81c81f43fb01c300a06082a8648ce3d0403023043310b30"
    "09060355040613025a5a3120301e060355040a0c17706773747265616d20736372617463682073657276657231123010"
    "06035504030c096c6f63616c686f73743022180f32303236313132343130333034305a180f3230333631313232313033"
    "3034305a3043310b3009060355040613025a5a3120301e060355040a0c17706773747265616d20736372617463682073"
    "65727665723112301006035504030c096c6f63616c686f73743059301306072a8648ce3d020106082a8648ce3d030107"
    "03420004ed1ae79dcab65cfcb117bb677beb29af09ca1618d4ca5d44df554d71ea32eb1aca9b44e4cecabffca5e7560f"
    "201f2a68f06d146c6cc310540ae51f1a4e1ebfd5a36d306b300c0603551d13040530030101ff302c0603551d11042530"
    "2382096c6f63616c686f737487047f000001871000000000000000000000000000000001301d0603551d0e04160414ff"
    "ee4bd6de755e8c13c84528ad74549f48c68acf300e0603551d0f0101ff040403020186300a06082a8648ce3d04030203"
    "47003044022072d493049c831938ddbde15da16c32a7c208de82f14a1c3675440abfc2d7013602203714fd537fd6d1cd"
    "9af8e4df394859aec2d5e5173f8b05989ef86d6a9fba8907";

constexpr std::string_view k_ecdsa_sha1 =
    "308201143081bda0030201020210530ea1a890b1282e51e9b65ce5e5d266300906072a8648ce3d0401300c310a300806"
    "035504030c01743022180f32303236313132343130333033355a180f32303336313132323130333033355a300c310a30"
    "0806035504030c01743059301306072a8648ce3d020106082a8648ce3d0301070342000460d50a7506cb598245597ec7"
    "ab417a04926b75fd0a2c0da9f36d19053a9b687c22bac7f569b15813cbe900ed4fe34d3c1947bb59450a8fe6434acd4e"
    "666693fd300906072a8648ce3d04010347003044022010bf7e6555ab08708f869a79fa2a1a12233aae3a0b2533dc11df"
    "779d91409833022023e65da045e336e9cd68e7f8816cc56af1bbaafee5344dc79c32137b05cc1bc6";

constexpr std::string_view k_ecdsa_sha384 =
    "308201173081bea00302010202105a9e068f77af5193689bf0f730378fc0300a06082a8648ce3d040303300c310a3008"
    "06035504030c01743022180f32303236313132343130333033355a180f32303336313132323130333033355a300c310a"
    "300806035504030c01743059301306072a8648ce3d020106082a8648ce3d0301070342000460d50a7506cb598245597e"
    "c7ab417a04926b75fd0a2c0da9f36d19053a9b687c22bac7f569b15813cbe900ed4fe34d3c1947bb59450a8fe6434acd"
    "4e666693fd300a06082a8648ce3d04030303480030450221009507181d480a4d63a9fdc86c723551979db2b65f43cf2b"
    "8320f2d63e83d5f7e60220691d65a5d4cd89a4e30cab3fb4c37c7d35a5a3d51ea347014e6f006047faa188";

constexpr std::string_view k_ecdsa_sha512 =
    "308201173081bea003020102021044e678e3b81be2e1189a268e7cdd1520300a06082a8648ce3d040304300c310a3008"
    "06035504030c01743022180f32303236313132343130333033355a180f32303336313132323130333033355a300c310a"
    "300806035504030c01743059301306072a8648ce3d020106082a8648ce3d0301070342000460d50a7506cb598245597e"
    "c7ab417a04926b75fd0a2c0da9f36d19053a9b687c22bac7f569b15813cbe900ed4fe34d3c1947bb59450a8fe6434acd"
    "4e666693fd300a06082a8648ce3d0403040348003045022100bcd2cfa600e6673a9b1b083a416b6993106d30cbead7f7"
    "6a4be77161b2a4912202207e63f68efd0cfc599aac9c8c542c19d749f05a70372a02b9b4bf75e15c65d08c";

constexpr std::string_view k_ed25519 =
    "3081d730818aa0030201020210206ef61b36a20295772c2d0a677124e5300506032b6570300c310a300806035504030c"
    "01743022180f32303236313132343130333033355a180f32303336313132323130333033355a300c310a300806035504"
    "030c0174302a300506032b6570032100aca5b33c08f3cc986a65d27954a9763853365cf2f62a13aae4fe5c0aec4ffdd1"
    "300506032b6570034100302fc105618b50b00ed149ef4639496826a8872e43d1f5da381ff630b13d2cbae64a55682aa0"
    "881edd096cb12c7773fb8e04f9c3de4f58f9ef180c7b96fcfb0e";

std::vector<std::byte> from_hex(std::string_view hex) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string to_hex(const std::vector<std::byte>& bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += k_digits[std::to_integer<unsigned>(b) >> 4];
    out += k_digits[std::to_integer<unsigned>(b) & 0xF];
  }
  return out;
}

std::string hash_hex(std::string_view der_hex) {
  auto r = tls_server_end_point_hash(from_hex(der_hex));
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().to_string());
  return r ? to_hex(*r) : "<error>";
}

TEST(AuthChannelBinding, Sha256SignedCertificateHashesWithSha256) {
  EXPECT_EQ(hash_hex(k_ecdsa_sha256_make_cert), "48cdff39ceab769d9e79f2d3e2d37ce7d3c280dc5f87515f1f2b538b897330a8");
}

TEST(AuthChannelBinding, Sha1SignatureIsUpgradedToSha256) {
  EXPECT_EQ(hash_hex(k_ecdsa_sha1), "3f747287ea247e00515c81d240f970dea370960553afd821cf2413bb5531e0c9");
}

TEST(AuthChannelBinding, Sha384AndSha512SignaturesUseTheirOwnHash) {
  EXPECT_EQ(hash_hex(k_ecdsa_sha384),
            "455184b4af0e17061ac94286c97326f795f7968c842f5507ab84bbb09bca4ccfc86d255dee1d517efe900df66fc0e1aa");
  EXPECT_EQ(hash_hex(k_ecdsa_sha512),
            "b99b5747a8109edd58019c664207b49a10a78064db3ad354765d29102c3c9397"
            "81b3688c851243a73758ba239236da5b43e54f9aee9561347117ecadcf7a0921");
}

TEST(AuthChannelBinding, Ed25519CertificateIsUnsupportedAndNamed) {
  auto r = tls_server_end_point_hash(from_hex(k_ed25519));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category(), ErrorCategory::unsupported);
  EXPECT_NE(r.error().message().find("Ed25519"), std::string::npos) << r.error().message();
}

TEST(AuthChannelBinding, GarbageIsNotACertificate) {
  auto der = from_hex(k_ecdsa_sha256_make_cert);
  der.resize(der.size() / 2);
  auto r = tls_server_end_point_hash(der);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category(), ErrorCategory::tls);
  auto empty = tls_server_end_point_hash({});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().category(), ErrorCategory::tls);
}


// Real certificates (tests/unit/vectors/cert_*.hex, made once with OpenSSL; the commands are in
// each file). Expected hashes: Python's cryptography read each certificate's signature hash,
// SHA-1 became SHA-256, and hashlib hashed the DER bytes.
struct Vector {
  const char* name;
  BindingHash hash;
  std::string_view expected;
};

constexpr Vector k_vectors[] = {
    {"cert_rsa_pkcs1_sha1", BindingHash::sha256, "e747b27f73af241440360bc36f6d96a912284e24519ff45ef0f372dcd48acad9"},
    {"cert_rsa_pkcs1_sha224", BindingHash::sha224, "79881d03cc8a4a83e48631c5d58f87ebb74eb9fbc2a02574560ed99c"},
    {"cert_rsa_pkcs1_sha256", BindingHash::sha256, "22e084c6f93e9ad97e1ebc6265fd660d43984a7f802caffb83f33b370f1ab333"},
    {"cert_rsa_pkcs1_sha384", BindingHash::sha384,
     "8189eb8cfd391939c491c4a4ed4be19d1b630011b0cb3b1c0800c9f8114aa459c7a234ec5d9451805b075f1bc1e33ea0"},
    {"cert_rsa_pkcs1_sha512", BindingHash::sha512,
     "687aed9dbecfcd64fa15288cd78e51386e12774a6b0ff3cd706186b0a029be6f"
     "29a2572aacced59818455d211adbf4b37d39d67dc40cfa4329bd2c898fc6f93b"},
    {"cert_ecdsa_sha224", BindingHash::sha224, "a453d4299ead2dd03cd99c7e4efbf8f675573dcf23f1530b425cb891"},
    {"cert_ecdsa_sha3_256", BindingHash::sha3_256, "0d2d6b584059b2290a7baccbe65680ada3ff5724bf2ea597196508f00da35398"},
    {"cert_rsa_pss_sha1", BindingHash::sha256, "11f42e3c0140df96515c4a4a56db16b700b2d4484d8c65bb66d2951c04814235"},
    {"cert_rsa_pss_sha256", BindingHash::sha256, "b60b47482cef0c20703f5886c8efa0e8a5f9efd565320b5811e70e985f2d162f"},
    {"cert_rsa_pss_sha384", BindingHash::sha384,
     "e60d80156a1b0b583922fdc807f3f4c3574fadc8910c19921d68deb2052d43822470b8ba182eed0a986bb627361004b5"},
    {"cert_rsa_pss_sha512", BindingHash::sha512,
     "bb2dac5e33f280c5e64ebaef161ba8943e37790f72f4cfa54485bec2302fd821"
     "0c3ac709fc51690ccfeb455cc8ca16bf1dae59778c5f6e1ab77ed07fa44f8346"},
    // The binding follows the PSS hashAlgorithm, not the MGF1 hash.
    {"cert_rsa_pss_sha384_mgf1_sha256", BindingHash::sha384,
     "55a7cdc0dabc6f953b30895f45da0f0b6988eb5a829edf2c68f2be32f327d66b4c459cc91c6a5cab4deec82e6d4499b4"},
};

TEST(AuthChannelBinding, EverySignatureAlgorithmOfRealCertificatesHashesLikeTheServer) {
  for (const auto& v : k_vectors) {
    SCOPED_TRACE(v.name);
    const auto der = pgstream::testing::load_vector(v.name);
    ASSERT_FALSE(der.empty());
    auto algorithm = tls_server_end_point_hash_algorithm(der);
    ASSERT_TRUE(algorithm.has_value()) << algorithm.error().to_string();
    EXPECT_EQ(to_string(*algorithm), to_string(v.hash));
    auto hash = tls_server_end_point_hash(der);
    ASSERT_TRUE(hash.has_value()) << hash.error().to_string();
    EXPECT_EQ(to_hex(*hash), v.expected);
  }
}

TEST(AuthChannelBinding, Ed448CertificateIsUnsupportedAndNamed) {
  auto r = tls_server_end_point_hash(pgstream::testing::load_vector("cert_ed448"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category(), ErrorCategory::unsupported);
  EXPECT_NE(r.error().message().find("Ed448"), std::string::npos) << r.error().message();
}

// Hand-made certificates: only the outer structure and signatureAlgorithm are real, which is all
// the binding reads. Expected hashes: the same bytes built in Python, hashed with hashlib.
std::string tlv(unsigned tag, std::string_view body) {
  return std::string{static_cast<char>(tag), static_cast<char>(body.size())} + std::string(body);
}
std::string oid(std::string_view hex) {
  std::string body;
  for (auto b : from_hex(hex)) body += static_cast<char>(b);
  return tlv(0x06, body);
}
std::string algid(std::string_view oid_hex, std::string_view params = {}) { return tlv(0x30, oid(oid_hex) + std::string(params)); }
std::vector<std::byte> cert_signed_with(const std::string& algorithm_fields) {
  const std::string der = tlv(0x30, tlv(0x30, "") + tlv(0x30, algorithm_fields) + tlv(0x03, std::string(1, '\0')));
  std::vector<std::byte> out;
  for (char c : der) out.push_back(static_cast<std::byte>(c));
  return out;
}

constexpr std::string_view k_pss = "2a864886f70d01010a";
constexpr std::string_view k_mgf1 = "2a864886f70d010108";
constexpr std::string_view k_sha256 = "608648016503040201";
const std::string k_null = tlv(0x05, "");

std::string pss_params(const std::string& fields) { return oid(k_pss) + tlv(0x30, fields); }

TEST(AuthChannelBinding, PssParametersChooseTheHash) {
  struct Case {
    const char* what;
    std::vector<std::byte> der;
    std::string_view expected;
  };
  const Case cases[] = {
      {"empty parameters: SHA-1 by default, upgraded", cert_signed_with(pss_params("")),
       "39d0d9d9a413975df022995e48e88602ae62180109162e3e8de16a7c2fc34c46"},
      {"SHA-512/224", cert_signed_with(pss_params(tlv(0xa0, algid("608648016503040205")))),
       "a8d4b1ec479c8247d7456b0fc8b45269b0330c76abdf79d7d134c690"},
      {"SHA3-256 with every field present",
       cert_signed_with(pss_params(tlv(0xa0, algid("608648016503040208", k_null)) +
                                   tlv(0xa1, algid(k_mgf1, algid(k_sha256))) + tlv(0xa2, tlv(0x02, "\x20")) +
                                   tlv(0xa3, tlv(0x02, "\x01")))),
       "babb50d7281ca0844a1414c906e5a621d93cce01c363e3e8bd179f6c4e6be7c1"},
      {"sha512-256WithRSAEncryption", cert_signed_with(oid("2a864886f70d010110") + k_null),
       "48cce6134d29ae281144971c3cca60d84e475eae84e49f196d9238b859d7436a"},
      {"dsa-with-sha3-512", cert_signed_with(oid("608648016503040308")),
       "83767b5503ce981650dd20ff12273aa96b18a16a46f04bd27c01e46850e09ad9"
       "8e870d06f82e5957e26a82d26432e80d5bc1ab2bdab6ad35a904ad9537097ae1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto hash = tls_server_end_point_hash(c.der);
    ASSERT_TRUE(hash.has_value()) << hash.error().to_string();
    EXPECT_EQ(to_hex(*hash), c.expected);
  }
}

TEST(AuthChannelBinding, SignaturesWithoutAHashToBindAreRefusedByName) {
  struct Case {
    std::string fields;
    std::string_view named;
  };
  const Case cases[] = {
      {oid(k_pss), "RSASSA-PSS without its parameters"},
      {oid(k_pss) + k_null, "RSASSA-PSS without its parameters"},
      {pss_params(tlv(0xa0, algid("2a0304"))), "unknown hash 1.2.3.4"},
      {pss_params(tlv(0xa0, algid("60864801650304020c"))), "SHAKE256"},
      {pss_params(tlv(0xa1, algid("2a0305", algid(k_sha256)))), "mask generation function 1.2.3.5"},
      {pss_params(tlv(0xa1, algid(k_mgf1, algid("2a0306")))), "MGF1 over the unknown hash 1.2.3.6"},
      {pss_params(tlv(0xa3, tlv(0x02, "\x02"))), "trailer field other than 1"},
      {pss_params(tlv(0xa2, tlv(0x02, "\xff"))), "parameters are malformed"},  // a negative salt length
      // Out of order: saltLength before hashAlgorithm.
      {pss_params(tlv(0xa2, tlv(0x02, "\x20")) + tlv(0xa0, algid(k_sha256))), "parameters are malformed"},
      {pss_params(tlv(0xa0, algid(k_sha256)) + tlv(0x05, "")), "parameters are malformed"},
      {oid("2a864886f70d010102") + k_null, "md2WithRSAEncryption"},
      {oid("2a8648ce3d0403ff7f"), "unknown signature algorithm 1.2.840.10045.4.3.16383"},
  };
  for (const auto& c : cases) {
    auto r = tls_server_end_point_hash(cert_signed_with(c.fields));
    ASSERT_FALSE(r.has_value()) << c.named;
    EXPECT_EQ(r.error().category(), ErrorCategory::unsupported) << r.error().message();
    EXPECT_NE(r.error().message().find(c.named), std::string::npos) << r.error().message();
  }
}

TEST(AuthChannelBinding, EveryTruncationOfACertificateIsRefusedAsNotACertificate) {
  const auto der = pgstream::testing::load_vector("cert_rsa_pss_sha384");
  ASSERT_FALSE(der.empty());
  for (std::size_t n = 0; n < der.size(); ++n) {
    auto r = tls_server_end_point_hash_algorithm(std::span(der).first(n));
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().category(), ErrorCategory::tls) << n;
  }
  auto longer = der;
  longer.push_back(std::byte{0});
  auto trailing = tls_server_end_point_hash_algorithm(longer);
  ASSERT_FALSE(trailing.has_value());
  EXPECT_EQ(trailing.error().category(), ErrorCategory::tls);
}

TEST(AuthChannelBinding, LengthsPointingPastTheEndAreRefused) {
  // Outer SEQUENCE claiming 2^32-1 bytes, an indefinite length, a high tag number, a 5-octet length.
  for (std::string_view hex : {"30 84 ff ff ff ff 30 00", "30 80 30 00 00 00", "1f 81 01 00", "30 85 00 00 00 00 02"}) {
    std::string digits;
    for (char c : hex)
      if (c != ' ') digits += c;
    auto r = tls_server_end_point_hash_algorithm(from_hex(digits));
    ASSERT_FALSE(r.has_value()) << hex;
    EXPECT_EQ(r.error().category(), ErrorCategory::tls) << hex;
  }
  // A signatureAlgorithm whose OID length runs past its SEQUENCE.
  auto r = tls_server_end_point_hash_algorithm(from_hex("300c3000300506093000000003010000"));
  ASSERT_FALSE(r.has_value());
}

TEST(AuthChannelBinding, OnlyTheSignatureAlgorithmDecidesAndCorruptionIsAnswered) {
  // Every byte set to a few values: inside tbsCertificate (which the binding never parses) the
  // answer stays SHA-256; elsewhere it is a hash or an error, never a read out of bounds (the
  // sanitizer build runs this under ASan).
  const auto der = pgstream::testing::load_vector("cert_rsa_pss_sha256");
  ASSERT_GT(der.size(), 8u);
  ASSERT_EQ(std::to_integer<unsigned>(der[5]), 0x82u);  // tbsCertificate: 30 82 <2-byte length>
  const std::size_t tbs_end = 8 + (std::to_integer<std::size_t>(der[6]) << 8) + std::to_integer<std::size_t>(der[7]);
  std::size_t refused = 0;
  for (std::size_t i = 0; i < der.size(); ++i) {
    for (unsigned value : {0x00u, 0x7fu, 0x80u, 0x84u, 0xffu}) {
      if (std::to_integer<unsigned>(der[i]) == value) continue;
      auto copy = der;
      copy[i] = static_cast<std::byte>(value);
      auto r = tls_server_end_point_hash_algorithm(copy);
      if (i >= 8 && i < tbs_end) {
        ASSERT_TRUE(r.has_value()) << i << ": " << r.error().to_string();
        EXPECT_EQ(*r, BindingHash::sha256) << i;
      } else if (!r) {
        ++refused;
      }
    }
  }
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace pgstream::auth
