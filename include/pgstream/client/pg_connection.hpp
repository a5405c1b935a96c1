#pragma once
// A blocking connection to Postgres: a socket (TCP or Unix), optionally TLS, a send buffer the
// protocol encoder writes into, and a receive buffer frames are decoded from in place.
//
//   auto conn = PgConnection::connect("host=db user=app sslmode=verify-full");
//   protocol::frontend::query(conn->send_buffer(), "SELECT 1");
//   conn->flush();
//   for (;;) { auto f = conn->recv(); ... if (f->type == 'Z') break; }
//
// Frames returned by recv() are views valid until the next recv(). One connection, one thread.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/client/conninfo.hpp"
#include "pgstream/client/startup.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/result.hpp"

namespace pgstream::client {

// Everything needed to open a session, built from a connection string or set in code.
class ConnectionBuilder {
 public:
  ConnectionBuilder() = default;
  // Parses `conninfo` (keyword/value or URI) and fills what it leaves out from PG* variables and
  // libpq's defaults.
  [[nodiscard]] static Result<ConnectionBuilder> from_conninfo(std::string_view conninfo,
                                                               const Environment& env = process_environment());
  explicit ConnectionBuilder(ConnInfo resolved) : info_(std::move(resolved)) {}

  ConnectionBuilder& user(std::string v) { info_.user = std::move(v); return *this; }
  ConnectionBuilder& database(std::string v) { info_.dbname = std::move(v); return *this; }
  ConnectionBuilder& password(std::string v) { info_.password = std::move(v); return *this; }
  ConnectionBuilder& application_name(std::string v) { info_.application_name = std::move(v); return *this; }
  ConnectionBuilder& options(std::string v) { info_.options = std::move(v); return *this; }
  ConnectionBuilder& parameter(std::string name, std::string value) {
    extra_parameters_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  // Bounds each host's whole start-up: connect, TLS, authentication, up to ReadyForQuery (as
  // libpq's connect_timeout). Set here it is exact; from a connection string it is whole seconds,
  // at least 2 as in libpq. Zero or less: wait forever.
  ConnectionBuilder& connect_timeout(std::chrono::milliseconds t) {
    connect_timeout_ = t;
    return *this;
  }
  // Bounds each request after start-up: from the flush() that sends it to the next
  // ReadyForQuery (simple_query, copy_in and extended_query are one such span each).
  // When it passes, the request fails with ErrorCategory::timeout, the connection is closed (it is
  // out of sync) and a CancelRequest is sent, waiting at most request_timeout more for it.
  // Zero (the default): wait as long as it takes.
  ConnectionBuilder& request_timeout(std::chrono::milliseconds t) {
    request_timeout_ = t;
    return *this;
  }
  [[nodiscard]] std::chrono::milliseconds request_timeout() const noexcept { return request_timeout_; }
  ConnectionBuilder& require_auth(RequireAuth r) { info_.require_auth = r; return *this; }
  ConnectionBuilder& oauth_token(OAuthTokenProvider p) { oauth_ = std::move(p); return *this; }
  ConnectionBuilder& gss_provider(std::shared_ptr<GssTokenProvider> p) { gss_ = std::move(p); return *this; }
  ConnectionBuilder& frame_limits(protocol::FrameLimits l) { limits_ = l; return *this; }

  [[nodiscard]] const ConnInfo& info() const noexcept { return info_; }
  [[nodiscard]] ConnInfo& info() noexcept { return info_; }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& extra_parameters() const noexcept {
    return extra_parameters_;
  }
  [[nodiscard]] const OAuthTokenProvider& oauth_token_provider() const noexcept { return oauth_; }
  [[nodiscard]] const std::shared_ptr<GssTokenProvider>& gss_token_provider() const noexcept { return gss_; }
  [[nodiscard]] const protocol::FrameLimits& limits() const noexcept { return limits_; }
  // connect_timeout() if set, else the connection string's connect_timeout; nullopt = no limit.
  [[nodiscard]] std::optional<std::chrono::milliseconds> effective_connect_timeout() const noexcept {
    if (connect_timeout_)
      return connect_timeout_->count() > 0 ? connect_timeout_ : std::nullopt;
    if (info_.connect_timeout && *info_.connect_timeout > 0)
      return std::chrono::seconds(std::max(2, *info_.connect_timeout));  // libpq's minimum of 2 s
    return std::nullopt;
  }

 private:
  ConnInfo info_;
  std::vector<std::pair<std::string, std::string>> extra_parameters_;
  OAuthTokenProvider oauth_;
  std::shared_ptr<GssTokenProvider> gss_;
  protocol::FrameLimits limits_;
  std::optional<std::chrono::milliseconds> connect_timeout_;
  std::chrono::milliseconds request_timeout_{0};
};

// Rows of a simple query, as text (NULL = nullopt): for tests and small tools, not bulk data.
struct TextResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::string command_tag;  // of the last statement
};

class PgConnection {
 public:
  [[nodiscard]] static Result<PgConnection> connect(const ConnectionBuilder& builder);
  [[nodiscard]] static Result<PgConnection> connect(std::string_view conninfo);

  PgConnection(PgConnection&&) noexcept;
  PgConnection& operator=(PgConnection&&) noexcept;
  ~PgConnection();  // sends Terminate if still open

  // Where frontend messages are encoded; flush() sends and empties it.
  [[nodiscard]] std::string& send_buffer() noexcept;
  [[nodiscard]] Result<void> flush();
  // The next backend frame (view valid until the next recv()).
  [[nodiscard]] Result<protocol::Frame> recv();

  // CancelRequest on a new socket to the same server (the request in progress fails with 57014).
  [[nodiscard]] Result<void> cancel();
  // Terminate and close; later calls fail.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept;
  [[nodiscard]] bool encrypted() const noexcept;
  [[nodiscard]] std::string tls_version() const;

  [[nodiscard]] const SessionInfo& session() const noexcept;
  // The server's latest ParameterStatus for `name` (start-up's, updated by any that arrive later,
  // e.g. after SET application_name); empty when none was reported.
  [[nodiscard]] std::string_view parameter(std::string_view name) const;
  [[nodiscard]] const std::string& endpoint_description() const noexcept;  // "host:port" or socket path

  // Runs `sql` with the simple-query protocol and collects every row as text; the first
  // ErrorResponse, or message that does not parse, becomes the error (after the connection is
  // back to ReadyForQuery).
  [[nodiscard]] Result<TextResult> simple_query(std::string_view sql);
  // COPY ... FROM STDIN with `data` as the whole payload: the rows the server reports.
  [[nodiscard]] Result<std::uint64_t> copy_in(std::string_view copy_sql, std::span<const std::byte> data);

  struct Impl;

 private:
  explicit PgConnection(std::unique_ptr<Impl> impl);
  [[nodiscard]] std::optional<bool> fits_target(TargetSessionAttrs want, std::optional<Error>& failure);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgstream::client
