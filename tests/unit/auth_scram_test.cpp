#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgstream/auth/base64.hpp"
#include "pgstream/auth/scram.hpp"

namespace pgstream::auth {
namespace {

// RFC 7677 section 3.
constexpr std::string_view k_rfc_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view k_rfc_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view k_rfc_client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view k_rfc_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

// Our own vectors, computed independently with Python (hashlib.pbkdf2_hmac, hmac):
constexpr std::string_view k_nonce = "fyko+d2lbbFgONRv9qkxdawL";
constexpr std::string_view k_server_first = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
// SHA-256 of the pgstream-make-cert certificate used in auth_channel_binding_test.cpp.
constexpr std::string_view k_cert_hash_hex = "48cdff39ceab769d9e79f2d3e2d37ce7d3c280dc5f87515f1f2b538b897330a8";

std::vector<std::byte> from_hex(std::string_view hex) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

ScramClient rfc_client() {
  auto c = ScramClient::create({.password = "pencil", .username = "user", .client_nonce = k_rfc_nonce});
  EXPECT_TRUE(c.has_value());
  return std::move(*c);
}

TEST(AuthScram, ReproducesRfc7677Exchange) {
  ScramClient c = rfc_client();
  EXPECT_EQ(c.mechanism(), "SCRAM-SHA-256");
  EXPECT_EQ(c.client_first_message(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  auto final_msg = c.handle_server_first(k_rfc_server_first);
  ASSERT_TRUE(final_msg.has_value()) << final_msg.error().to_string();
  EXPECT_EQ(*final_msg, k_rfc_client_final);
  EXPECT_FALSE(c.complete());
  auto done = c.handle_server_final(k_rfc_server_final);
  ASSERT_TRUE(done.has_value()) << done.error().to_string();
  EXPECT_TRUE(c.complete());
}

TEST(AuthScram, PostgresStyleClientFirstHasEmptyUser) {
  auto c = ScramClient::create({.password = "pencil", .client_nonce = k_nonce});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->client_first_message(), "n,,n=,r=fyko+d2lbbFgONRv9qkxdawL");
}

TEST(AuthScram, UsernameIsEscapedAsSaslname) {
  auto c = ScramClient::create({.password = "x", .username = "a=b,c", .client_nonce = k_nonce});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->client_first_message(), "n,,n=a=3Db=2Cc,r=fyko+d2lbbFgONRv9qkxdawL");
}

TEST(AuthScram, RandomNonceIs24BytesOfBase64AndDiffers) {
  auto a = ScramClient::create({.password = "x"});
  auto b = ScramClient::create({.password = "x"});
  ASSERT_TRUE(a.has_value() && b.has_value());
  const std::string_view first = a->client_first_message();
  ASSERT_TRUE(first.starts_with("n,,n=,r="));
  const std::string_view nonce = first.substr(8);
  EXPECT_EQ(nonce.size(), 32U);
  auto raw = base64_decode(nonce);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->size(), 24U);
  EXPECT_NE(a->client_first_message(), b->client_first_message());
}

TEST(AuthScram, WrongServerSignatureIsRejected) {
  ScramClient c = rfc_client();
  ASSERT_TRUE(c.handle_server_first(k_rfc_server_first).has_value());
  auto done = c.handle_server_final("v=6rriTRBi23WpRR/wa7U6CO4Z8wBvTFFP6MGadAl5Ddw=");
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().category(), ErrorCategory::auth);
  EXPECT_EQ(done.error().message(),
            "server signature mismatch: the server does not know the password (possible man-in-the-middle)");
  EXPECT_FALSE(c.complete());
}

TEST(AuthScram, TruncatedServerSignatureIsRejected) {
  ScramClient c = rfc_client();
  ASSERT_TRUE(c.handle_server_first(k_rfc_server_first).has_value());
  auto done = c.handle_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl9");
  ASSERT_FALSE(done.has_value());
  EXPECT_FALSE(c.complete());
}

TEST(AuthScram, ServerErrorIsReported) {
  ScramClient c = rfc_client();
  ASSERT_TRUE(c.handle_server_first(k_rfc_server_first).has_value());
  auto done = c.handle_server_final("e=invalid-proof");
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().category(), ErrorCategory::auth);
  EXPECT_EQ(done.error().message(), "SCRAM: the server rejected the authentication: invalid-proof");
}

TEST(AuthScram, ServerNonceMustExtendClientNonce) {
  for (std::string_view server_first :
       {"r=XOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // nothing added by the server
        "r=rOprNGfwEbe,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"}) {
    ScramClient c = rfc_client();
    auto r = c.handle_server_first(server_first);
    ASSERT_FALSE(r.has_value()) << server_first;
    EXPECT_EQ(r.error().category(), ErrorCategory::auth);
    EXPECT_EQ(r.error().message(),
              "SCRAM: the server's nonce does not extend the client's; refusing (possible replay)");
  }
}

TEST(AuthScram, MalformedServerFirstIsRejected) {
  const std::string nonce = "r=rOprNGfwEbeRWgbNEkqO%hvY";
  for (const std::string& bad : {
           nonce + ",i=4096",                                   // missing s=
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==",               // missing i=
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",           // zero iterations
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1",
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=",
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=40x96",
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10000001",    // above the cap
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999999999999",
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096",         // bad base64
           nonce + ",s=,i=4096",                                 // empty salt
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,",       // trailing comma
           nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096garbage",
           "m=ext," + nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // mandatory extension
           "s=W22ZaJ0SNY7soEsUEjb6gQ==," + nonce + ",i=4096",   // wrong order
           std::string{},
       }) {
    ScramClient c = rfc_client();
    auto r = c.handle_server_first(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().category(), ErrorCategory::auth) << bad;
    // A failed exchange cannot continue.
    EXPECT_FALSE(c.handle_server_final(k_rfc_server_final).has_value());
  }
}

TEST(AuthScram, MandatoryExtensionHasItsOwnMessage) {
  ScramClient c = rfc_client();
  auto r = c.handle_server_first("m=ext,r=rOprNGfwEbeRWgbNEkqO%hvY,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "SCRAM: the server requires an extension (m=) this client does not support");
}

TEST(AuthScram, OptionalExtensionsAfterIterationCountAreIgnored) {
  ScramClient c = rfc_client();
  auto r = c.handle_server_first(std::string(k_rfc_server_first) + ",x=whatever");
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  // The proof covers the whole server-first-message, so it differs from the RFC's.
  EXPECT_NE(*r, k_rfc_client_final);
  EXPECT_TRUE(r->starts_with("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p="));
}

TEST(AuthScram, MessagesOutOfOrderAreRejected) {
  ScramClient c = rfc_client();
  EXPECT_FALSE(c.handle_server_final(k_rfc_server_final).has_value());
  ScramClient d = rfc_client();
  ASSERT_TRUE(d.handle_server_first(k_rfc_server_first).has_value());
  EXPECT_FALSE(d.handle_server_first(k_rfc_server_first).has_value());
}

TEST(AuthScram, ChannelBindingPlusSendsHeaderAndCertificateHash) {
  const auto hash = from_hex(k_cert_hash_hex);
  auto c = ScramClient::create({.password = "pencil",
                                .channel_binding = ChannelBindingMode::tls_server_end_point,
                                .binding_data = hash,
                                .server_offers_plus = true,
                                .client_nonce = k_nonce});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->mechanism(), "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(c->client_first_message(), "p=tls-server-end-point,,n=,r=fyko+d2lbbFgONRv9qkxdawL");
  auto final_msg = c->handle_server_first(k_server_first);
  ASSERT_TRUE(final_msg.has_value());
  EXPECT_EQ(*final_msg,
            "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsSM3/Oc6rdp2eefLT4tN859PCgNxfh1FfHytTi4lzMKg=,"
            "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=RZQE42sQqGKDTMZ/+PsKrj138vnyq9m9T9roI9Eeoq0=");
  EXPECT_TRUE(c->handle_server_final("v=gAJ+teNkJTSZZ1r1EHEO7fmG7MdOza+CTfJDlVmA8K8=").has_value());
  EXPECT_TRUE(c->complete());
}

TEST(AuthScram, ChannelBindingSupportedButNotOfferedSaysY) {
  const auto hash = from_hex(k_cert_hash_hex);
  auto c = ScramClient::create({.password = "pencil",
                                .channel_binding = ChannelBindingMode::tls_server_end_point,
                                .binding_data = hash,
                                .server_offers_plus = false,
                                .client_nonce = k_nonce});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->mechanism(), "SCRAM-SHA-256");
  EXPECT_EQ(c->client_first_message(), "y,,n=,r=fyko+d2lbbFgONRv9qkxdawL");
  auto final_msg = c->handle_server_first(k_server_first);
  ASSERT_TRUE(final_msg.has_value());
  EXPECT_EQ(*final_msg,
            "c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=wgLg0iPVTpACWjrIlJtVKu4BjsbK4knzdsSn88toerI=");
  EXPECT_TRUE(c->handle_server_final("v=DrDPuYqa2Vk1xxB1lVO1Nz9Kb/HSttQkUqrqqVgdja0=").has_value());
}

TEST(AuthScram, SupportedNotOfferedNeedsNoCertificateAndSaysY) {
  auto c = ScramClient::create({.password = "pencil",
                                .channel_binding = ChannelBindingMode::supported_not_offered,
                                .client_nonce = k_nonce});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->mechanism(), "SCRAM-SHA-256");
  EXPECT_EQ(c->client_first_message(), "y,,n=,r=fyko+d2lbbFgONRv9qkxdawL");
  auto final_msg = c->handle_server_first(k_server_first);
  ASSERT_TRUE(final_msg.has_value());
  EXPECT_EQ(final_msg->substr(0, 7), "c=eSws,");  // base64 of "y,,"
}

TEST(AuthScram, NoChannelBindingIgnoresServerPlusOffer) {
  auto c = ScramClient::create({.password = "pencil", .server_offers_plus = true, .client_nonce = k_nonce});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->mechanism(), "SCRAM-SHA-256");
  EXPECT_EQ(c->client_first_message(), "n,,n=,r=fyko+d2lbbFgONRv9qkxdawL");
}

TEST(AuthScram, ChannelBindingWithoutDataIsAConfigError) {
  auto c = ScramClient::create({.password = "pencil",
                                .channel_binding = ChannelBindingMode::tls_server_end_point,
                                .server_offers_plus = true});
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().category(), ErrorCategory::config);
}

TEST(AuthScram, InvalidTestNonceIsAConfigError) {
  auto c = ScramClient::create({.password = "pencil", .client_nonce = "a,b"});
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().category(), ErrorCategory::config);
}

TEST(AuthScram, PasswordIsSaslpreppedBeforeHashing) {
  // U+2168 ROMAN NUMERAL NINE prepares to "IX": the proof equals that of password "IX".
  auto c = ScramClient::create({.password = "\u2168", .client_nonce = k_nonce});
  ASSERT_TRUE(c.has_value());
  auto final_msg = c->handle_server_first(k_server_first);
  ASSERT_TRUE(final_msg.has_value());
  EXPECT_EQ(*final_msg,
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=DuNYTn7Yx6Gj5HXLjaZqq8o6hB7XoLqfWVqO3Dfek5Q=");
  EXPECT_TRUE(c->handle_server_final("v=ux4l8UKl+DUsi2w2W/rRPgwUHOQg3Tk0a1JyeO1D5D4=").has_value());
}

TEST(AuthScram, InvalidUtf8PasswordIsUsedRaw) {
  auto c = ScramClient::create({.password = "\xFF\xFEpw", .client_nonce = k_nonce});
  ASSERT_TRUE(c.has_value());
  auto final_msg = c->handle_server_first(k_server_first);
  ASSERT_TRUE(final_msg.has_value());
  EXPECT_EQ(*final_msg,
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=KdgAMRoO7URHCJwsQwzTnSkzj2k99HWa1HVFusf6Kx0=");
  EXPECT_TRUE(c->handle_server_final("v=LEscTXAhFKnrCZJcajRfvKelgJcjV+Keg8h0pFNtgK4=").has_value());
}

TEST(AuthScram, MovedClientKeepsWorking) {
  ScramClient a = rfc_client();
  ScramClient b = std::move(a);
  auto final_msg = b.handle_server_first(k_rfc_server_first);
  ASSERT_TRUE(final_msg.has_value());
  EXPECT_EQ(*final_msg, k_rfc_client_final);
  ScramClient c = rfc_client();
  c = std::move(b);
  EXPECT_TRUE(c.handle_server_final(k_rfc_server_final).has_value());
}

}  // namespace
}  // namespace pgstream::auth
