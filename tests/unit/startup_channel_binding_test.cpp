// How start-up picks SCRAM-SHA-256-PLUS or SCRAM-SHA-256 from the server certificate's
// signature algorithm, for each channel_binding mode.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgstream/client/startup.hpp"
#include "pgstream/protocol/frame.hpp"
#include "vectors/vectors.hpp"

namespace pgstream::client {
namespace {

using namespace std::string_view_literals;
using namespace std::string_literals;

std::string frame_of(char type, std::string_view body) {
  std::string bytes(1, type);
  const auto len = static_cast<std::uint32_t>(body.size() + 4);
  for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((len >> shift) & 0xff);
  return bytes + std::string(body);
}

// Feeds AuthenticationSASL offering both mechanisms, as PostgreSQL does over TLS; returns what
// the machine sent (the SASLInitialResponse) or the error message.
struct Outcome {
  bool ok = false;
  std::string sent;
  std::string error;
  ErrorCategory category = ErrorCategory::protocol;
};

Outcome after_sasl_offer(ChannelBinding mode, std::vector<std::byte> certificate,
                         std::string_view mechanisms = "SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0"sv) {
  StartupOptions options;
  options.user = "alice";
  options.password = "pencil";
  options.channel_binding = mode;
  StartupMachine machine(std::move(options), std::move(certificate));
  std::string out;
  EXPECT_TRUE(machine.start(out).has_value());
  const std::string bytes = frame_of('R', "\0\0\0\x0a"s + std::string(mechanisms) + '\0');
  const auto r = protocol::next_frame(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
  EXPECT_TRUE(r.complete());
  out.clear();
  auto status = machine.on_frame(r.frame, out);
  if (!status) return {false, out, status.error().message(), status.error().category()};
  return {true, out, {}, {}};
}

TEST(StartupChannelBinding, RsaPssCertificateBindsWithPlus) {
  const auto o = after_sasl_offer(ChannelBinding::prefer, pgstream::testing::load_vector("cert_rsa_pss_sha384"));
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_NE(o.sent.find("SCRAM-SHA-256-PLUS\0"sv), std::string::npos);
  EXPECT_NE(o.sent.find("p=tls-server-end-point,,n="), std::string::npos);
}

TEST(StartupChannelBinding, Ed448CertificateWithPreferFallsBackToPlainScramSayingN) {
  const auto o = after_sasl_offer(ChannelBinding::prefer, pgstream::testing::load_vector("cert_ed448"));
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.sent.find("SCRAM-SHA-256-PLUS"), std::string::npos);
  EXPECT_NE(o.sent.find("SCRAM-SHA-256\0"sv), std::string::npos);
  // "n": the server offered -PLUS, so "y" would read as a downgrade and be refused.
  EXPECT_NE(o.sent.find("n,,n="), std::string::npos);
  EXPECT_EQ(o.sent.find("y,,"), std::string::npos);
}

TEST(StartupChannelBinding, Ed448CertificateWithRequireFailsNamingTheAlgorithm) {
  const auto o = after_sasl_offer(ChannelBinding::require, pgstream::testing::load_vector("cert_ed448"));
  ASSERT_FALSE(o.ok);
  EXPECT_EQ(o.category, ErrorCategory::unsupported);
  EXPECT_NE(o.error.find("Ed448"), std::string::npos) << o.error;
}

TEST(StartupChannelBinding, AnUnparsableCertificateIsNotSilentlyUnbound) {
  auto der = pgstream::testing::load_vector("cert_rsa_pss_sha256");
  der.resize(40);
  const auto o = after_sasl_offer(ChannelBinding::prefer, der);
  ASSERT_FALSE(o.ok);
  EXPECT_EQ(o.category, ErrorCategory::tls) << o.error;
}

// RFC 5802: over TLS a client that could bind but was offered no -PLUS says "y", so a server that
// does support binding sees that a man in the middle stripped the mechanism.
TEST(StartupChannelBinding, TlsWithoutAPlusOfferSaysY) {
  const auto o = after_sasl_offer(ChannelBinding::prefer, pgstream::testing::load_vector("cert_rsa_pss_sha384"),
                                  "SCRAM-SHA-256\0"sv);
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_NE(o.sent.find("SCRAM-SHA-256\0"sv), std::string::npos);
  EXPECT_NE(o.sent.find("y,,n="), std::string::npos);
}

TEST(StartupChannelBinding, DisabledBindingWithoutAPlusOfferSaysN) {
  const auto o = after_sasl_offer(ChannelBinding::disable, pgstream::testing::load_vector("cert_rsa_pss_sha384"),
                                  "SCRAM-SHA-256\0"sv);
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_NE(o.sent.find("n,,n="), std::string::npos);
}

TEST(StartupChannelBinding, RequireWithoutAPlusOfferFails) {
  const auto o = after_sasl_offer(ChannelBinding::require, pgstream::testing::load_vector("cert_rsa_pss_sha384"),
                                  "SCRAM-SHA-256\0"sv);
  ASSERT_FALSE(o.ok);
  EXPECT_NE(o.error.find("did not offer SCRAM-SHA-256-PLUS"), std::string::npos) << o.error;
}

}  // namespace
}  // namespace pgstream::client
