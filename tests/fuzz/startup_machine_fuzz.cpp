// The start-up / authentication state machine, fed arbitrary server frames.
//
// Input: byte 0 = options (password, channel binding, TLS certificate, require_auth, GSS and
// OAuth providers, protocol 3.2), then the server's byte stream, split into frames with
// next_frame and fed one by one until the machine is ready or fails. Errors are fine; crashes,
// sanitizer reports, and messages that are not one line are findings.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "pgstream/client/startup.hpp"
#include "pgstream/protocol/frame.hpp"

namespace {

namespace pf = pgstream::fuzz;
namespace pc = pgstream::client;
namespace pp = pgstream::protocol;

// A self-signed ECDSA-SHA1 certificate (the one of auth_channel_binding_test.cpp), so that
// SCRAM-SHA-256-PLUS can hash a real certificate.
constexpr std::string_view kCertHex =
    "308201143081bda0030201020210530ea1a890b1282e51e9b65ce5e5d266300906072a8648ce3d0401300c310a300806"
    "035504030c01743022180f32303236313132343130333033355a180f32303336313132323130333033355a300c310a30"
    "0806035504030c01743059301306072a8648ce3d020106082a8648ce3d0301070342000460d50a7506cb598245597ec7"
    "ab417a04926b75fd0a2c0da9f36d19053a9b687c22bac7f569b15813cbe900ed4fe34d3c1947bb59450a8fe6434acd4e"
    "666693fd300906072a8648ce3d04010347003044022010bf7e6555ab08708f869a79fa2a1a12233aae3a0b2533dc11df"
    "779d91409833022023e65da045e336e9cd68e7f8816cc56af1bbaafee5344dc79c32137b05cc1bc6";

std::vector<std::byte> certificate() {
  std::vector<std::byte> out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < kCertHex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(nibble(kCertHex[i]) * 16 + nibble(kCertHex[i + 1])));
  }
  return out;
}

// Answers every GSS step with a small token, or fails on request.
class FakeGss final : public pc::GssTokenProvider {
 public:
  explicit FakeGss(bool fail) : fail_(fail) {}
  pgstream::Result<std::vector<std::byte>> initial_token() override { return token(); }
  pgstream::Result<std::vector<std::byte>> next_token(std::span<const std::byte> server_data) override {
    pf::touch(server_data);
    if (server_data.empty()) return std::vector<std::byte>{};
    return token();
  }

 private:
  pgstream::Result<std::vector<std::byte>> token() const {
    if (fail_) return pgstream::make_error(pgstream::ErrorCategory::auth, "fake GSS failure");
    return std::vector<std::byte>{std::byte{0x60}, std::byte{0x01}, std::byte{0x00}};
  }
  bool fail_;
};

pc::StartupOptions options_for(std::uint8_t bits) {
  pc::StartupOptions o;
  o.user = "alice";
  o.database = "app";
  o.application_name = "fuzz";
  switch (bits & 3) {
    case 0: break;  // no password
    case 1: o.password = "pencil"; break;
    case 2: o.password = ""; break;
    case 3: o.password = "p\xc3\xa4ss w\xe2\x80\x8bord"; break;  // SASLprep has work to do
  }
  switch ((bits >> 2) & 3) {
    case 0: o.channel_binding = pc::ChannelBinding::prefer; break;
    case 1: o.channel_binding = pc::ChannelBinding::require; break;
    case 2: o.channel_binding = pc::ChannelBinding::disable; break;
    case 3: o.channel_binding = pc::ChannelBinding::prefer; break;
  }
  if ((bits & 0x20) != 0) {
    // Only SCRAM permitted, or (negated) anything but cleartext.
    o.require_auth = (bits & 0x40) != 0 ? pc::RequireAuth{false, 1u << static_cast<unsigned>(pc::AuthMethod::scram_sha_256)}
                                        : pc::RequireAuth{true, 1u << static_cast<unsigned>(pc::AuthMethod::password)};
  }
  if ((bits & 0x80) != 0) {
    o.gss = std::make_shared<FakeGss>((bits & 0x40) != 0);
    o.oauth_token = []() -> pgstream::Result<std::string> { return std::string("fuzz-token"); };
    o.max_protocol = pc::kProtocol32;
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!pf::scram_iterations_at_most(pf::as_text(data, size), 64)) return -1;
  pf::Input in(data, size);
  const std::uint8_t bits = in.u8();
  const bool tls = (bits & 0x10) != 0;
  static const std::vector<std::byte> cert = certificate();

  pc::StartupMachine machine(options_for(bits), tls ? cert : std::vector<std::byte>{});
  std::string out;
  PGSTREAM_FUZZ_CHECK(machine.start(out).has_value());
  PGSTREAM_FUZZ_CHECK(!out.empty());

  std::span<const std::byte> stream = in.rest_bytes();
  bool finished = false;
  while (!stream.empty()) {
    const pp::FrameResult r = pp::next_frame(stream);
    if (!r.complete()) break;
    stream = stream.subspan(r.consumed());
    out.clear();
    auto status = machine.on_frame(r.frame, out);
    pf::touch(out);
    if (!status) {
      pf::check_error(status.error());
      finished = true;
      break;
    }
    if (*status == pc::StartupMachine::Status::ready) {
      finished = true;
      break;
    }
  }
  // Once finished, the machine refuses anything more.
  if (finished) {
    std::string more;
    const std::byte rfq[] = {std::byte{'Z'}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{5}, std::byte{'I'}};
    const pp::FrameResult r = pp::next_frame(rfq);
    PGSTREAM_FUZZ_CHECK(r.complete() && !machine.on_frame(r.frame, more).has_value());
  }
  const pc::SessionInfo session = machine.take_session();
  for (const auto& [k, v] : session.parameters) {
    pf::touch(k);
    pf::touch(v);
  }
  pf::touch(session.cancel_key);
  for (const auto& n : session.notices) pf::touch(n.message);
  return 0;
}
