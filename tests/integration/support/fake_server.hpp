#pragma once
// A fake Postgres server for what a real one will not do: it listens on 127.0.0.1 (a free port),
// accepts connections in a background thread and runs one scripted conversation per connection,
// reading what the client sends and answering with raw bytes the test chooses (see the frame
// builders below), including malformed ones.
//
//   FakeServer server([](FakeConnection& c) {
//     auto startup = c.read_startup();           // the client's StartupMessage
//     c.send(fake::auth_ok() + fake::session_ready());
//   });
//   auto conn = PgConnection::connect(server.dsn());
//
// Scripts run on the server thread and may use EXPECT_* (gtest is thread-safe with pthreads).
// Every read and write gives up after a timeout, and when the server is destroyed, so a client
// that misbehaves fails the test instead of hanging it. Connections stay open until the script
// calls close() or the server is destroyed: a script that returns early leaves a silent server.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace pgstream::testing {

// ---- backend frames as raw bytes ----
namespace fake {

[[nodiscard]] std::string be32(std::int32_t v);
// Type byte, Int32 length (body + 4), body.
[[nodiscard]] std::string frame(char type, std::string_view body);
// A frame header claiming `length` whatever follows (for lying lengths).
[[nodiscard]] std::string header(char type, std::uint32_t length);

[[nodiscard]] std::string auth(std::int32_t code, std::string_view data = {});
[[nodiscard]] std::string auth_ok();
[[nodiscard]] std::string auth_cleartext();
[[nodiscard]] std::string auth_sasl(const std::vector<std::string>& mechanisms);
[[nodiscard]] std::string auth_sasl_continue(std::string_view data);
[[nodiscard]] std::string auth_sasl_final(std::string_view data);
[[nodiscard]] std::string error_response(std::string_view sqlstate, std::string_view message,
                                         std::string_view severity = "FATAL");
[[nodiscard]] std::string notice_response(std::string_view message);
[[nodiscard]] std::string parameter_status(std::string_view name, std::string_view value);
[[nodiscard]] std::string backend_key_data(std::int32_t pid, std::string_view key);
[[nodiscard]] std::string ready_for_query(char status = 'I');
[[nodiscard]] std::string negotiate_protocol_version(std::int32_t version, const std::vector<std::string>& options);
// What a server sends after AuthenticationOk: server_version, BackendKeyData (pid 4242, key
// "\x01\x02\x03\x04"), ReadyForQuery idle.
[[nodiscard]] std::string session_ready();
// RowDescription of text columns (type oid 25, text format).
[[nodiscard]] std::string row_description(const std::vector<std::string>& names);
// DataRow with honest lengths; nullopt is NULL.
[[nodiscard]] std::string data_row(const std::vector<std::optional<std::string>>& values);
[[nodiscard]] std::string command_complete(std::string_view tag);
// A whole answer to a simple query: RowDescription, the rows, CommandComplete, ReadyForQuery.
[[nodiscard]] std::string query_result(const std::vector<std::string>& names,
                                       const std::vector<std::vector<std::optional<std::string>>>& rows,
                                       std::string_view tag);

}  // namespace fake

// A length-prefixed packet without a type byte: StartupMessage, SSLRequest, CancelRequest.
struct StartupPacket {
  std::int32_t code = 0;                      // protocol version or request code
  std::string rest;                           // the bytes after the code
  std::map<std::string, std::string> params;  // StartupMessage: name -> value
  std::string raw;                            // the whole packet, length included
};

// A typed frontend message.
struct ClientMessage {
  char type = 0;
  std::string body;
};

// SASLInitialResponse body: mechanism name, then Int32 length and the data (-1: none).
struct SaslInitial {
  std::string mechanism;
  std::optional<std::string> data;
};
[[nodiscard]] std::optional<SaslInitial> parse_sasl_initial(std::string_view body);

class FakeConnection {
 public:
  FakeConnection(int fd, const std::atomic<bool>& stopping) : fd_(fd), stopping_(&stopping) {}
  FakeConnection(const FakeConnection&) = delete;
  FakeConnection& operator=(const FakeConnection&) = delete;
  ~FakeConnection();

  // nullopt when the client closed, the timeout passed, or the server is stopping.
  [[nodiscard]] std::optional<StartupPacket> read_startup();
  [[nodiscard]] std::optional<ClientMessage> read_message();
  [[nodiscard]] std::optional<std::string> read_exact(std::size_t n);
  // False when the client is gone (or stops reading until the timeout).
  bool send(std::string_view bytes);
  // Sends `bytes` in pieces of `piece` bytes with a pause after each (the socket has TCP_NODELAY),
  // so the client sees frames split at (nearly) every boundary. False when the client is gone.
  bool send_in_pieces(std::string_view bytes, std::size_t piece, std::chrono::microseconds pause);
  // Reads the StartupMessage and answers AuthenticationOk + session_ready(). False when the
  // client sent no StartupMessage.
  bool accept_session();
  // The SQL of the next message, which must be a simple Query; nullopt otherwise.
  [[nodiscard]] std::optional<std::string> read_query();
  // True when the client closed its end within `timeout`.
  [[nodiscard]] bool wait_for_close(std::chrono::milliseconds timeout);
  [[nodiscard]] bool stopping() const noexcept { return stopping_->load(); }
  void close();

  std::chrono::milliseconds timeout{3000};

 private:
  // Waits for `events`; false on timeout or stop.
  bool wait(short events, std::chrono::steady_clock::time_point until);
  int fd_;
  const std::atomic<bool>* stopping_;
};

class FakeServer {
 public:
  using Script = std::function<void(FakeConnection&)>;

  // scripts[i] runs on the i-th accepted connection, one after the other.
  explicit FakeServer(std::vector<Script> scripts);
  explicit FakeServer(Script script) : FakeServer(std::vector<Script>{std::move(script)}) {}
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;
  ~FakeServer();  // stops, closes every connection, joins

  [[nodiscard]] int port() const noexcept { return port_; }
  // "host=127.0.0.1 port=N user=fake_user dbname=fake_db sslmode=disable connect_timeout=5 " + extra
  [[nodiscard]] std::string dsn(std::string_view extra = {}) const;
  // Waits until every script has run (or `timeout` passes); true when they all have.
  bool wait_done(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  [[nodiscard]] std::size_t accepted() const noexcept { return accepted_.load(); }

 private:
  void run();

  int listen_fd_ = -1;
  int port_ = 0;
  std::vector<Script> scripts_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<bool> done_{false};
  std::vector<std::unique_ptr<FakeConnection>> connections_;  // server thread only
  std::thread thread_;
};

}  // namespace pgstream::testing
