#include <gtest/gtest.h>

#include "pgstream/protocol/backend.hpp"
#include "vectors/vectors.hpp"

namespace pgstream::protocol {
namespace {

using namespace std::string_view_literals;
using testing::Bytes;
using testing::make_frame;

TEST(FrameNext, EmptyInputNeedsTheFiveHeaderBytes) {
  const FrameResult r = next_frame({});
  EXPECT_EQ(r.status, FrameStatus::need_more);
  EXPECT_EQ(r.needed, 5u);
  EXPECT_EQ(r.consumed(), 0u);
}

TEST(FrameNext, PartialHeaderNeedsExactlyTheRestOfTheHeader) {
  const Bytes z = make_frame('Z', "I");
  for (std::size_t n = 1; n < 5; ++n) {
    const FrameResult r = next_frame(std::span(z).first(n));
    EXPECT_EQ(r.status, FrameStatus::need_more) << n;
    EXPECT_EQ(r.needed, 5 - n) << n;
    EXPECT_EQ(r.frame.type, 'Z');
  }
}

TEST(FrameNext, PartialBodyNeedsExactlyTheRestOfTheFrame) {
  const Bytes d = make_frame('D', Bytes(100, std::byte{7}));
  for (std::size_t n = 5; n < d.size(); ++n) {
    const FrameResult r = next_frame(std::span(d).first(n));
    ASSERT_EQ(r.status, FrameStatus::need_more) << n;
    EXPECT_EQ(r.needed, d.size() - n) << n;
    EXPECT_EQ(r.frame.length, 104);
  }
}

TEST(FrameNext, CompleteFrameIsAViewIntoTheInput) {
  Bytes data = make_frame('C', "SELECT 1\0"sv);
  const Bytes next = make_frame('Z', "I");
  data.insert(data.end(), next.begin(), next.end());
  const FrameResult r = next_frame(data);
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(r.frame.type, 'C');
  EXPECT_EQ(r.frame.length, 13);
  EXPECT_EQ(r.frame.size(), 14u);
  EXPECT_EQ(r.consumed(), 14u);
  EXPECT_EQ(r.frame.body.data(), data.data() + 5);
  EXPECT_EQ(r.frame.body.size(), 9u);

  const FrameResult r2 = next_frame(std::span(data).subspan(r.consumed()));
  ASSERT_TRUE(r2.complete());
  EXPECT_EQ(r2.frame.type, 'Z');
  EXPECT_EQ(r2.consumed(), 6u);
  EXPECT_EQ(static_cast<char>(r2.frame.body[0]), 'I');
}

TEST(FrameNext, UnknownTypeIsAnErrorFromTheFirstByte) {
  const Bytes b{std::byte{'z'}};
  const FrameResult r = next_frame(b);
  ASSERT_EQ(r.status, FrameStatus::error);
  EXPECT_EQ(r.error, FrameError::unknown_type);
  const Error e = r.to_error();
  EXPECT_EQ(e.category(), ErrorCategory::protocol);
  EXPECT_EQ(e.message(), "server sent a message with unknown type byte 0x7a ('z'); "
                         "the connection is out of sync and must be closed");
}

TEST(FrameNext, UnprintableUnknownTypeIsShownInHexOnly) {
  const Bytes b{std::byte{0x01}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{4}};
  const FrameResult r = next_frame(b);
  ASSERT_EQ(r.status, FrameStatus::error);
  EXPECT_NE(r.to_error().message().find("type byte 0x01;"), std::string::npos) << r.to_error().message();
}

TEST(FrameNext, FrontendOnlyTypesAreUnknown) {
  for (char c : "BFPQXpfHSx"sv) {
    if (c == 'S' || c == 'H') continue;  // also backend types (ParameterStatus, CopyOutResponse)
    const Bytes b{static_cast<std::byte>(c)};
    EXPECT_EQ(next_frame(b).error, FrameError::unknown_type) << c;
  }
}

Bytes header(char type, std::int32_t length) {
  Bytes b{static_cast<std::byte>(type)};
  testing::append_i32(b, length);
  return b;
}

TEST(FrameNext, LengthBelowFourIsAnErrorFromTheHeader) {
  for (std::int32_t len : {0, 1, 3, -1, -2147483647 - 1}) {
    const FrameResult r = next_frame(header('D', len));
    ASSERT_EQ(r.status, FrameStatus::error) << len;
    EXPECT_EQ(r.error, FrameError::length_too_small) << len;
    EXPECT_EQ(r.frame.length, len);
    EXPECT_NE(r.to_error().message().find("invalid length " + std::to_string(len)), std::string::npos)
        << r.to_error().message();
  }
}

TEST(FrameNext, LengthFourIsAnEmptyBody) {
  const FrameResult r = next_frame(header('1', 4));
  ASSERT_TRUE(r.complete());
  EXPECT_TRUE(r.frame.body.empty());
  EXPECT_EQ(r.consumed(), 5u);
}

TEST(FrameNext, ControlMessageAboveItsLimitIsRejectedFromTheHeaderAlone) {
  const FrameResult r = next_frame(header('Z', 64 * 1024 + 1));
  ASSERT_EQ(r.status, FrameStatus::error);
  EXPECT_EQ(r.error, FrameError::length_too_large);
  EXPECT_EQ(r.limit, 64u * 1024);
  EXPECT_EQ(r.to_error().message(),
            "server sent a ReadyForQuery (0x5a ('Z')) message of length 65537, above the limit of 65536 "
            "bytes for this message type (raise FrameLimits if this is legitimate)");
  // At the limit it only needs its body.
  const FrameResult ok = next_frame(header('Z', 64 * 1024));
  EXPECT_EQ(ok.status, FrameStatus::need_more);
  EXPECT_EQ(ok.needed, 64u * 1024 - 4);
}

TEST(FrameNext, EachTypeUsesItsClassLimit) {
  const FrameLimits limits{.max_control_length = 100, .max_metadata_length = 1000, .max_data_length = 10000};
  for (char c : "123nIscZKC"sv) {
    EXPECT_EQ(next_frame(header(c, 100), limits).status, FrameStatus::need_more) << c;
    EXPECT_EQ(next_frame(header(c, 101), limits).error, FrameError::length_too_large) << c;
  }
  for (char c : "RENSTtvAGHW"sv) {
    EXPECT_EQ(next_frame(header(c, 1000), limits).status, FrameStatus::need_more) << c;
    EXPECT_EQ(next_frame(header(c, 1001), limits).error, FrameError::length_too_large) << c;
  }
  for (char c : "DdV"sv) {
    EXPECT_EQ(next_frame(header(c, 10000), limits).status, FrameStatus::need_more) << c;
    EXPECT_EQ(next_frame(header(c, 10001), limits).error, FrameError::length_too_large) << c;
  }
}

TEST(FrameNext, DefaultDataLimitIsOneGibibyte) {
  EXPECT_EQ(next_frame(header('D', 1 << 30)).status, FrameStatus::need_more);
  const FrameResult r = next_frame(header('D', (1 << 30) + 1));
  EXPECT_EQ(r.error, FrameError::length_too_large);
  EXPECT_EQ(r.limit, 1u << 30);
  EXPECT_EQ(next_frame(header('d', 2147483647)).error, FrameError::length_too_large);
}

TEST(FrameNext, EveryBackendTypeHasAName) {
  for (char c : "RK23CdcGHWDIEVvnNAtS1sZT"sv) {
    EXPECT_FALSE(backend_message_name(c).empty()) << c;
    EXPECT_NE(next_frame(header(c, 4)).error, FrameError::unknown_type) << c;
  }
  EXPECT_EQ(backend_message_name('D'), "DataRow");
  EXPECT_EQ(backend_message_name('x'), "");
}

// ---- SSLRequest / GSSENCRequest answers ----

TEST(EncryptionAnswer, CapturedSslAcceptance) {
  const Bytes b = testing::load_vector("ssl_answer");
  const EncryptionAnswer a = decode_encryption_answer(EncryptionRequest::ssl, b);
  EXPECT_EQ(a.status, EncryptionAnswerStatus::accepted);
  EXPECT_EQ(a.byte, 'S');
  EXPECT_EQ(a.consumed, 1u);
}

TEST(EncryptionAnswer, CapturedGssencAcceptance) {
  const Bytes b = testing::load_vector("gssenc_answer");
  const EncryptionAnswer a = decode_encryption_answer(EncryptionRequest::gssenc, b);
  EXPECT_EQ(a.status, EncryptionAnswerStatus::accepted);
  EXPECT_EQ(a.byte, 'G');
}

TEST(EncryptionAnswer, NothingYetNeedsOneByte) {
  const EncryptionAnswer a = decode_encryption_answer(EncryptionRequest::ssl, {});
  EXPECT_EQ(a.status, EncryptionAnswerStatus::need_more);
  EXPECT_EQ(a.needed, 1u);
}

TEST(EncryptionAnswer, NMeansRejected) {
  const Bytes b{std::byte{'N'}};
  EXPECT_EQ(decode_encryption_answer(EncryptionRequest::ssl, b).status, EncryptionAnswerStatus::rejected);
  EXPECT_EQ(decode_encryption_answer(EncryptionRequest::gssenc, b).status, EncryptionAnswerStatus::rejected);
}

TEST(EncryptionAnswer, AcceptByteOfTheOtherRequestIsInvalid) {
  const Bytes g{std::byte{'G'}};
  const EncryptionAnswer a = decode_encryption_answer(EncryptionRequest::ssl, g);
  EXPECT_EQ(a.status, EncryptionAnswerStatus::invalid);
  EXPECT_EQ(a.to_error(EncryptionRequest::ssl).message(),
            "server answered SSLRequest with 0x47 ('G') instead of 'N' or 'S'; is this a PostgreSQL server?");
  const Bytes s{std::byte{'S'}};
  EXPECT_EQ(decode_encryption_answer(EncryptionRequest::gssenc, s).status, EncryptionAnswerStatus::invalid);
}

TEST(EncryptionAnswer, BytesAfterAcceptanceAreRefusedAsInjected) {
  const Bytes b{std::byte{'S'}, std::byte{'Z'}};
  const EncryptionAnswer a = decode_encryption_answer(EncryptionRequest::ssl, b);
  EXPECT_EQ(a.status, EncryptionAnswerStatus::invalid);
  EXPECT_EQ(a.consumed, 0u);
  const Error e = a.to_error(EncryptionRequest::ssl);
  EXPECT_EQ(e.category(), ErrorCategory::tls);
  EXPECT_NE(e.message().find("CVE-2021-23222"), std::string::npos);
  const Bytes n{std::byte{'N'}, std::byte{'Z'}};
  EXPECT_EQ(decode_encryption_answer(EncryptionRequest::gssenc, n).status, EncryptionAnswerStatus::invalid);
}

TEST(EncryptionAnswer, ErrorResponseFromAnOldServerIsReturnedAsAFrame) {
  const Bytes e = testing::load_vector("error_fatal_bad_database");
  for (std::size_t n = 1; n < e.size(); ++n) {
    const EncryptionAnswer partial = decode_encryption_answer(EncryptionRequest::ssl, std::span(e).first(n));
    ASSERT_EQ(partial.status, EncryptionAnswerStatus::need_more) << n;
    EXPECT_EQ(partial.needed, n < 5 ? 5 - n : e.size() - n) << n;
  }
  const EncryptionAnswer a = decode_encryption_answer(EncryptionRequest::ssl, e);
  ASSERT_EQ(a.status, EncryptionAnswerStatus::server_error);
  EXPECT_EQ(a.consumed, e.size());
  auto err = ErrorResponse::parse(a.error_frame);
  ASSERT_TRUE(err.has_value()) << err.error().message();
  EXPECT_EQ(err->sqlstate(), "3D000");
}

TEST(EncryptionAnswer, OversizedErrorResponseIsInvalid) {
  const Bytes b = header('E', 20 * 1024 * 1024);
  const EncryptionAnswer a = decode_encryption_answer(EncryptionRequest::ssl, b);
  EXPECT_EQ(a.status, EncryptionAnswerStatus::invalid);
  EXPECT_NE(a.to_error(EncryptionRequest::ssl).message().find("above the limit"), std::string::npos);
}

}  // namespace
}  // namespace pgstream::protocol
