// Inputs the fuzz targets (tests/fuzz) found, kept as unit tests of the behaviour they broke.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "pgstream/auth/scram.hpp"
#include "pgstream/client/startup.hpp"
#include "pgstream/load/row_encoder.hpp"
#include "pgstream/load/table_schema.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/protocol/types/oid.hpp"
#include "pgstream/protocol/types/text.hpp"

namespace pgstream {
namespace {

// types_fuzz: "p0\nq" put a raw line break into the message, through the unit letter.
TEST(FuzzRegressions, IntervalErrorShowsAControlCharacterUnitEscaped) {
  auto r = protocol::parse_text<protocol::Interval>(std::string_view("p0\nq"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "not a valid interval: 'p0\\x0aq' (unknown ISO 8601 unit '\\x0a')");
}

// startup_machine_fuzz: the server's mechanism names went into the message as sent, line breaks
// and all, and a list of thousands of names would have made a message as long.
TEST(FuzzRegressions, UnusableSaslMechanismsAreListedEscapedAndCutShort) {
  std::string body("\0\0\0\x0a", 4);
  body += std::string("X\nY\0", 4);
  for (int i = 0; i < 10; ++i) body += "M" + std::to_string(i) + std::string(1, '\0');
  body += std::string(1, '\0');
  std::string frame_bytes = "R";
  const auto len = static_cast<std::uint32_t>(body.size() + 4);
  for (int shift = 24; shift >= 0; shift -= 8) frame_bytes += static_cast<char>((len >> shift) & 0xff);
  frame_bytes += body;
  const auto r = protocol::next_frame(std::as_bytes(std::span<const char>(frame_bytes.data(), frame_bytes.size())));
  ASSERT_TRUE(r.complete());

  client::StartupOptions options;
  options.user = "alice";
  options.password = "pencil";
  client::StartupMachine machine(std::move(options), {});
  std::string out;
  ASSERT_TRUE(machine.start(out).has_value());
  auto status = machine.on_frame(r.frame, out);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().message(),
            "server offered SASL mechanisms X\\x0aY, M0, M1, M2, M3, M4, M5, M6, ..., none of which this "
            "client can use");
}

// scram_fuzz: the server's e= error text went into the message as sent.
TEST(FuzzRegressions, ScramServerErrorTextIsShownEscaped) {
  auto client = auth::ScramClient::create({.password = "pencil", .client_nonce = "fyko+d2lbbFgONRv9qkxdawL"});
  ASSERT_TRUE(client.has_value());
  auto final_message =
      client->handle_server_first("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=64");
  ASSERT_TRUE(final_message.has_value()) << final_message.error().message();
  auto done = client->handle_server_final("e=i\nvalid-proof");
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().message(), "SCRAM: the server rejected the authentication: i\\x0avalid-proof");
}

// startup_machine_fuzz: an option name of NegotiateProtocolVersion, and a message type byte, went
// into messages as sent, line breaks and all.
std::string frame_of(char type, const std::string& body) {
  std::string bytes(1, type);
  const auto len = static_cast<std::uint32_t>(body.size() + 4);
  for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((len >> shift) & 0xff);
  return bytes + body;
}

std::string first_error_for(const std::string& bytes) {
  const auto r = protocol::next_frame(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
  EXPECT_TRUE(r.complete());
  client::StartupOptions options;
  options.user = "alice";
  client::StartupMachine machine(std::move(options), {});
  std::string out;
  EXPECT_TRUE(machine.start(out).has_value());
  auto status = machine.on_frame(r.frame, out);
  EXPECT_FALSE(status.has_value());
  return status.has_value() ? std::string() : status.error().message();
}

TEST(FuzzRegressions, StartupMessagesShowServerBytesEscaped) {
  const std::string negotiate = frame_of('v', std::string("\0\x03\0\0\0\0\0\x01", 8) + std::string("_pq_bad\nname\0", 13));
  const std::string m1 = first_error_for(negotiate);
  EXPECT_EQ(m1.find('\n'), std::string::npos) << m1;
  EXPECT_NE(m1.find("\"_pq_bad?name\""), std::string::npos) << m1;
  // (the frame decoder refuses unknown type bytes; a known but misplaced one is named)
  EXPECT_EQ(first_error_for(frame_of('D', std::string("\0\0", 2))), "unexpected message type \"D\" during start-up");
}


// json_line_fuzz: On-Demand validates only what it reads, and the encoder skips the values of
// keys it ignores: a line with invalid JSON there loaded. Such lines are now validated whole.
// (Invalid JSON copied into a json/jsonb column is refused by the server's input function.)
std::optional<load::LineReject> encode_one(const load::TableSchema& schema, std::string line) {
  load::RowEncoder encoder(schema, load::EncoderOptions{});
  const std::size_t size = line.size();
  line.resize(size + simdjson::SIMDJSON_PADDING);
  return encoder.encode(std::string_view(line.data(), size), line.size());
}

load::TableSchema json_table() {
  load::Column j;
  j.name = "j";
  j.type_oid = j.base_type_oid = protocol::oid::json;
  j.type_name = "json";
  j.kind = load::ColumnKind::json;
  return load::TableSchema{"t", {j}};
}

TEST(FuzzRegressions, InvalidJsonUnderAnIgnoredKeyIsRejectedByTheEncoder) {
  EXPECT_TRUE(encode_one(json_table(), R"({"j":1,"other":{"a":}})").has_value());
  EXPECT_TRUE(encode_one(json_table(), R"({"other":[1,,2],"j":1})").has_value());
  EXPECT_FALSE(encode_one(json_table(), R"({"j":1,"other":{"a":[1,{"b":null}]}})").has_value());
}

}  // namespace
}  // namespace pgstream
