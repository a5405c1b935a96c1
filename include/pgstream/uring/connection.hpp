#pragma once
// One Postgres connection inside a Reactor, as the tools see it.

#include <cstddef>
#include <cstdint>

#include "pgstream/client/startup.hpp"
#include "pgstream/protocol/byte_sink.hpp"
#include "pgstream/uring/reactor.hpp"

namespace pgstream::uring {

class Connection {
 public:
  enum class State : std::uint8_t { connecting, negotiating_tls, starting_up, ready, backoff, closed };

  // Where the next request's messages are encoded: one half of the connection's registered send
  // area, sent with one fixed-buffer write per loop turn while the other half fills. Fixed capacity: when a message does not fit, the sink reports
  // overflowed() and the caller rolls back to its size before the request (protocol::rollback),
  // waits for on_writable, and encodes the request again.
  [[nodiscard]] protocol::SpanSink& sink() noexcept { return *sink_; }

  // Ends a request whose messages (through its Sync, or a simple Query) are in sink(): the
  // handler gets every frame of its response and then on_complete. False when the connection
  // is not ready or has max_requests_in_flight already (back-pressure: wait for on_writable).
  [[nodiscard]] bool push_request(RequestHandler* handler);
  // Asks for one on_writable call once the send half being written has gone out (after sink()
  // overflowed). sink() may be a different half afterwards: call it again, never keep it.
  void notify_when_writable() noexcept;

  [[nodiscard]] bool ready() const noexcept { return state_ == State::ready; }
  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] std::size_t requests_in_flight() const noexcept { return in_flight_count_; }
  [[nodiscard]] bool has_request_room() const noexcept;
  [[nodiscard]] const client::SessionInfo& session() const noexcept { return session_; }
  [[nodiscard]] bool encrypted() const noexcept { return encrypted_; }
  // The last ReadyForQuery's status: 'I' idle, 'T' in a transaction block, 'E' in a failed one.
  [[nodiscard]] char transaction_status() const noexcept { return transaction_status_; }
  [[nodiscard]] std::uint32_t index() const noexcept { return slot_; }

  // Free for the tool: whatever it needs to find its own state from the connection.
  void* user_data = nullptr;

 protected:
  Connection() = default;
  ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  protocol::SpanSink* sink_ = nullptr;
  State state_ = State::connecting;
  std::size_t in_flight_count_ = 0;
  client::SessionInfo session_;
  bool encrypted_ = false;
  char transaction_status_ = 'I';
  std::uint32_t slot_ = 0;
};

}  // namespace pgstream::uring
