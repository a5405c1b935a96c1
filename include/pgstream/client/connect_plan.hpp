#pragma once
// libpq's rules for the attempts of one connect, shared by the blocking connection and the
// reactor so both walk hosts, addresses and encryption choices the same way:
//   - per address, the encryption choices in sslmode's order (allow: plain then TLS; prefer: TLS
//     then plain; never TLS over a Unix socket);
//   - after a failed attempt, whether to retry the same address with the other choice, go on to
//     the next address or host, or give up (libpq does not try further hosts once a server has
//     refused the session, e.g. a failed authentication);
//   - target_session_attrs, from what the server reports at start-up or, from servers older than
//     14 that do not report it, from a query;
//   - one error naming every attempt, in one line.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pgstream/client/conninfo.hpp"
#include "pgstream/client/startup.hpp"
#include "pgstream/result.hpp"

namespace pgstream::client {

enum class Encryption : std::uint8_t { none, tls };

struct EncryptionPlan {
  std::array<Encryption, 2> steps{};
  std::size_t count = 0;
};
// The encryption choices for one address, in the order libpq tries them.
[[nodiscard]] EncryptionPlan encryption_plan(SslMode mode, EndpointKind kind) noexcept;

// Where an attempt (one address, one encryption choice) failed.
enum class AttemptStage : std::uint8_t {
  connect,          // no connection: refused, unreachable, unresolvable, connect timed out
  ssl_refused,      // the server answered SSLRequest with 'N'
  ssl_answer,       // the server answered SSLRequest with an error or garbage
  tls_handshake,    // the TLS handshake failed (or could not start)
  startup,          // start-up or authentication failed after the connection was made
  timeout,          // the attempt ran past connect_timeout
  target_mismatch,  // the session does not match target_session_attrs
  target_check,     // the query asking the server what it is failed
};

enum class NextAttempt : std::uint8_t { other_encryption, next_address, next_host, give_up };

// What follows a failed attempt at `plan.steps[step]`. As libpq: prefer retries the same address
// without TLS after a refused or failed handshake or a server error during the encrypted
// start-up; allow retries with TLS after a server error during the plain one (pg_hba hostssl);
// an unreachable address, a timeout or a failed check moves on; a session of the wrong kind moves
// to the next host; anything else (a server that refused us, garbage) ends the connect.
[[nodiscard]] NextAttempt after_failed_attempt(const EncryptionPlan& plan, std::size_t step, SslMode mode,
                                               AttemptStage stage, const Error& error) noexcept;

// Whether `session` fits `want`, from in_hot_standby and default_transaction_read_only (reported
// by Postgres 14+); nullopt when the server did not report what is needed: then run
// target_session_query(want) and judge its one value with target_session_answer_matches().
[[nodiscard]] std::optional<bool> session_matches(const SessionInfo& session, TargetSessionAttrs want);
// "SHOW transaction_read_only" (read-write, read-only) or "SELECT pg_catalog.pg_is_in_recovery()".
[[nodiscard]] std::string_view target_session_query(TargetSessionAttrs want) noexcept;
// `value`: the single field the query returned ("on"/"off", "t"/"f").
[[nodiscard]] bool target_session_answer_matches(TargetSessionAttrs want, std::string_view value) noexcept;
// The error for a session that does not fit.
[[nodiscard]] Error target_mismatch_error(std::string_view where, TargetSessionAttrs want);

// The failures of one connect, so the final error names every attempt: with one attempt that
// attempt's error unchanged; with more, the last one's category (and server fields) and a message
// "where: message; where: message" on one line.
class AttemptLog {
 public:
  void add(std::string_view where, const Error& error);
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  // Precondition: !empty().
  [[nodiscard]] Error final_error() const;
  void clear() noexcept;

 private:
  std::string text_;
  std::optional<Error> last_;
  std::size_t count_ = 0;
};

}  // namespace pgstream::client
