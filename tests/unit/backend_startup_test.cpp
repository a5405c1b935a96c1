#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgstream/protocol/backend.hpp"
#include "vectors/vectors.hpp"

namespace pgstream::protocol {
namespace {

using namespace std::string_view_literals;
using testing::append;
using testing::append_i32;
using testing::Bytes;
using testing::frame_of;
using testing::load_vector;
using testing::make_frame;

static_assert(std::forward_iterator<detail::CStringRange::iterator>);

Bytes auth_body(std::int32_t code, std::string_view rest = {}) {
  Bytes b;
  append_i32(b, code);
  append(b, rest);
  return b;
}

Result<Authentication> auth(const Bytes& frame_bytes) { return Authentication::parse(frame_of(frame_bytes)); }

TEST(Authentication, CapturedRequestsWithoutData) {
  const std::pair<const char*, AuthRequest> cases[] = {
      {"auth_ok", AuthRequest::ok},
      {"auth_cleartext_password", AuthRequest::cleartext_password},
  };
  for (const auto& [vector, request] : cases) {
    const Bytes b = load_vector(vector);
    auto a = auth(b);
    ASSERT_TRUE(a.has_value()) << vector << ": " << a.error().message();
    EXPECT_EQ(a->request(), request);
    EXPECT_TRUE(a->data().empty());
    EXPECT_TRUE(a->sasl_mechanisms().empty());
  }
}

TEST(Authentication, CapturedMd5Salt) {
  const Bytes b = load_vector("auth_md5_password");
  auto a = auth(b);
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(a->request(), AuthRequest::md5_password);
  EXPECT_EQ(testing::hex(a->md5_salt()), "924fe028");
}

TEST(Authentication, CapturedSaslMechanisms) {
  const Bytes b = load_vector("auth_sasl");
  auto a = auth(b);
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(a->request(), AuthRequest::sasl);
  std::vector<std::string_view> names(a->sasl_mechanisms().begin(), a->sasl_mechanisms().end());
  EXPECT_EQ(names, (std::vector<std::string_view>{"SCRAM-SHA-256"}));
  EXPECT_TRUE(a->offers_mechanism("SCRAM-SHA-256"));
  EXPECT_FALSE(a->offers_mechanism("SCRAM-SHA-256-PLUS"));
}

TEST(Authentication, CapturedSaslContinueAndFinal) {
  const Bytes c = load_vector("auth_sasl_continue");
  auto a = auth(c);
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(a->request(), AuthRequest::sasl_continue);
  EXPECT_EQ(a->data_text(),
            "r=vbbt5dMLf8Dxtp0xjMu0njTjdNH8q4LxyN2A6qNaMP8zHQyN,s=UGg1mWToyHhMCJL1jCU4nA==,i=4096");
  const Bytes f = load_vector("auth_sasl_final");
  auto fin = auth(f);
  ASSERT_TRUE(fin.has_value()) << fin.error().message();
  EXPECT_EQ(fin->request(), AuthRequest::sasl_final);
  EXPECT_EQ(fin->data_text(), "v=QUOZthObiQRRCJiYwu/suF/xENoa4UuUHq5FEvABecQ=");
}

TEST(Authentication, SaslWithChannelBindingOffersBoth) {
  const Bytes b = make_frame('R', auth_body(10, "SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"sv));
  auto a = auth(b);
  ASSERT_TRUE(a.has_value()) << a.error().message();
  std::vector<std::string_view> names(a->sasl_mechanisms().begin(), a->sasl_mechanisms().end());
  EXPECT_EQ(names, (std::vector<std::string_view>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  EXPECT_TRUE(a->offers_mechanism("SCRAM-SHA-256-PLUS"));
}

TEST(Authentication, GssAndSspiRequests) {
  const Bytes gss = make_frame('R', auth_body(7));
  ASSERT_TRUE(auth(gss).has_value());
  EXPECT_EQ(auth(gss)->request(), AuthRequest::gss);
  const Bytes sspi = make_frame('R', auth_body(9));
  EXPECT_EQ(auth(sspi)->request(), AuthRequest::sspi);
  const Bytes cont = make_frame('R', auth_body(8, "\x60\x82token"sv));
  auto c = auth(cont);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->request(), AuthRequest::gss_continue);
  EXPECT_EQ(c->data_text(), "\x60\x82token");
}

TEST(Authentication, RemovedAndUnknownMethodsAreUnsupported) {
  for (std::int32_t code : {2, 6, 4, 13, 99, -1}) {
    const Bytes b = make_frame('R', auth_body(code));
    auto a = auth(b);
    ASSERT_FALSE(a.has_value()) << code;
    EXPECT_EQ(a.error().category(), ErrorCategory::unsupported) << code;
  }
  const Bytes k = make_frame('R', auth_body(2));
  EXPECT_NE(auth(k).error().message().find("AuthenticationKerberosV5 (2), Kerberos V5"), std::string::npos)
      << auth(k).error().message();
  const Bytes s = make_frame('R', auth_body(6));
  EXPECT_NE(auth(s).error().message().find("AuthenticationSCMCredential (6), SCM credential"), std::string::npos)
      << auth(s).error().message();
  const Bytes u = make_frame('R', auth_body(99));
  EXPECT_EQ(auth(u).error().message(),
            "server requested authentication request code 99, which pgstream does not know; change pg_hba.conf");
}

TEST(Authentication, RequestNamesAreTheProtocolsWithTheCode) {
  EXPECT_EQ(auth_request_name(2), "AuthenticationKerberosV5 (2)");
  EXPECT_EQ(auth_request_name(6), "AuthenticationSCMCredential (6)");
  EXPECT_EQ(auth_request_name(10), "AuthenticationSASL (10)");
  EXPECT_EQ(auth_request_name(4), "authentication request code 4");
  EXPECT_EQ(auth_request_name(-1), "authentication request code -1");
}

TEST(Authentication, MalformedBodiesAreErrors) {
  auto error_of = [](const Bytes& body) {
    const Bytes b = make_frame('R', body);
    auto a = Authentication::parse(frame_of(b));
    if (a.has_value()) return std::string("parsed");
    EXPECT_EQ(a.error().category(), ErrorCategory::protocol);
    return a.error().message();
  };
  EXPECT_EQ(error_of(Bytes(3, std::byte{0})),
            "server sent a malformed Authentication message: body shorter than its 4-byte request code");
  EXPECT_EQ(error_of(auth_body(0, "x")),
            "server sent a malformed Authentication message: request 0 with a body of 5 bytes instead of 4");
  EXPECT_EQ(error_of(auth_body(5, "abc")),
            "server sent a malformed Authentication message: MD5 password request with a body of 7 bytes instead of 8");
  EXPECT_EQ(error_of(auth_body(5, "abcde")),
            "server sent a malformed Authentication message: MD5 password request with a body of 9 bytes instead of 8");
  EXPECT_EQ(error_of(auth_body(10, "SCRAM-SHA-256")),
            "server sent a malformed Authentication message: SASL mechanism list is not NUL-terminated");
  EXPECT_EQ(error_of(auth_body(10, "SCRAM-SHA-256\0"sv)),
            "server sent a malformed Authentication message: SASL mechanism list is not NUL-terminated");
  EXPECT_EQ(error_of(auth_body(10, "SCRAM-SHA-256\0\0x"sv)),
            "server sent a malformed Authentication message: bytes left over after the SASL mechanism list");
  EXPECT_NE(error_of(auth_body(10)), "parsed");
}

TEST(Authentication, EmptySaslListParsesAsNoMechanisms) {
  const Bytes b = make_frame('R', auth_body(10, "\0"sv));
  auto a = auth(b);
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->sasl_mechanisms().empty());
  EXPECT_FALSE(a->offers_mechanism("SCRAM-SHA-256"));
}

// ---- BackendKeyData ----

TEST(BackendKeyData, CapturedProtocol30Key) {
  const Bytes b = load_vector("backend_key_data");
  auto k = BackendKeyData::parse(frame_of(b));
  ASSERT_TRUE(k.has_value()) << k.error().message();
  EXPECT_EQ(k->process_id(), 14190);
  EXPECT_EQ(testing::hex(k->secret_key()), "6c11acf4");
}

TEST(BackendKeyData, Protocol32KeysOf4To256Bytes) {
  for (std::size_t n : {4u, 5u, 32u, 256u}) {
    Bytes body;
    append_i32(body, 77);
    body.resize(4 + n, std::byte{0xab});
    const Bytes b = make_frame('K', body);
    auto k = BackendKeyData::parse(frame_of(b));
    ASSERT_TRUE(k.has_value()) << n;
    EXPECT_EQ(k->process_id(), 77);
    EXPECT_EQ(k->secret_key().size(), n);
    EXPECT_EQ(k->secret_key().data(), b.data() + 9);
  }
}

TEST(BackendKeyData, KeysOutsideTheRangeAreErrors) {
  for (std::size_t body_size : {0u, 3u, 4u, 7u, 261u, 300u}) {
    const Bytes b = make_frame('K', Bytes(body_size, std::byte{1}));
    auto k = BackendKeyData::parse(frame_of(b));
    ASSERT_FALSE(k.has_value()) << body_size;
    EXPECT_EQ(k.error().category(), ErrorCategory::protocol);
  }
  const Bytes b = make_frame('K', Bytes(261, std::byte{1}));
  EXPECT_EQ(BackendKeyData::parse(frame_of(b)).error().message(),
            "server sent a malformed BackendKeyData message: secret key of 257 bytes (must be 4 to 256)");
}

// ---- ParameterStatus ----

TEST(ParameterStatus, CapturedFirstStatus) {
  const Bytes b = load_vector("parameter_status_first");
  auto s = ParameterStatus::parse(frame_of(b));
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(s->name(), "application_name");
  EXPECT_EQ(s->value(), "psql");
}

TEST(ParameterStatus, EmptyValue) {
  const Bytes b = make_frame('S', "search_path\0\0"sv);
  auto s = ParameterStatus::parse(frame_of(b));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name(), "search_path");
  EXPECT_EQ(s->value(), "");
}

TEST(ParameterStatus, MalformedBodiesAreErrors) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {""sv, "parameter name has no NUL terminator"},
      {"TimeZone"sv, "parameter name has no NUL terminator"},
      {"TimeZone\0UTC"sv, "parameter value has no NUL terminator"},
      {"TimeZone\0"sv, "parameter value has no NUL terminator"},
      {"TimeZone\0UTC\0x"sv, "bytes left over after the parameter value"},
      {"TimeZone\0UTC\0\0"sv, "bytes left over after the parameter value"},
  };
  for (const auto& [body, what] : cases) {
    const Bytes b = make_frame('S', body);
    auto s = ParameterStatus::parse(frame_of(b));
    ASSERT_FALSE(s.has_value()) << body;
    EXPECT_EQ(s.error().message(), "server sent a malformed ParameterStatus message: " + std::string(what));
  }
}

// ---- NegotiateProtocolVersion ----

TEST(NegotiateProtocolVersion, CapturedAnswerTo32WithAnUnknownOption) {
  const Bytes b = load_vector("negotiate_protocol_version");
  auto n = NegotiateProtocolVersion::parse(frame_of(b));
  ASSERT_TRUE(n.has_value()) << n.error().message();
  EXPECT_EQ(n->newest_version(), 196608);
  EXPECT_EQ(n->newest_major(), 3);
  EXPECT_EQ(n->newest_minor(), 0);
  EXPECT_EQ(n->unrecognized_count(), 1u);
  std::vector<std::string_view> options(n->unrecognized_options().begin(), n->unrecognized_options().end());
  EXPECT_EQ(options, (std::vector<std::string_view>{"_pq_.pgstream_probe"}));
}

Bytes negotiate_body(std::int32_t version, std::int32_t count, std::string_view names) {
  Bytes b;
  append_i32(b, version);
  append_i32(b, count);
  append(b, names);
  return b;
}

TEST(NegotiateProtocolVersion, NoOptionsAndMinorVersion) {
  const Bytes b = make_frame('v', negotiate_body(0x00030001, 0, ""));
  auto n = NegotiateProtocolVersion::parse(frame_of(b));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->newest_minor(), 1);
  EXPECT_TRUE(n->unrecognized_options().empty());
}

TEST(NegotiateProtocolVersion, MalformedBodiesAreErrors) {
  auto error_of = [](const Bytes& body) {
    const Bytes b = make_frame('v', body);
    auto n = NegotiateProtocolVersion::parse(frame_of(b));
    return n.has_value() ? std::string("parsed") : n.error().message();
  };
  const std::string prefix = "server sent a malformed NegotiateProtocolVersion message: ";
  EXPECT_EQ(error_of(Bytes(7, std::byte{0})), prefix + "body shorter than its version and option count");
  EXPECT_EQ(error_of(negotiate_body(196608, -1, "")), prefix + "option count -1 does not fit in the body");
  EXPECT_EQ(error_of(negotiate_body(196608, 8, "_pq_.a\0"sv)), prefix + "option count 8 does not fit in the body");
  EXPECT_EQ(error_of(negotiate_body(196608, 5, "_pq_.a\0"sv)), prefix + "option 1 has no NUL terminator");
  EXPECT_EQ(error_of(negotiate_body(196608, 2, "_pq_.a\0_pq_.b"sv)), prefix + "option 1 has no NUL terminator");
  EXPECT_EQ(error_of(negotiate_body(196608, 1, "_pq_.a\0_pq_.b\0"sv)), prefix + "bytes left over after the option names");
}

}  // namespace
}  // namespace pgstream::protocol
