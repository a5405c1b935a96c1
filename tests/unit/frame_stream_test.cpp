// Whole captured server streams: decoded in one piece, and split into two reads at every byte.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "pgstream/protocol/backend.hpp"
#include "vectors/vectors.hpp"

namespace pgstream::protocol {
namespace {

using testing::Bytes;

struct Decoded {
  char type;
  std::int32_t length;
  std::string body_hex;
  std::size_t offset;  // where the frame starts in the stream
  bool operator==(const Decoded&) const = default;
};

std::vector<Decoded> decode_all(const Bytes& stream) {
  std::vector<Decoded> out;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const FrameResult r = next_frame(std::span(stream).subspan(pos));
    if (!r.complete()) {
      ADD_FAILURE() << "stream does not decode at offset " << pos;
      break;
    }
    out.push_back({r.frame.type, r.frame.length, testing::hex(r.frame.body), pos});
    pos += r.consumed();
  }
  return out;
}

std::string types_of(const std::vector<Decoded>& frames) {
  std::string s;
  for (const Decoded& d : frames) s.push_back(d.type);
  return s;
}

TEST(FrameStream, PsqlSessionDecodesIntoTheExpectedMessages) {
  const Bytes stream = testing::load_vector("stream_psql.server");
  const auto frames = decode_all(stream);
  const std::string types = types_of(frames);
  // Start-up: AuthenticationOk, 13 ParameterStatus, BackendKeyData, ReadyForQuery.
  EXPECT_EQ(types.substr(0, 16), "R" + std::string(13, 'S') + "KZ");
  EXPECT_EQ(types.back(), 'Z');
  for (char c : std::string("RSKZCTDENAHdcG")) EXPECT_NE(types.find(c), std::string::npos) << c;

  // Every frame also parses as its typed view.
  for (const Decoded& d : frames) {
    const FrameResult r = next_frame(std::span(stream).subspan(d.offset));
    const Frame& f = r.frame;
    bool ok = true;
    switch (static_cast<BackendType>(f.type)) {
      case BackendType::authentication: ok = Authentication::parse(f).has_value(); break;
      case BackendType::parameter_status: ok = ParameterStatus::parse(f).has_value(); break;
      case BackendType::backend_key_data: ok = BackendKeyData::parse(f).has_value(); break;
      case BackendType::ready_for_query: ok = ReadyForQuery::parse(f).has_value(); break;
      case BackendType::command_complete: ok = CommandComplete::parse(f).has_value(); break;
      case BackendType::row_description: ok = RowDescription::parse(f).has_value(); break;
      case BackendType::data_row: ok = DataRow::parse(f).has_value(); break;
      case BackendType::error_response: ok = ErrorResponse::parse(f).has_value(); break;
      case BackendType::notice_response: ok = NoticeResponse::parse(f).has_value(); break;
      case BackendType::notification_response: ok = NotificationResponse::parse(f).has_value(); break;
      case BackendType::copy_out_response:
      case BackendType::copy_in_response: ok = CopyResponse::parse(f).has_value(); break;
      case BackendType::copy_data: ok = CopyData::parse(f).has_value(); break;
      case BackendType::copy_done: ok = CopyDone::parse(f).has_value(); break;
      default: ADD_FAILURE() << "unexpected message " << f.type;
    }
    EXPECT_TRUE(ok) << backend_message_name(f.type) << " at offset " << d.offset;
  }
}

TEST(FrameStream, StartupParameterStatusesIncludeServerSettings) {
  const Bytes stream = testing::load_vector("stream_psql.server");
  std::size_t pos = 0;
  std::string server_version;
  std::string client_encoding;
  std::string integer_datetimes;
  for (;;) {
    const FrameResult r = next_frame(std::span(stream).subspan(pos));
    ASSERT_TRUE(r.complete());
    pos += r.consumed();
    if (r.frame.type == 'K') break;
    if (r.frame.type != 'S') continue;
    auto s = ParameterStatus::parse(r.frame);
    ASSERT_TRUE(s.has_value()) << s.error().message();
    if (s->name() == "server_version") server_version = s->value();
    if (s->name() == "client_encoding") client_encoding = s->value();
    if (s->name() == "integer_datetimes") integer_datetimes = s->value();
  }
  EXPECT_EQ(server_version.substr(0, 3), "15.");
  EXPECT_EQ(client_encoding, "UTF8");
  EXPECT_EQ(integer_datetimes, "on");
}

// A receiver that appends what it reads and decodes what it can.
void check_every_split(const char* vector) {
  const Bytes stream = testing::load_vector(vector);
  const std::vector<Decoded> expected = decode_all(stream);
  ASSERT_FALSE(expected.empty());

  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    Bytes buffer(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut));
    std::size_t pos = 0;       // decoded up to here (buffer offset == stream offset)
    bool second_read = false;
    std::vector<Decoded> got;
    while (true) {
      const FrameResult r = next_frame(std::span(buffer).subspan(pos));
      if (r.complete()) {
        got.push_back({r.frame.type, r.frame.length, testing::hex(r.frame.body), pos});
        pos += r.consumed();
        if (pos == stream.size()) break;
        continue;
      }
      ASSERT_EQ(r.status, FrameStatus::need_more) << vector << " cut " << cut << " pos " << pos;
      // Exactly what completes the header, or the frame, that starts at pos.
      const std::size_t have = buffer.size() - pos;
      const auto next = std::find_if(expected.begin(), expected.end(),
                                     [&](const Decoded& d) { return d.offset == pos; });
      ASSERT_NE(next, expected.end());
      const std::size_t frame_size = static_cast<std::size_t>(next->length) + 1;
      EXPECT_EQ(r.needed, have < 5 ? 5 - have : frame_size - have) << vector << " cut " << cut;
      ASSERT_FALSE(second_read) << "still short after the whole stream arrived";
      buffer.insert(buffer.end(), stream.begin() + static_cast<std::ptrdiff_t>(cut), stream.end());
      second_read = true;
    }
    ASSERT_EQ(got, expected) << vector << " cut " << cut;
  }
}

TEST(FrameStream, PsqlSessionSplitAtEveryByteDecodesIdentically) { check_every_split("stream_psql.server"); }
TEST(FrameStream, ExtendedSessionSplitAtEveryByteDecodesIdentically) { check_every_split("stream_extended.server"); }
TEST(FrameStream, ScramSessionSplitAtEveryByteDecodesIdentically) { check_every_split("stream_auth_scram.server"); }

TEST(FrameStream, ExtendedSessionHasEveryExtendedQueryReply) {
  const std::string types = types_of(decode_all(testing::load_vector("stream_extended.server")));
  for (char c : std::string("1t2TnDs3IVCZ")) EXPECT_NE(types.find(c), std::string::npos) << c;
}

}  // namespace
}  // namespace pgstream::protocol
