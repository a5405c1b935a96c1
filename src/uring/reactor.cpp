// The reactor loop and the per-connection state machine.
//
// Every SQE carries a Tag (op, connection slot, slot generation). A connection's buffers (the two
// registered send halves, the receive ring, the TLS input buffer) stay put while any of its
// operations is in flight (ops_in_flight); a dead connection is shut down so those operations
// complete, and its slot is reused only after they have.

#include "pgstream/uring/reactor.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <optional>
#include <random>
#include <string>

#include "pgstream/client/connect_plan.hpp"
#include "pgstream/client/peer_credentials.hpp"
#include "pgstream/client/pgpass.hpp"
#include "pgstream/client/tls_config.hpp"
#include "pgstream/client/socket.hpp"
#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/tls/tls_session.hpp"
#include "pgstream/uring/connection.hpp"
#include "pgstream/uring/mirrored_ring_buffer.hpp"
#include "pgstream/uring/ring.hpp"

namespace pgstream::uring {
namespace {

// Takes the SIGPIPE an EPIPE write left pending on this thread, so it cannot fire later if the
// thread ever unblocks it.
void clear_pending_sigpipe() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  const timespec zero{0, 0};
  while (sigtimedwait(&pipe, nullptr, &zero) == SIGPIPE) {
  }
}


using Clock = std::chrono::steady_clock;
namespace fe = protocol::frontend;

enum Op : std::uint8_t {
  op_connect = 1,
  op_link_timeout,
  op_send,
  op_recv,
  op_cancel_connect,
  op_cancel_send,
  op_cancel_close,
};

// checking: start-up is over and a query asks the server whether it fits target_session_attrs.
enum class Phase : std::uint8_t { idle, connecting, ssl_answer, tls_handshake, startup, checking, ready, closed };

// Between connecting and ready: a failure here is a failed attempt (see fail_attempt).
bool starting(Phase p) noexcept {
  return p == Phase::connecting || p == Phase::ssl_answer || p == Phase::tls_handshake || p == Phase::startup ||
         p == Phase::checking;
}

struct PendingRequest {
  RequestHandler* handler = nullptr;
  std::optional<Error> error;
  Clock::time_point deadline{};
  bool cancel_sent = false;
};

}  // namespace

struct ConnectionImpl final : Connection {
  Reactor::Impl* reactor = nullptr;
  std::uint32_t generation = 0;
  ConnectionEvents events;
  client::ConnectionBuilder builder;
  std::vector<client::Endpoint> endpoints;
  std::size_t endpoint_index = 0;
  std::vector<client::SocketAddress> addresses;
  std::size_t address_index = 0;
  client::SocketAddress connected_address;
  int fd = -1;
  Phase phase = Phase::idle;
  unsigned ops_in_flight = 0;
  bool want_tls = false;
  bool tls_optional = false;  // sslmode=prefer: go on without TLS when the server says 'N'
  // The attempts of one connect, as libpq makes them (connect_plan.hpp): per address, the
  // encryption choices of `plan` from `plan_step` (plan.count: the address is done).
  client::EncryptionPlan plan;
  std::size_t plan_step = 0;
  client::AttemptLog attempts;
  bool second_pass = false;       // prefer-standby found no standby: any server will do now
  bool restart_pending = false;   // the next attempt waits until the last one's operations end
  bool restart_may_reconnect = false;
  std::optional<std::string> check_value;  // the answer to the target_session_attrs query
  std::optional<Error> check_error;

  // Send: two halves of registered memory; `filling` takes new messages while the other is sent.
  std::byte* memory = nullptr;
  std::size_t half_bytes = 0;
  std::array<protocol::SpanSink, 2> halves{protocol::SpanSink({}), protocol::SpanSink({})};
  int filling = 0;
  bool send_in_flight = false;
  enum class SendKind : std::uint8_t { none, fixed, control, tls } send_kind = SendKind::none;
  int sending_half = -1;       // the half being written with write_fixed
  std::size_t send_done = 0;   // bytes of the in-flight send already written
  std::size_t send_total = 0;
  std::string control_pending;  // start-up messages (before `ready`)
  std::string control_out;      // the control bytes in flight
  bool notify_writable = false;
  bool dirty = false;  // in Reactor::Impl::dirty

  // Receive.
  MirroredRingBuffer ring;
  bool recv_in_flight = false;
  std::vector<std::byte> big;  // slow path: one frame larger than the ring
  std::size_t big_have = 0;
  std::size_t big_total = 0;   // the whole frame's size; `big` grows towards it as bytes arrive
  bool big_active = false;
  std::optional<tls::TlsSession> tls;
  std::vector<std::byte> tls_in;

  std::optional<client::StartupMachine> startup;
  std::deque<PendingRequest> queue;
  bool blocked_on_requests = false;

  // Cancel requests in flight (socket fd and the bytes, which must outlive the SQEs).
  int cancel_fd = -1;
  std::string cancel_bytes;

  unsigned reconnect_attempts = 0;
  Clock::time_point retry_at{};

  // connect_timeout bounds the whole start-up (connect, TLS, auth, up to ReadyForQuery), as in
  // the blocking client: a server that accepts and then stalls or trickles must not hang us.
  Clock::time_point startup_deadline = Clock::time_point::max();
  std::chrono::milliseconds startup_timeout{0};

  void set_state(State s) noexcept { state_ = s; }
  void set_sink() noexcept { sink_ = &halves[static_cast<std::size_t>(filling)]; }
  void set_encrypted(bool e) noexcept { encrypted_ = e; }
  void set_session(client::SessionInfo s) { session_ = std::move(s); }
  client::SessionInfo& session_mut() noexcept { return session_; }
  void set_slot(std::uint32_t s) noexcept { slot_ = s; }
  void set_in_flight(std::size_t n) noexcept { in_flight_count_ = n; }
  void set_transaction_status(char s) noexcept { transaction_status_ = s; }
};

struct Reactor::Impl {
  ReactorOptions options;
  Ring ring;
  std::vector<std::unique_ptr<ConnectionImpl>> slots;
  std::vector<ConnectionImpl*> dirty;
  std::size_t open_count = 0;
  std::uint64_t enter_calls = 0;  // io_uring_enter system calls made by run_once
  // Set while the Reactor is destroyed: handlers and events may already be gone, so none is called.
  bool silent = false;
  // The earliest start-up deadline armed (possibly of a connection that has since become ready):
  // connections are scanned for it only when it has passed, not every turn.
  Clock::time_point next_startup_deadline = Clock::time_point::max();

  Impl(ReactorOptions o, Ring r) : options(std::move(o)), ring(std::move(r)) {}

  // ---- SQE helpers ----

  io_uring_sqe* sqe_for(ConnectionImpl& c, Op op) {
    io_uring_sqe* sqe = ring.get_sqe();
    if (!sqe) return nullptr;
    io_uring_sqe_set_data64(sqe, Tag{op, c.index(), c.generation}.pack());
    ++c.ops_in_flight;
    return sqe;
  }

  void mark_dirty(ConnectionImpl& c) {
    if (c.dirty) return;
    c.dirty = true;
    dirty.push_back(&c);
  }

  // ---- opening ----

  static client::SslMode sslmode(const ConnectionImpl& c) {
    return c.builder.info().sslmode.value_or(client::SslMode::prefer);
  }
  static client::TargetSessionAttrs target(const ConnectionImpl& c) {
    if (c.second_pass) return client::TargetSessionAttrs::any;
    return c.builder.info().target_session_attrs.value_or(client::TargetSessionAttrs::any);
  }
  static std::string describe(const client::Endpoint& ep) {
    return ep.kind == client::EndpointKind::unix_socket ? ep.unix_socket_path()
                                                        : std::string(ep.address()) + ":" + std::to_string(ep.port);
  }
  // The attempt in progress, for messages: "host (address:port)", or the address alone.
  static std::string describe_attempt(const ConnectionImpl& c) {
    std::string addr = c.connected_address.to_string();
    const client::Endpoint& ep = c.endpoints[std::min(c.endpoint_index, c.endpoints.size() - 1)];
    if (ep.kind == client::EndpointKind::tcp && !ep.host.empty() && !addr.starts_with(ep.host))
      return ep.host + " (" + addr + ")";
    return addr;
  }

  // Starts the next attempt: the current address with its next encryption choice, else the next
  // address, else the next host (and with prefer-standby, a second pass taking any server). When
  // there is nothing left, the error names every attempt made.
  Result<void> start_connect(ConnectionImpl& c) {
    for (;;) {
      if (c.endpoint_index >= c.endpoints.size()) {
        if (!c.second_pass && target(c) == client::TargetSessionAttrs::prefer_standby && !c.attempts.empty()) {
          c.second_pass = true;
          c.endpoint_index = 0;
          c.addresses.clear();
          continue;
        }
        if (!c.attempts.empty()) return std::unexpected(c.attempts.final_error());
        return make_error(ErrorCategory::io, "no address to connect to");
      }
      const client::Endpoint& ep = c.endpoints[c.endpoint_index];
      if (c.addresses.empty()) {
        auto addrs = ep.kind == client::EndpointKind::unix_socket ? client::resolve(ep.host, "", ep.port)
                                                                  : client::resolve(ep.host, ep.hostaddr, ep.port);
        if (!addrs || addrs->empty()) {
          c.attempts.add(describe(ep), addrs ? Error(ErrorCategory::io, "no address to connect to") : addrs.error());
          ++c.endpoint_index;
          continue;
        }
        c.addresses = std::move(*addrs);
        // load_balance_hosts=random shuffles the addresses of one host name too, as libpq 16.
        if (c.builder.info().load_balance_hosts == client::LoadBalanceHosts::random && c.addresses.size() > 1)
          std::shuffle(c.addresses.begin(), c.addresses.end(), std::mt19937_64(std::random_device{}()));
        c.address_index = 0;
        c.plan = client::encryption_plan(sslmode(c), ep.kind);
        c.plan_step = 0;
      }
      if (c.plan_step >= c.plan.count) {  // this address is done
        ++c.address_index;
        c.plan_step = 0;
      }
      if (c.address_index >= c.addresses.size()) {
        c.addresses.clear();
        ++c.endpoint_index;
        continue;
      }
      return connect_current(c);
    }
  }

  // Connects to addresses[address_index] for the encryption choice plan.steps[plan_step].
  Result<void> connect_current(ConnectionImpl& c) {
    {
      const client::SocketAddress& a = c.addresses[c.address_index];
      c.fd = ::socket(a.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (c.fd < 0) return make_error(ErrorCategory::io, std::string("socket: ") + std::strerror(errno));
      const client::ConnInfo& info = c.builder.info();
      if (a.family() != AF_UNIX) {
        client::KeepaliveOptions ka;
        ka.enabled = info.keepalives.value_or(true);
        if (info.keepalives_idle.value_or(0) > 0) ka.idle_seconds = info.keepalives_idle;
        if (info.keepalives_interval.value_or(0) > 0) ka.interval_seconds = info.keepalives_interval;
        if (info.keepalives_count.value_or(0) > 0) ka.count = info.keepalives_count;
        std::optional<std::chrono::milliseconds> user_timeout;
        if (info.tcp_user_timeout.value_or(0) > 0) user_timeout = std::chrono::milliseconds(*info.tcp_user_timeout);
        if (auto r = client::apply_tcp_options(c.fd, ka, user_timeout); !r) return r;
      }
      c.want_tls = c.plan.steps[c.plan_step] == client::Encryption::tls;
      // prefer's TLS step: a server that answers 'N' gets the plain step on the same socket.
      c.tls_optional = c.want_tls && sslmode(c) == client::SslMode::prefer && c.plan_step + 1 < c.plan.count;
      c.connected_address = a;
      c.phase = Phase::connecting;
      c.set_state(Connection::State::connecting);
      io_uring_sqe* sqe = sqe_for(c, op_connect);
      io_uring_prep_connect(sqe, c.fd, reinterpret_cast<const sockaddr*>(&c.connected_address.storage),
                            c.connected_address.length);
      // The builder's exact value (or the string's, at least 2 s as in libpq): the same bound as
      // the blocking client's, per attempt, for the connect and for the whole start-up after it.
      const auto timeout = c.builder.effective_connect_timeout();
      c.startup_deadline = Clock::time_point::max();
      if (timeout) {
        c.startup_timeout = *timeout;
        c.startup_deadline = Clock::now() + *timeout;
        next_startup_deadline = std::min(next_startup_deadline, c.startup_deadline);
        static thread_local __kernel_timespec ts{};  // read by the kernel at submission time
        ts.tv_sec = timeout->count() / 1000;
        ts.tv_nsec = (timeout->count() % 1000) * 1'000'000;
        sqe->flags |= IOSQE_IO_LINK;
        io_uring_sqe* t = sqe_for(c, op_link_timeout);
        io_uring_prep_link_timeout(t, &ts, 0);
        ring.submit();  // the timespec must be read before the next connection reuses it
      }
      return {};
    }
  }

  // One attempt failed at `stage`: as libpq, retry the same address with the other encryption
  // choice, or go on to the next address or host, or give up with an error naming every attempt.
  // The next attempt starts once the kernel is done with this one's buffers (try_reconnects).
  void fail_attempt(ConnectionImpl& c, const Error& error, client::AttemptStage stage, bool may_reconnect) {
    if (!starting(c.phase)) return fail(c, error, may_reconnect);  // a session that was ready dies
    const auto next = client::after_failed_attempt(c.plan, c.plan_step, sslmode(c), stage, error);
    if (next == client::NextAttempt::give_up) return fail(c, error, may_reconnect);
    c.attempts.add(describe_attempt(c), error);
    close_socket(c);
    reset_attempt(c);
    switch (next) {
      case client::NextAttempt::other_encryption: ++c.plan_step; break;
      case client::NextAttempt::next_address: c.plan_step = c.plan.count; break;
      case client::NextAttempt::next_host:
        c.addresses.clear();
        ++c.endpoint_index;
        break;
      case client::NextAttempt::give_up: break;
    }
    c.phase = Phase::idle;
    c.startup_deadline = Clock::time_point::max();
    c.restart_pending = true;
    c.restart_may_reconnect = may_reconnect;
  }

  void on_connect(ConnectionImpl& c, int res) {
    if (res < 0) {
      const std::string where = c.connected_address.to_string();
      Error err = res == -ECANCELED
                      ? Error(ErrorCategory::timeout, "connection to " + where + " timed out (connect_timeout)")
                      : Error(ErrorCategory::io, "connection to " + where + " failed: " + std::strerror(-res));
      return fail_attempt(c, err, client::AttemptStage::connect, true);
    }
    // The scan of start-up deadlines may have skipped this one while the connect was in flight.
    next_startup_deadline = std::min(next_startup_deadline, c.startup_deadline);
    const client::ConnInfo& info = c.builder.info();
    const client::Endpoint& ep = c.endpoints[c.endpoint_index];
    // As libpq: requirepeer is checked before a byte is sent, and only on a Unix socket.
    if (ep.kind == client::EndpointKind::unix_socket && info.requirepeer && !info.requirepeer->empty())
      if (auto r = client::check_requirepeer(c.fd, *info.requirepeer); !r) return fail(c, r.error(), false);
    if (c.want_tls && info.sslnegotiation == client::SslNegotiation::direct) {
      // TLS first, no SSLRequest: the session checks that the server chose ALPN "postgresql".
      c.set_state(Connection::State::negotiating_tls);
      if (auto r = begin_tls(c); !r) return fail_attempt(c, r.error(), client::AttemptStage::tls_handshake, false);
    } else if (c.want_tls) {
      fe::ssl_request(c.control_pending);
      c.phase = Phase::ssl_answer;
      c.set_state(Connection::State::negotiating_tls);
    } else {
      begin_startup(c);
    }
    pump_send(c);
    pump_recv(c);
  }

  void begin_startup(ConnectionImpl& c) {
    const client::ConnInfo& info = c.builder.info();
    client::StartupOptions so;
    so.user = info.user.value_or("");
    so.database = info.dbname.value_or(so.user);
    so.application_name = info.effective_application_name().value_or("");
    so.options = info.options.value_or("");
    so.parameters = c.builder.extra_parameters();
    if (info.client_encoding) so.parameters.emplace_back("client_encoding", *info.client_encoding);
    const client::Endpoint& ep = c.endpoints[std::min(c.endpoint_index, c.endpoints.size() - 1)];
    so.password = client::choose_password(info, ep).password;
    if (info.require_auth) so.require_auth = *info.require_auth;
    so.channel_binding = info.channel_binding.value_or(client::ChannelBinding::prefer);
    so.min_protocol = info.min_protocol_version.value_or(client::kProtocol30);
    so.max_protocol = info.max_protocol_version.value_or(client::kProtocol30);
    so.oauth_token = c.builder.oauth_token_provider();
    so.gss = c.builder.gss_token_provider();
    std::vector<std::byte> cert;
    if (c.tls) cert = c.tls->peer_certificate_der();
    c.startup.emplace(std::move(so), std::move(cert));
    c.phase = Phase::startup;
    c.set_state(Connection::State::starting_up);
    if (auto r = c.startup->start(c.control_pending); !r) fail(c, r.error(), false);
  }

  Result<void> begin_tls(ConnectionImpl& c) {
    // The same settings as the blocking connection (sslrootcert, client certificates and
    // sslcertmode, CRLs, SNI, protocol versions, ALPN for sslnegotiation=direct).
    auto opts = client::tls_options_for(c.builder.info(), c.endpoints[c.endpoint_index]);
    if (!opts) return std::unexpected(opts.error());
    const tls::TlsOptions& o = *opts;
    auto ctx = tls::TlsContext::create(o);
    if (!ctx) return std::unexpected(ctx.error());
    auto session = tls::TlsSession::create(*ctx);
    if (!session) return std::unexpected(session.error());
    c.tls.emplace(std::move(*session));
    c.tls_in.resize(options.tls_recv_bytes);
    c.phase = Phase::tls_handshake;
    return advance_handshake(c);
  }

  Result<void> advance_handshake(ConnectionImpl& c) {
    auto done = c.tls->handshake();
    if (!done) return std::unexpected(done.error());
    if (*done) {
      c.set_encrypted(true);
      begin_startup(c);
    }
    return {};
  }

  // ---- sending ----

  void pump_send(ConnectionImpl& c) {
    if (c.send_in_flight || c.fd < 0 || c.phase == Phase::closed || c.phase == Phase::connecting) return;
    if (c.tls && c.phase != Phase::ssl_answer) {
      std::span<const std::byte> plain;
      if (c.phase == Phase::ready) plain = c.halves[static_cast<std::size_t>(c.filling)].written();
      else plain = std::as_bytes(std::span(c.control_pending));
      if (!plain.empty() && c.tls->handshake_done()) {
        if (auto r = c.tls->write_plaintext(plain); !r) return fail(c, r.error(), true);
        if (c.phase == Phase::ready) c.halves[static_cast<std::size_t>(c.filling)].clear();
        else c.control_pending.clear();
      }
      auto out = c.tls->outgoing_ciphertext();
      if (out.empty()) return;
      io_uring_sqe* sqe = sqe_for(c, op_send);
      io_uring_prep_send(sqe, c.fd, out.data(), out.size(), MSG_NOSIGNAL);
      c.send_in_flight = true;
      c.send_kind = ConnectionImpl::SendKind::tls;
      c.sending_half = -1;
      c.send_total = out.size();
      c.send_done = 0;
      return;
    }
    if (c.phase == Phase::ready) {
      auto& half = c.halves[static_cast<std::size_t>(c.filling)];
      if (half.size() == 0) return;
      c.sending_half = c.filling;
      c.send_total = half.size();
      c.send_done = 0;
      c.filling ^= 1;
      c.set_sink();
      submit_fixed_write(c);
      return;
    }
    if (c.control_pending.empty()) return;
    c.control_out.swap(c.control_pending);
    c.control_pending.clear();
    c.sending_half = -1;
    c.send_total = c.control_out.size();
    c.send_done = 0;
    io_uring_sqe* sqe = sqe_for(c, op_send);
    io_uring_prep_send(sqe, c.fd, c.control_out.data(), c.control_out.size(), MSG_NOSIGNAL);
    c.send_in_flight = true;
    c.send_kind = ConnectionImpl::SendKind::control;
  }

  void submit_fixed_write(ConnectionImpl& c) {
    const auto& half = c.halves[static_cast<std::size_t>(c.sending_half)];
    io_uring_sqe* sqe = sqe_for(c, op_send);
    // A fixed-buffer write: the kernel does not map the pages per send. write() has no
    // MSG_NOSIGNAL, so a socket the server closed raises SIGPIPE; the reactor's thread keeps it
    // blocked (see Reactor::create) and clears it when the write reports EPIPE.
    const unsigned buf_index = c.index() * 2 + static_cast<unsigned>(c.sending_half);
    io_uring_prep_write_fixed(sqe, c.fd, half.data() + c.send_done, static_cast<unsigned>(c.send_total - c.send_done), 0,
                              static_cast<int>(buf_index));
    c.send_in_flight = true;
    c.send_kind = ConnectionImpl::SendKind::fixed;
  }

  void on_send(ConnectionImpl& c, int res) {
    c.send_in_flight = false;
    if (c.phase == Phase::closed) return;
    if (res < 0) {
      if (res == -EPIPE) clear_pending_sigpipe();
      return fail_attempt(c, Error(ErrorCategory::io, std::string("could not send data to server: ") + std::strerror(-res)),
                          io_stage(c), true);
    }
    c.send_done += static_cast<std::size_t>(res);
    const auto kind = c.send_kind;
    c.send_kind = ConnectionImpl::SendKind::none;
    if (kind == ConnectionImpl::SendKind::tls) {
      c.tls->consume_outgoing(static_cast<std::size_t>(res));  // the rest goes with the next pump
      // The plaintext half was emptied into the session when it was encrypted; the writer is told
      // once all of its ciphertext is out, as a plain half is (without this a writer that waits
      // for room, as COPY does, waits forever under TLS).
      if (c.phase == Phase::ready && c.tls->outgoing_ciphertext().empty() && c.notify_writable &&
          c.events.on_writable && !silent) {
        c.notify_writable = false;
        c.events.on_writable(c);
      }
    } else if (kind == ConnectionImpl::SendKind::control) {
      if (c.send_done < c.send_total) {  // a short send of control bytes: resume
        io_uring_sqe* sqe = sqe_for(c, op_send);
        io_uring_prep_send(sqe, c.fd, c.control_out.data() + c.send_done, c.send_total - c.send_done, MSG_NOSIGNAL);
        c.send_in_flight = true;
        c.send_kind = kind;
        return;
      }
      c.control_out.clear();
    } else {
      if (c.send_done < c.send_total) return submit_fixed_write(c);  // partial write: resume
      c.halves[static_cast<std::size_t>(c.sending_half)].clear();
      c.sending_half = -1;
      if (c.notify_writable && c.events.on_writable && !silent) {
        c.notify_writable = false;
        c.events.on_writable(c);
      }
    }
    pump_send(c);
  }

  // ---- receiving ----

  void pump_recv(ConnectionImpl& c) {
    if (c.recv_in_flight || c.fd < 0 || c.phase == Phase::closed || c.phase == Phase::connecting) return;
    std::span<std::byte> into;
    if (c.tls && c.phase != Phase::ssl_answer) into = c.tls_in;
    else if (c.big_active) into = big_room(c);
    else into = c.ring.writable();
    if (into.empty()) return;  // the ring is full of a frame being dispatched: resumed after
    io_uring_sqe* sqe = sqe_for(c, op_recv);
    io_uring_prep_recv(sqe, c.fd, into.data(), into.size(), 0);
    c.recv_in_flight = true;
  }

  void on_recv(ConnectionImpl& c, int res) {
    c.recv_in_flight = false;
    if (c.phase == Phase::closed) return;
    if (res <= 0) {
      return fail_attempt(c, res == 0 ? Error(ErrorCategory::io, "server closed the connection unexpectedly")
                                      : Error(ErrorCategory::io, std::string("could not receive data from server: ") +
                                                                     std::strerror(-res)),
                          io_stage(c), true);
    }
    const auto n = static_cast<std::size_t>(res);
    if (c.tls && c.phase != Phase::ssl_answer) {
      c.tls->feed_ciphertext(std::span(c.tls_in).first(n));
      if (c.phase == Phase::tls_handshake) {
        if (auto r = advance_handshake(c); !r)
          return fail_attempt(c, r.error(), client::AttemptStage::tls_handshake, false);
      }
      if (c.phase != Phase::tls_handshake && !drain_tls(c)) return;
    } else {
      if (c.big_active) c.big_have += n;
      else c.ring.commit(n);
      if (!process(c)) return;
    }
    pump_send(c);
    pump_recv(c);
  }

  // Decrypts everything wolfSSL can give into the ring (or the big-frame buffer), decoding as
  // it goes so the ring frees up. False when the connection failed.
  bool drain_tls(ConnectionImpl& c) {
    for (;;) {
      std::span<std::byte> into = c.big_active ? big_room(c) : c.ring.writable();
      if (into.empty()) {
        if (!process(c)) return false;
        into = c.big_active ? big_room(c) : c.ring.writable();
        if (into.empty()) return true;
      }
      auto got = c.tls->read_plaintext(into);
      if (!got) {
        fail(c, got.error(), true);
        return false;
      }
      if (*got == 0) break;
      if (c.big_active) c.big_have += *got;
      else c.ring.commit(*got);
    }
    return process(c);
  }

  // Where the next bytes of a big frame go. The buffer doubles as they arrive instead of taking
  // the announced size at once: a header claiming 1 GiB must not cost 1 GiB before the server
  // has sent it (and a server that stops early costs only what it sent).
  static std::span<std::byte> big_room(ConnectionImpl& c) {
    if (c.big_have == c.big.size() && c.big.size() < c.big_total)
      c.big.resize(std::min(c.big_total, std::max<std::size_t>(2 * c.big.size(), 64 * 1024)));
    return std::span(c.big).subspan(c.big_have);
  }

  // Decodes and dispatches every complete frame. False when the connection failed.
  bool process(ConnectionImpl& c) {
    const std::uint32_t gen = c.generation;
    if (c.phase == Phase::ssl_answer) return process_ssl_answer(c);
    if (c.big_active) {
      if (c.big_have < c.big_total) return true;
      auto r = protocol::next_frame(std::span(c.big).first(c.big_total), options.limits);
      c.big_active = false;
      if (!r.complete()) {
        fail(c, r.to_error(), false);
        return false;
      }
      dispatch(c, r.frame);
      if (c.generation != gen || c.phase == Phase::closed) return false;
      // Keep a moderate buffer for the next big frame; give a huge one back.
      if (c.big.capacity() > (16u << 20)) std::vector<std::byte>().swap(c.big);
      c.big_have = 0;
    }
    for (;;) {
      auto in = c.ring.readable();
      auto r = protocol::next_frame(in, options.limits);
      if (r.complete()) {
        dispatch(c, r.frame);
        if (c.generation != gen || c.phase == Phase::closed) return false;
        c.ring.consume(r.consumed());
        continue;
      }
      if (r.status == protocol::FrameStatus::error) {
        fail(c, r.to_error(), false);
        return false;
      }
      const std::size_t total = in.size() + r.needed;
      if (total > c.ring.capacity()) {
        // Slow path, on purpose rare: a frame larger than the whole ring gets its own buffer.
        c.big_total = total;
        c.big.resize(std::min(total, std::max(2 * in.size(), c.ring.capacity())));
        std::memcpy(c.big.data(), in.data(), in.size());
        c.big_have = in.size();
        c.big_active = true;
        c.ring.consume(in.size());
      }
      return true;
    }
  }

  bool process_ssl_answer(ConnectionImpl& c) {
    auto answer = protocol::decode_encryption_answer(protocol::EncryptionRequest::ssl, c.ring.readable(), options.limits);
    using S = protocol::EncryptionAnswerStatus;
    switch (answer.status) {
      case S::need_more: return true;
      case S::accepted: {
        c.ring.consume(answer.consumed);
        if (auto r = begin_tls(c); !r) {
          fail_attempt(c, r.error(), client::AttemptStage::tls_handshake, false);
          return false;
        }
        return true;
      }
      case S::rejected:
        c.ring.consume(answer.consumed);
        if (!c.tls_optional) {
          fail_attempt(c, Error(ErrorCategory::tls, "server does not support SSL, but SSL was required"),
                       client::AttemptStage::ssl_refused, false);
          return false;
        }
        ++c.plan_step;  // prefer's plain step, on this socket
        begin_startup(c);
        return true;
      case S::server_error: {
        auto e = protocol::ErrorResponse::parse(answer.error_frame);
        fail(c, e ? e->to_error() : e.error(), false);
        return false;
      }
      case S::invalid:
        fail(c, answer.to_error(protocol::EncryptionRequest::ssl), false);
        return false;
    }
    return true;
  }

  void dispatch(ConnectionImpl& c, const protocol::Frame& f) {
    if (silent) return;
    if (c.phase == Phase::checking) return dispatch_check(c, f);
    if (c.phase == Phase::startup) {
      auto st = c.startup->on_frame(f, c.control_pending);
      if (!st) return fail_attempt(c, st.error(), client::AttemptStage::startup, false);
      if (*st == client::StartupMachine::Status::ready) {
        // sslcertmode=require: refused once the server accepts us without having asked for (or
        // received) a client certificate, as by the blocking connection and libpq.
        if (c.builder.info().sslcertmode == client::SslCertMode::require) {
          if (!c.tls || !c.tls->client_certificate_requested())
            return fail(c, Error(ErrorCategory::auth, "server did not request an SSL certificate (sslcertmode=require)"), false);
          if (!c.tls->client_certificate_sent())
            return fail(c, Error(ErrorCategory::auth,
                                 "server accepted connection without a valid SSL certificate (sslcertmode=require)"),
                        false);
        }
        c.set_session(c.startup->take_session());
        c.startup.reset();
        const auto want = target(c);
        const auto fits = client::session_matches(c.session(), want);
        if (!fits) {  // a server older than 14: ask it, as libpq
          c.check_value.reset();
          c.check_error.reset();
          if (auto q = fe::query(c.control_pending, client::target_session_query(want)); !q)
            return fail(c, q.error(), false);
          c.phase = Phase::checking;
          mark_dirty(c);
          return;
        }
        if (!*fits)
          return fail_attempt(c, client::target_mismatch_error(describe_attempt(c), want),
                              client::AttemptStage::target_mismatch, true);
        become_ready(c);
      }
      mark_dirty(c);
      return;
    }
    switch (f.type) {
      case 'N':
      case 'A':
        return;  // notices and notifications are not a request's answer
      case 'S': {
        if (auto ps = protocol::ParameterStatus::parse(f)) client::set_parameter(c.session_mut(), ps->name(), ps->value());
        return;
      }
      default: break;
    }
    if (c.queue.empty()) {
      if (f.type == 'E') {
        auto e = protocol::ErrorResponse::parse(f);
        return fail(c, e ? e->to_error() : e.error(), true);  // e.g. FATAL: terminating connection
      }
      return fail(c, Error(ErrorCategory::protocol, std::string("unexpected message '") + f.type +
                                                        "' with no request in flight"),
                  false);
    }
    PendingRequest& head = c.queue.front();
    if (f.type == 'E' && !head.error) {
      auto e = protocol::ErrorResponse::parse(f);
      head.error = e ? e->to_error() : e.error();
      if (head.cancel_sent && head.error->sqlstate() == "57014")
        head.error = Error(ErrorCategory::timeout, "request timed out after " +
                                                       std::to_string(options.request_timeout.count()) +
                                                       " ms and was cancelled");
    }
    if (f.type != 'Z') {
      head.handler->on_frame(c, f);
      return;
    }
    if (!f.body.empty()) c.set_transaction_status(static_cast<char>(f.body[0]));
    PendingRequest done = std::move(head);
    c.queue.pop_front();
    c.set_in_flight(c.queue.size());
    if (done.error) done.handler->on_complete(c, std::unexpected(std::move(*done.error)));
    else done.handler->on_complete(c, {});
    if (c.blocked_on_requests && c.phase == Phase::ready) {
      c.blocked_on_requests = false;
      if (c.events.on_writable) c.events.on_writable(c);
    }
  }

  void become_ready(ConnectionImpl& c) {
    c.phase = Phase::ready;
    c.set_transaction_status('I');
    c.set_state(Connection::State::ready);
    c.startup_deadline = Clock::time_point::max();
    c.reconnect_attempts = 0;
    c.attempts.clear();
    if (c.events.on_ready) c.events.on_ready(c);
  }

  // The answer to target_session_query(): one value, then ReadyForQuery.
  void dispatch_check(ConnectionImpl& c, const protocol::Frame& f) {
    switch (f.type) {
      case 'D': {
        auto row = protocol::DataRow::parse(f);
        if (!row) {
          if (!c.check_error) c.check_error = row.error();
          return;
        }
        for (const auto& value : *row) {
          if (!c.check_value && !value.is_null())
            c.check_value.emplace(reinterpret_cast<const char*>(value.bytes().data()), value.bytes().size());
          break;
        }
        return;
      }
      case 'E': {
        auto e = protocol::ErrorResponse::parse(f);
        if (!c.check_error) c.check_error = e ? e->to_error() : e.error();
        return;
      }
      case 'S': {
        if (auto ps = protocol::ParameterStatus::parse(f)) client::set_parameter(c.session_mut(), ps->name(), ps->value());
        return;
      }
      case 'Z': break;
      default: return;  // RowDescription, CommandComplete, notices
    }
    const auto want = target(c);
    if (c.check_error || !c.check_value) {
      Error e = c.check_error ? *c.check_error
                              : Error(ErrorCategory::protocol, "no answer to \"" +
                                                                   std::string(client::target_session_query(want)) + "\"");
      return fail_attempt(c, e, client::AttemptStage::target_check, true);
    }
    if (!client::target_session_answer_matches(want, *c.check_value))
      return fail_attempt(c, client::target_mismatch_error(describe_attempt(c), want),
                          client::AttemptStage::target_mismatch, true);
    become_ready(c);
    mark_dirty(c);
  }

  // ---- failure, reconnect, cancel ----

  // The stage an I/O error ends: during the TLS handshake it is a failed handshake (which prefer
  // retries without TLS), otherwise a failed start-up.
  static client::AttemptStage io_stage(const ConnectionImpl& c) {
    return c.phase == Phase::tls_handshake ? client::AttemptStage::tls_handshake : client::AttemptStage::startup;
  }

  void close_socket(ConnectionImpl& c) {
    ++c.generation;  // completions still in flight for the old socket are now stale
    if (c.fd >= 0) {
      // An SQE still queued names the socket by its number: submitted after the close, it would
      // act on whatever socket reuses that number next (a reconnect, another connection, any fd
      // of the process), e.g. steal its bytes with a recv. Submitting first binds it to this one.
      ring.submit();
      ::shutdown(c.fd, SHUT_RDWR);  // in-flight recv/send complete, and then the fd is closed
      ::close(c.fd);
      c.fd = -1;
    }
    c.send_in_flight = c.recv_in_flight = false;
  }

  void fail(ConnectionImpl& c, const Error& error, bool may_reconnect) {
    if (c.phase == Phase::closed) return;
    Error cause = error;
    if (starting(c.phase)) {  // the last attempt of a connect: name every attempt
      c.attempts.add(describe_attempt(c), error);
      cause = c.attempts.final_error();
    }
    c.phase = Phase::closed;
    c.restart_pending = false;
    close_socket(c);
    auto queue = std::move(c.queue);
    c.queue.clear();
    c.set_in_flight(0);
    // A FATAL the server sent before closing (e.g. 57P01, terminated by an administrator) says
    // more than the reset that follows it: every request in flight gets that.
    if (!queue.empty() && queue.front().error && queue.front().error->server() &&
        (queue.front().error->server()->severity == "FATAL" || queue.front().error->server()->severity == "PANIC"))
      cause = *queue.front().error;
    const bool retry = may_reconnect && c.reconnect_attempts < options.reconnect.max_attempts;
    if (retry) {
      auto backoff = options.reconnect.initial_backoff * (1u << std::min(c.reconnect_attempts, 16u));
      c.retry_at = Clock::now() + std::min<std::chrono::milliseconds>(backoff, options.reconnect.max_backoff);
      ++c.reconnect_attempts;
      c.set_state(Connection::State::backoff);
    } else {
      c.set_state(Connection::State::closed);
      --open_count;
    }
    if (silent) return;
    // Only now, with the connection marked dead, may handlers react (they cannot push to it).
    for (auto& p : queue) p.handler->on_complete(c, std::unexpected(cause));
    if (c.events.on_closed) c.events.on_closed(c, cause);
  }

  // What one attempt leaves behind (the socket is closed already).
  void reset_attempt(ConnectionImpl& c) {
    c.notify_writable = false;  // asked by the lost session; the next one says when it is ready
    c.halves[0].clear();
    c.halves[1].clear();
    c.filling = 0;
    c.set_sink();
    c.sending_half = -1;
    c.send_kind = ConnectionImpl::SendKind::none;
    c.control_pending.clear();
    c.control_out.clear();
    c.ring.consume(c.ring.size());
    c.big_active = false;
    c.big_have = 0;
    c.big_total = 0;
    c.tls.reset();
    c.set_encrypted(false);
    c.startup.reset();
    c.check_value.reset();
    c.check_error.reset();
  }

  // A reconnect starts the whole walk over hosts again.
  void reset_buffers(ConnectionImpl& c) {
    reset_attempt(c);
    c.endpoint_index = 0;
    c.addresses.clear();
    c.plan_step = 0;
    c.attempts.clear();
    c.second_pass = false;
  }

  // Starts the attempts that waited for the kernel to finish with the previous one's buffers,
  // and the reconnects whose backoff has passed. By index: on_closed may open connections.
  void try_reconnects(Clock::time_point now) {
    for (std::size_t i = 0; i < slots.size(); ++i) {
      ConnectionImpl& c = *slots[i];
      if (c.restart_pending) {
        if (c.ops_in_flight > 0) continue;
        c.restart_pending = false;
        if (auto r = start_connect(c); !r) fail(c, r.error(), c.restart_may_reconnect);
        continue;
      }
      if (c.state() != Connection::State::backoff || c.ops_in_flight > 0 || now < c.retry_at) continue;
      reset_buffers(c);
      c.phase = Phase::idle;
      if (auto r = start_connect(c); !r) fail(c, r.error(), true);
    }
  }

  void send_cancel(ConnectionImpl& c) {
    if (c.cancel_fd >= 0 || c.session().cancel_key.empty()) return;
    c.cancel_bytes.clear();
    if (!fe::cancel_request(c.cancel_bytes, c.session().backend_pid, c.session().cancel_key)) return;
    c.cancel_fd = ::socket(c.connected_address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.cancel_fd < 0) return;
    // connect -> send -> close, linked: one round of the ring, no thread, no blocking.
    io_uring_sqe* s1 = sqe_for(c, op_cancel_connect);
    io_uring_prep_connect(s1, c.cancel_fd, reinterpret_cast<const sockaddr*>(&c.connected_address.storage),
                          c.connected_address.length);
    s1->flags |= IOSQE_IO_LINK;
    io_uring_sqe* s2 = sqe_for(c, op_cancel_send);
    io_uring_prep_send(s2, c.cancel_fd, c.cancel_bytes.data(), c.cancel_bytes.size(), MSG_NOSIGNAL);
    s2->flags |= IOSQE_IO_LINK;
    io_uring_sqe* s3 = sqe_for(c, op_cancel_close);
    io_uring_prep_close(s3, c.cancel_fd);
  }

  // Gives up connections whose start-up ran past connect_timeout. (A connect still in flight has
  // its own linked timeout, which then tries the next address.)
  Clock::time_point check_startup_deadlines(Clock::time_point now) {
    if (now < next_startup_deadline) return next_startup_deadline;
    next_startup_deadline = Clock::time_point::max();
    for (std::size_t i = 0; i < slots.size(); ++i) {  // by index: on_closed may open connections
      ConnectionImpl& c = *slots[i];
      if (c.startup_deadline == Clock::time_point::max()) continue;
      const bool started = starting(c.phase) && c.phase != Phase::connecting;
      if (started && now >= c.startup_deadline) {
        c.startup_deadline = Clock::time_point::max();
        fail_attempt(c, Error(ErrorCategory::timeout, "server did not complete start-up within " +
                                                          std::to_string(c.startup_timeout.count()) +
                                                          " ms (connect_timeout)"),
                     client::AttemptStage::timeout, true);
        continue;
      }
      if (c.phase == Phase::ready || c.phase == Phase::closed) {
        c.startup_deadline = Clock::time_point::max();
        continue;
      }
      if (now >= c.startup_deadline) continue;  // connecting: its linked timeout completes soon
      next_startup_deadline = std::min(next_startup_deadline, c.startup_deadline);
    }
    return next_startup_deadline;
  }

  // Cancels the oldest request of each connection once it is past its deadline; gives the
  // connection up when the request is still not answered one more request_timeout later (a server
  // that ignores the cancel, or one that cannot be reached for it). Requests complete in order,
  // so only the head can be the first late one.
  Clock::time_point check_deadlines(Clock::time_point now) {
    Clock::time_point next = check_startup_deadlines(now);
    const auto timeout = options.request_timeout;
    if (timeout.count() <= 0) return next;
    for (std::size_t i = 0; i < slots.size(); ++i) {  // by index: on_closed may open connections
      ConnectionImpl& c = *slots[i];
      if (c.queue.empty()) continue;
      PendingRequest& head = c.queue.front();
      if (!head.cancel_sent && now >= head.deadline) {
        head.cancel_sent = true;
        send_cancel(c);
      }
      if (!head.cancel_sent) {
        next = std::min(next, head.deadline);
      } else if (now >= head.deadline + timeout) {
        fail(c, Error(ErrorCategory::timeout, "request timed out after " + std::to_string(timeout.count()) +
                                                  " ms and the server did not answer its cancel within " +
                                                  std::to_string(timeout.count()) + " ms more; connection closed"),
             true);
      } else {
        next = std::min(next, head.deadline + timeout);
      }
    }
    return next;
  }

  void on_completion(const io_uring_cqe& cqe) {
    const Tag tag = Tag::unpack(cqe.user_data);
    if (tag.slot >= slots.size()) return;
    ConnectionImpl& c = *slots[tag.slot];
    if (c.ops_in_flight > 0) --c.ops_in_flight;
    switch (tag.op) {
      case op_cancel_connect:
      case op_cancel_send:
        return;
      case op_cancel_close:
        if (cqe.res < 0 && c.cancel_fd >= 0) ::close(c.cancel_fd);  // the chain broke before close
        c.cancel_fd = -1;
        return;
      case op_link_timeout:
        return;
      default: break;
    }
    if (tag.generation != c.generation) return;  // for a socket that has since been closed
    switch (tag.op) {
      case op_connect: on_connect(c, cqe.res); break;
      case op_send: on_send(c, cqe.res); break;
      case op_recv: on_recv(c, cqe.res); break;
      default: break;
    }
  }
};

bool Connection::has_request_room() const noexcept {
  const auto& c = static_cast<const ConnectionImpl&>(*this);
  return ready() && c.queue.size() < c.reactor->options.max_requests_in_flight;
}

bool Connection::push_request(RequestHandler* handler) {
  auto& c = static_cast<ConnectionImpl&>(*this);
  if (!has_request_room()) {
    c.blocked_on_requests = true;
    return false;
  }
  PendingRequest p;
  p.handler = handler;
  if (c.reactor->options.request_timeout.count() > 0) p.deadline = Clock::now() + c.reactor->options.request_timeout;
  c.queue.push_back(std::move(p));
  c.set_in_flight(c.queue.size());
  c.reactor->mark_dirty(c);
  return true;
}

void Connection::notify_when_writable() noexcept {
  auto& c = static_cast<ConnectionImpl&>(*this);
  c.notify_writable = true;
  c.reactor->mark_dirty(c);  // make sure what is already in the sink goes out
}

Result<std::unique_ptr<Reactor>> Reactor::create(const ReactorOptions& options) {
  // Fixed-buffer writes cannot say MSG_NOSIGNAL: as libpq does around its writes, SIGPIPE is
  // blocked in the thread that runs the reactor (the writes are issued from it), so a server
  // that went away is an EPIPE, not the death of the process.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  // An empty ciphertext buffer would leave a TLS connection waiting for a recv never issued.
  if (options.tls_recv_bytes == 0) return make_error(ErrorCategory::config, "tls_recv_bytes must be > 0");
  auto ring = Ring::create(Ring::Options{.entries = options.ring_entries});
  if (!ring) return std::unexpected(ring.error());
  if (auto r = ring->register_sparse_buffers(static_cast<unsigned>(options.max_connections * 2)); !r)
    return std::unexpected(r.error());
  return std::unique_ptr<Reactor>(new Reactor(std::make_unique<Impl>(options, std::move(*ring))));
}

Reactor::Reactor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Reactor::~Reactor() {
  impl_->silent = true;
  close_all();
  for (auto& c : impl_->slots)
    if (c->memory) ::munmap(c->memory, 2 * c->half_bytes);
}

Result<Connection*> Reactor::open(const client::ConnectionBuilder& builder, ConnectionEvents events) {
  Impl& r = *impl_;
  if (r.slots.size() >= r.options.max_connections)
    return make_error(ErrorCategory::config, "too many connections for this reactor (max_connections=" +
                                                 std::to_string(r.options.max_connections) + ")");
  auto endpoints = client::make_endpoints(builder.info(), std::random_device{}());
  if (!endpoints) return std::unexpected(endpoints.error());
  auto c = std::make_unique<ConnectionImpl>();
  c->reactor = &r;
  c->set_slot(static_cast<std::uint32_t>(r.slots.size()));
  c->events = std::move(events);
  c->builder = builder;
  c->endpoints = std::move(*endpoints);
  auto ring = MirroredRingBuffer::create(r.options.recv_ring_bytes);
  if (!ring) return std::unexpected(ring.error());
  c->ring = std::move(*ring);
  c->half_bytes = r.options.send_buffer_bytes;
  void* mem = ::mmap(nullptr, 2 * c->half_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return make_error(ErrorCategory::io, std::string("cannot allocate send buffers: ") + std::strerror(errno));
  c->memory = static_cast<std::byte*>(mem);
  c->halves[0] = protocol::SpanSink(std::span(c->memory, c->half_bytes));
  c->halves[1] = protocol::SpanSink(std::span(c->memory + c->half_bytes, c->half_bytes));
  c->set_sink();
  const iovec iov[2] = {{c->memory, c->half_bytes}, {c->memory + c->half_bytes, c->half_bytes}};
  if (auto reg = r.ring.update_buffers(c->index() * 2, iov); !reg) {
    ::munmap(mem, 2 * c->half_bytes);
    return std::unexpected(reg.error());
  }
  ConnectionImpl* raw = c.get();
  r.slots.push_back(std::move(c));
  ++r.open_count;
  if (auto s = r.start_connect(*raw); !s) {
    raw->set_state(Connection::State::closed);
    raw->phase = Phase::closed;
    --r.open_count;
    return std::unexpected(s.error());
  }
  return static_cast<Connection*>(raw);
}

Result<void> Reactor::run_once(std::chrono::nanoseconds max_wait) {
  Impl& r = *impl_;
  // Flush what handlers queued since the last turn: one send per connection, one submit for all.
  for (std::size_t i = 0; i < r.dirty.size(); ++i) {
    r.dirty[i]->dirty = false;
    r.pump_send(*r.dirty[i]);
  }
  r.dirty.clear();
  auto now = Clock::now();
  if (max_wait.count() <= 0) {  // a poll: the caller has other work (e.g. parsing input)
    r.check_deadlines(now);
    const int rc = r.ring.submit();
    if (rc < 0 && rc != -EBUSY && rc != -EAGAIN && rc != -EINTR)
      return make_error(ErrorCategory::io, std::string("io_uring_enter: ") + std::strerror(-rc));
    // With DEFER_TASKRUN completions only arrive when we enter the kernel asking for events.
    io_uring_get_events(r.ring.native());
    r.enter_calls += rc > 0 ? 2 : 1;
    r.ring.drain([&](const io_uring_cqe& cqe) { r.on_completion(cqe); });
    r.try_reconnects(Clock::now());
    return {};
  }
  auto wait = max_wait;
  const auto next = r.check_deadlines(now);
  if (next != Clock::time_point::max()) wait = std::min(wait, std::chrono::duration_cast<std::chrono::nanoseconds>(next - now));
  for (auto& slot : r.slots) {
    if (slot->restart_pending && slot->ops_in_flight == 0) wait = std::chrono::nanoseconds(0);
    if (slot->state() == Connection::State::backoff)
      wait = std::min(wait, std::max(std::chrono::nanoseconds(0),
                                     std::chrono::duration_cast<std::chrono::nanoseconds>(slot->retry_at - now)));
  }
  // A floor against spinning, unless the caller asked for less (a rate schedule, a \\sleep).
  wait = std::max(wait, std::min(max_wait, std::chrono::nanoseconds(50'000)));
  wait = std::max(wait, std::chrono::nanoseconds(1'000));
  // Coalescing: with a batch size set, wait up to coalesce_delay for that many completions, so
  // one wake-up serves many responses (fewer context switches per query, a little latency).
  unsigned wait_nr = 1;
  if (r.options.coalesce_completions > 1) {
    wait_nr = r.options.coalesce_completions;
    wait = std::min(wait, std::chrono::duration_cast<std::chrono::nanoseconds>(r.options.coalesce_delay));
  }
  const int rc = r.ring.submit_and_wait(wait_nr, wait);
  ++r.enter_calls;
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
    return make_error(ErrorCategory::io, std::string("io_uring_enter: ") + std::strerror(-rc));
  r.ring.drain([&](const io_uring_cqe& cqe) { r.on_completion(cqe); });
  r.try_reconnects(Clock::now());
  return {};
}

std::uint64_t Reactor::enter_calls() const noexcept { return impl_->enter_calls; }

Result<void> Reactor::run_until(const std::function<bool()>& done) {
  while (!done()) {
    if (impl_->open_count == 0) return {};
    if (auto r = run_once(); !r) return r;
  }
  return {};
}

void Reactor::close_all() {
  Impl& r = *impl_;
  for (auto& slot : r.slots) {
    ConnectionImpl& c = *slot;
    if (c.phase != Phase::ready) continue;
    protocol::frontend::terminate(c.sink());
    r.pump_send(c);
  }
  // Give the Terminates a moment to leave, then close everything.
  const auto until = Clock::now() + std::chrono::milliseconds(500);
  auto pending = [&] {
    for (auto& slot : r.slots)
      if (slot->phase == Phase::ready && slot->send_in_flight) return true;
    return false;
  };
  while (pending() && Clock::now() < until) {
    r.ring.submit_and_wait(1, std::chrono::milliseconds(10));
    r.ring.drain([&](const io_uring_cqe& cqe) { r.on_completion(cqe); });
  }
  for (auto& slot : r.slots) {
    ConnectionImpl& c = *slot;
    if (c.phase == Phase::closed) continue;
    c.events.on_closed = nullptr;  // a deliberate close is not news
    r.options.reconnect.max_attempts = 0;
    r.fail(c, Error(ErrorCategory::cancelled, "connection closed by the client"), false);
  }
  // Wait for the kernel to finish with every buffer before they are unmapped.
  const auto drain_until = Clock::now() + std::chrono::seconds(2);
  auto busy = [&] {
    for (auto& slot : r.slots)
      if (slot->ops_in_flight > 0) return true;
    return false;
  };
  while (busy() && Clock::now() < drain_until) {
    r.ring.submit_and_wait(1, std::chrono::milliseconds(10));
    r.ring.drain([&](const io_uring_cqe& cqe) { r.on_completion(cqe); });
  }
}

std::size_t Reactor::open_connections() const noexcept { return impl_->open_count; }
const ReactorOptions& Reactor::options() const noexcept { return impl_->options; }

}  // namespace pgstream::uring
