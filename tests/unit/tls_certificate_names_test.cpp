// sslmode=verify-full's host check: the names read from a certificate's DER, and libpq's rule for
// matching them (SAN first, CN only without SANs, one-label wildcards, IP entries for IP hosts).
#include "pgstream/tls/certificate_names.hpp"

#include <gtest/gtest.h>

#include "vectors/vectors.hpp"

namespace pgstream::tls {
namespace {

TEST(CertificateNames, ReadsSubjectAltNamesAndCommonName) {
  auto names = certificate_names(pgstream::testing::load_vector("cert_names_ed25519"));
  ASSERT_TRUE(names) << names.error().to_string();
  EXPECT_EQ(names->dns, (std::vector<std::string>{"*.db.example.com", "localhost"}));
  ASSERT_EQ(names->ips.size(), 2u);
  EXPECT_EQ(names->ips[0].size(), 4u);
  EXPECT_EQ(names->ips[1].size(), 16u);
  EXPECT_EQ(names->common_names, (std::vector<std::string>{"ignored.example"}));
}

TEST(CertificateNames, SubjectAltNamesDecideAndTheCommonNameIsIgnored) {
  auto names = certificate_names(pgstream::testing::load_vector("cert_names_ed25519"));
  ASSERT_TRUE(names);
  for (const char* host : {"localhost", "LOCALHOST", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1", "a.db.example.com",
                           "Primary.DB.Example.COM"})
    EXPECT_TRUE(certificate_matches_host(*names, host)) << host;
  for (const char* host : {"ignored.example", "db.example.com", "a.b.db.example.com", ".db.example.com",
                           "127.0.0.2", "::2", "localhost.", "evil.com", ""})
    EXPECT_FALSE(certificate_matches_host(*names, host)) << host;
}

TEST(CertificateNames, WithoutSubjectAltNamesTheCommonNameCounts) {
  auto names = certificate_names(pgstream::testing::load_vector("cert_names_cn_only"));
  ASSERT_TRUE(names) << names.error().to_string();
  EXPECT_TRUE(names->dns.empty());
  EXPECT_TRUE(certificate_matches_host(*names, "db.example.com"));
  EXPECT_TRUE(certificate_matches_host(*names, "DB.example.com"));
  EXPECT_FALSE(certificate_matches_host(*names, "pgstream tests"));  // only the CN, not other attributes
  EXPECT_FALSE(certificate_matches_host(*names, "x.db.example.com"));
}

TEST(CertificateNames, WildcardsAndNulsFollowLibpq) {
  CertificateNames n;
  n.dns = {"*.example.com", std::string("good.com\0.evil.com", 18), "*", "a*.example.org"};
  EXPECT_TRUE(certificate_matches_host(n, "db.example.com"));
  EXPECT_FALSE(certificate_matches_host(n, "example.com"));
  EXPECT_FALSE(certificate_matches_host(n, "good.com"));
  EXPECT_FALSE(certificate_matches_host(n, "anything"));
  EXPECT_FALSE(certificate_matches_host(n, "ab.example.org"));  // only a whole first label may be "*"
}

TEST(CertificateNames, DescribesTheNamesOnOneLine) {
  auto names = certificate_names(pgstream::testing::load_vector("cert_names_ed25519"));
  ASSERT_TRUE(names);
  EXPECT_EQ(describe_names(*names), "the certificate is for \"*.db.example.com\" (and 3 other names)");
  CertificateNames hostile;
  hostile.common_names = {"a\nb"};
  EXPECT_EQ(describe_names(hostile), "the certificate is for \"a?b\"");
}

TEST(CertificateNames, EveryTruncationIsAnErrorNotACrash) {
  const auto der = pgstream::testing::load_vector("cert_names_ed25519");
  for (std::size_t n = 0; n < der.size(); ++n) {
    auto names = certificate_names(std::span(der).first(n));
    EXPECT_FALSE(names) << n;
  }
}

}  // namespace
}  // namespace pgstream::tls
