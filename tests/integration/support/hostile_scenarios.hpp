#pragma once
// The server side of the hostile-server suites (connection_hostile_test.cpp for PgConnection,
// reactor_hostile_test.cpp for the reactor): what a FakeServer sends, byte for byte, in each
// scenario. Each test file keeps only how its client drives the scenario and what it checks.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "support/fake_server.hpp"

namespace pgstream::testing::hostile {

using Row = std::vector<std::optional<std::string>>;

// Resident memory of this process now, in KiB (not the peak: a test must see what is still held).
[[nodiscard]] long rss_kib();

// ---- a well-formed session ----

// Opens the session, reads one Query and answers `answer`; then answers a second Query normally
// (a one-row "SELECT 1" with n = 2, when the client still sends one) and waits for the hang-up.
[[nodiscard]] FakeServer::Script answer_query(std::string answer);

// ---- frames split at every byte boundary ----

// Start-up and the answer to one query, both sent one byte at a time with pauses. The answer is a
// notice, a ParameterStatus and then a result of columns a, b: split_rows(), tag "SELECT 3".
[[nodiscard]] FakeServer::Script split_every_byte();
[[nodiscard]] std::vector<Row> split_rows();

// Start-up and the answer to one query, each cut in two at byte k (wrapped to 1 .. size-1); the
// answer is a notice, then one column `a` holding rows {"1"}, {NULL}, tag "SELECT 2". Every k in
// 1 .. two_piece_splits()-1 gives another cut.
[[nodiscard]] FakeServer::Script split_in_two_at(std::size_t k);
[[nodiscard]] std::size_t two_piece_splits();

// `count` pairs of rows of one column: the index, then `big_size` bytes of 'x' followed by it.
[[nodiscard]] std::vector<Row> big_rows(std::size_t big_size, int count);
// Opens the session, reads one Query, sends the result of column `v` holding `rows` (tag
// "SELECT <rows>") in pieces of `piece` bytes, and waits for the hang-up.
[[nodiscard]] FakeServer::Script rows_in_pieces(std::vector<Row> rows, std::size_t piece,
                                                std::chrono::microseconds pause);

// ---- length fields that lie ----

// Below the 4 the field counts itself (0, 3); above every default limit (2^31 - 1); negative as
// an Int32 (0x80000000, 0xffffffff).
[[nodiscard]] std::vector<std::uint32_t> lying_lengths();
// A RowDescription, then a DataRow header claiming `length`, then 64 bytes.
[[nodiscard]] std::string lying_data_row_length(std::uint32_t length);
// Only the header of a DataRow announcing `length` bytes (nothing follows, the socket stays open).
[[nodiscard]] std::string data_row_header_only(std::uint32_t length);
// After the query: a DataRow header announcing 1 GiB, 1 MiB of it, then a hang-up.
[[nodiscard]] FakeServer::Script announced_gigabyte();

// ---- a DataRow that lies (the frame length is honest) ----

struct LyingRow {
  const char* name;
  std::string body;  // the DataRow body
};
void PrintTo(const LyingRow& r, std::ostream* os);
[[nodiscard]] std::vector<LyingRow> lying_rows();
// A RowDescription, the lying DataRow, an honest row "ok", CommandComplete "SELECT 2", ReadyForQuery.
[[nodiscard]] std::string answer_with_lying_row(const std::string& body);
// A DataRow whose frame length (6) ends it after its field count: the field reads as the next
// frame. Then CommandComplete and ReadyForQuery.
[[nodiscard]] std::string data_row_frame_too_short();

// ---- an ErrorResponse with no terminator ----

[[nodiscard]] std::string unterminated_error();
// Reads the StartupMessage and answers the unterminated ErrorResponse.
[[nodiscard]] FakeServer::Script unterminated_error_during_startup();

// ---- floods: endless notices, endless new ParameterStatus names ----

// Opens the session, reads one Query and sends notices until the client is gone (or the server
// stops), adding each one sent to `sent` (read it after FakeServer::wait_done()).
[[nodiscard]] FakeServer::Script notice_flood_after_query(std::size_t& sent);
// The same from the moment the StartupMessage arrived.
[[nodiscard]] FakeServer::Script notice_flood_during_startup(std::size_t& sent);
// Reads the StartupMessage and sends ParameterStatus messages, each with a new name, until stopped.
[[nodiscard]] FakeServer::Script parameter_flood_during_startup();
// The same after the session opened and one Query arrived, counting them in `sent`.
[[nodiscard]] FakeServer::Script parameter_flood_after_query(std::size_t& sent);

// ---- silence and hang-ups ----

// Opens the session, reads one Query, then says nothing.
[[nodiscard]] FakeServer::Script silent_after_query();
// Reads what the client sends first (StartupMessage, SSLRequest, CancelRequest), then nothing.
[[nodiscard]] FakeServer::Script silent_after_startup();
// Opens the session, reads one Query, sends a RowDescription and a DataRow cut 3 bytes short, hangs up.
[[nodiscard]] FakeServer::Script close_mid_row();

// ---- the cancel a request timeout sends ----

inline constexpr std::int32_t kCancelRequestCode = 80877102;
inline constexpr std::int32_t kSslRequestCode = 80877103;

struct CancelSeen {
  std::optional<StartupPacket> packet;
};
// Reads the CancelRequest into `seen` and closes, as a server does.
[[nodiscard]] FakeServer::Script cancel_reader(CancelSeen& seen);
// The CancelRequest arrived and names the session fake::session_ready() announced.
void expect_cancel_for_the_session(const CancelSeen& seen);

// ---- the answer to SSLRequest ----

// Reads the first packet, which must be an SSLRequest, answers `bytes`, waits for the hang-up.
[[nodiscard]] FakeServer::Script ssl_answer(std::string bytes);

}  // namespace pgstream::testing::hostile
