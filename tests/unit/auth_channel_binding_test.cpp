#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgstream/auth/channel_binding.hpp"

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

TEST(AuthChannelBinding, Ed25519CertificateIsUnsupported) {
  auto r = tls_server_end_point_hash(from_hex(k_ed25519));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category(), ErrorCategory::unsupported);
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

}  // namespace
}  // namespace pgstream::auth
