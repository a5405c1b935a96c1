// The SCRAM client's handling of server-first and server-final messages, with a fixed client
// nonce so that the fuzzer can learn a server nonce that extends it.
//
// Input: byte 0 = options (bit 0: channel binding with a fixed end-point hash, bit 1: server
// offered -PLUS, bit 2: feed server-final even after a failed server-first), then the
// server-first message, a NUL byte, and the server-final message.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "pgstream/auth/scram.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pa = pgstream::auth;
  namespace pf = pgstream::fuzz;
  if (!pf::scram_iterations_at_most(pf::as_text(data, size), 64)) return -1;
  pf::Input in(data, size);
  const std::uint8_t bits = in.u8();
  const std::string_view rest = in.rest_text();
  const std::size_t nul = rest.find('\0');
  const std::string_view server_first = rest.substr(0, nul);
  const std::string_view server_final = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);

  static constexpr std::array<std::byte, 32> kBinding{std::byte{1}, std::byte{2}, std::byte{3}};
  pa::ScramConfig cfg;
  cfg.password = "pencil";
  cfg.client_nonce = "fyko+d2lbbFgONRv9qkxdawL";
  if ((bits & 1) != 0) {
    cfg.channel_binding = pa::ChannelBindingMode::tls_server_end_point;
    cfg.binding_data = kBinding;
  }
  cfg.server_offers_plus = (bits & 2) != 0;
  auto client = pa::ScramClient::create(cfg);
  PGSTREAM_FUZZ_CHECK(client.has_value());

  auto final_message = client->handle_server_first(server_first);
  if (final_message) {
    PGSTREAM_FUZZ_CHECK(final_message->starts_with("c="));
    pf::touch(*final_message);
  } else {
    pf::check_error(final_message.error());
    PGSTREAM_FUZZ_CHECK(final_message.error().category() == pgstream::ErrorCategory::auth);
    if ((bits & 4) == 0) return 0;
  }
  auto done = client->handle_server_final(server_final);
  if (done) {
    PGSTREAM_FUZZ_CHECK(final_message.has_value() && client->complete());
  } else {
    pf::check_error(done.error());
    PGSTREAM_FUZZ_CHECK(!client->complete());
  }
  // Out of order: a second server-first is always refused.
  PGSTREAM_FUZZ_CHECK(!client->handle_server_first(server_first).has_value());
  return 0;
}
