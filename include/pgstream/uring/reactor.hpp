#pragma once
// The io_uring reactor: one ring, many pipelined Postgres connections, one thread.
//
// Run one Reactor per thread (shared nothing), created in the thread that runs it: creating it
// blocks SIGPIPE in that thread, since its fixed-buffer writes cannot say MSG_NOSIGNAL (a server
// that went away is then an EPIPE error, as under libpq). Tools spread connections over several.
// Connections are opened through the ring (connect, TLS, start-up and auth by the same sans-I/O
// machines the blocking client uses). Once ready, a tool encodes requests straight into the
// connection's registered send area (Connection::sink()), ends each request with a Sync (or a
// simple Query) and hands the reactor a RequestHandler; every response frame is decoded in place
// from the connection's receive ring and delivered to the handler of the request it answers.
//
//   auto reactor = Reactor::create({});
//   Connection* c = reactor->open(builder, events).value();
//   ... in events.on_ready: encode Bind/Execute/Sync into c->sink(); c->push_request(&handler);
//   reactor->run_until([&] { return done; });

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/result.hpp"

namespace pgstream::uring {

class Connection;

// The owner of one request: sees each backend frame answering it (views valid during the call),
// then exactly one completion.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void on_frame(Connection& /*connection*/, const protocol::Frame& /*frame*/) {}
  // ok at the request's ReadyForQuery; else the first ErrorResponse of the request (the server
  // skipped the rest up to the Sync), or io / protocol / timeout error when the connection died,
  // the server broke the protocol, or the request's deadline passed (see request_timeout).
  virtual void on_complete(Connection& connection, Result<void> outcome) = 0;
};

struct ConnectionEvents {
  // Start-up finished (also after a reconnect): the connection takes requests.
  std::function<void(Connection&)> on_ready;
  // Send space or in-flight room was freed after push_request/sink() ran out of it.
  std::function<void(Connection&)> on_writable;
  // The connection failed to open, or died; its in-flight requests have been failed already.
  // With a reconnect policy the reactor tries again and on_ready fires when it succeeds.
  std::function<void(Connection&, const Error&)> on_closed;
};

struct ReconnectPolicy {
  unsigned max_attempts = 0;  // 0: never reconnect
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

struct ReactorOptions {
  unsigned ring_entries = 4096;
  // Registered send memory per connection: two halves of this size (one in flight, one filling).
  std::size_t send_buffer_bytes = 256 * 1024;
  // Receive ring per connection (frames larger than this take a slow path).
  std::size_t recv_ring_bytes = 256 * 1024;
  // Ciphertext receive buffer per TLS connection (each recv reads at most this much; wolfSSL
  // takes records in pieces, so any size works). Resident for the life of the connection: with
  // many TLS connections, a smaller one saves memory at the cost of more recv calls. Must be > 0.
  std::size_t tls_recv_bytes = 64 * 1024;
  std::size_t max_connections = 1024;
  // Requests (Syncs) in flight per connection before push_request() reports no room.
  std::size_t max_requests_in_flight = 4096;
  protocol::FrameLimits limits;
  // A request unanswered this long is cancelled on the server (it then fails with a timeout
  // error). If it is still unanswered one more request_timeout later (the server ignores the
  // cancel, or cannot be reached for it), the connection is closed and every request in flight
  // fails with a timeout error. 0: no limit.
  std::chrono::milliseconds request_timeout{0};
  // Throughput mode: a loop turn waits for this many completions (or coalesce_delay) before
  // processing. 1 (the default) wakes for every completion: lowest latency.
  unsigned coalesce_completions = 1;
  std::chrono::microseconds coalesce_delay{200};
  ReconnectPolicy reconnect;
};

class Reactor {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Reactor>> create(const ReactorOptions& options);
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Starts opening a connection; events.on_ready fires when it can take requests. Errors here
  // are only the immediate ones (bad connection string, too many connections); later failures
  // arrive through on_closed. The builder's effective_connect_timeout() bounds each attempt's
  // whole start-up (connect, TLS, authentication, up to ReadyForQuery), as in the blocking client.
  // Attempts follow libpq as the blocking client does (client/connect_plan.hpp): every host and
  // address in order (shuffled with load_balance_hosts=random), sslmode prefer/allow retrying the
  // other encryption choice, target_session_attrs; on_closed's error then names every attempt.
  [[nodiscard]] Result<Connection*> open(const client::ConnectionBuilder& builder, ConnectionEvents events);

  // One loop turn: submit everything queued, wait for at least one completion (or the nearest
  // deadline, or `max_wait`), and process what completed. max_wait 0 only polls.
  [[nodiscard]] Result<void> run_once(std::chrono::nanoseconds max_wait = std::chrono::milliseconds(100));
  // Turns until done() is true, or until no connection is open.
  [[nodiscard]] Result<void> run_until(const std::function<bool()>& done);

  // Sends Terminate on every ready connection and closes them all (in-flight requests fail with
  // a cancelled error). Destroying the Reactor does the same without calling any handler or
  // event, so handlers may be destroyed before or after it.
  void close_all();
  [[nodiscard]] std::size_t open_connections() const noexcept;
  [[nodiscard]] const ReactorOptions& options() const noexcept;
  // io_uring_enter system calls made so far: with nothing else per request, the syscall cost of
  // the work done (tools report it per transaction).
  [[nodiscard]] std::uint64_t enter_calls() const noexcept;

  struct Impl;

 private:
  explicit Reactor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgstream::uring
