#include "pgstream/client/pg_connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "pgstream/client/connect_plan.hpp"
#include "pgstream/client/peer_credentials.hpp"
#include "pgstream/client/pgpass.hpp"
#include "pgstream/client/tls_config.hpp"
#include "pgstream/client/socket.hpp"
#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/tls/tls_session.hpp"

namespace pgstream::client {
namespace {

namespace be = protocol;
namespace fe = protocol::frontend;
using Clock = std::chrono::steady_clock;

// connect_timeout bounds the whole start-up of one host (connect, TLS, authentication, up to
// ReadyForQuery), as in libpq: a server that accepts and then stalls or trickles must not hang us.
// After start-up, request_timeout bounds each request the same way (flush to ReadyForQuery).
struct Deadline {
  Clock::time_point at;
  std::chrono::milliseconds total;
  bool request = false;  // request_timeout, not connect_timeout
};

// The bytes of one session: plain socket, or TLS over it.
class Transport {
 public:
  explicit Transport(Socket s) : socket_(std::move(s)) {}

  [[nodiscard]] int fd() const noexcept { return socket_.fd(); }
  [[nodiscard]] bool encrypted() const noexcept { return tls_.has_value(); }
  [[nodiscard]] tls::TlsSession* tls() noexcept { return tls_ ? &*tls_ : nullptr; }
  // Every later socket wait fails with ErrorCategory::timeout once `d` has passed; nullopt: wait
  // as long as it takes.
  void set_deadline(std::optional<Deadline> d) noexcept { deadline_ = d; }

  // Waits until the socket is ready for `events` or the deadline passes.
  Result<void> wait_until_ready(short events) {
    if (!deadline_) return {};
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_->at - Clock::now());
      if (left.count() <= 0) break;
      pollfd p{socket_.fd(), events, 0};
      const int rc = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30)));
      if (rc > 0) return {};  // ready, or an error/hang-up that the send/recv itself reports
      if (rc == 0) break;
      if (errno != EINTR)
        return make_error(ErrorCategory::io, std::string("could not wait for the server: ") + std::strerror(errno));
    }
    if (deadline_->request)
      return make_error(ErrorCategory::timeout, "server did not complete the request within " +
                                                    std::to_string(deadline_->total.count()) +
                                                    " ms (request_timeout); the connection was closed");
    return make_error(ErrorCategory::timeout, "server did not complete start-up within " +
                                                  std::to_string(deadline_->total.count()) + " ms (connect_timeout)");
  }

  Result<void> send_raw(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
      if (auto r = wait_until_ready(POLLOUT); !r) return r;
      const ssize_t n = ::send(socket_.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error(ErrorCategory::io, std::string("could not send data to server: ") + std::strerror(errno));
      }
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return {};
  }

  // Some bytes from the socket: > 0, or an error (the server closing is an io error).
  Result<std::size_t> recv_raw(std::span<std::byte> into) {
    for (;;) {
      if (auto r = wait_until_ready(POLLIN); !r) return std::unexpected(r.error());
      const ssize_t n = ::recv(socket_.fd(), into.data(), into.size(), 0);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) return make_error(ErrorCategory::io, "server closed the connection unexpectedly");
      if (errno == EINTR) continue;
      return make_error(ErrorCategory::io, std::string("could not receive data from server: ") + std::strerror(errno));
    }
  }

  Result<void> flush_tls() {
    auto out = tls_->outgoing_ciphertext();
    if (out.empty()) return {};
    if (auto r = send_raw(out); !r) return r;
    tls_->consume_outgoing(out.size());
    return {};
  }

  Result<void> start_tls(std::shared_ptr<const tls::TlsContext> ctx) {
    auto session = tls::TlsSession::create(std::move(ctx));
    if (!session) return std::unexpected(session.error());
    tls_.emplace(std::move(*session));
    std::array<std::byte, 16384> buf;
    for (;;) {
      auto done = tls_->handshake();
      if (auto r = flush_tls(); !r) return r;
      if (!done) return std::unexpected(done.error());
      if (*done) return {};
      auto n = recv_raw(buf);
      if (!n) return std::unexpected(n.error());
      tls_->feed_ciphertext(std::span(buf).first(*n));
    }
  }

  Result<void> send(std::span<const std::byte> bytes) {
    if (!tls_) return send_raw(bytes);
    if (auto r = tls_->write_plaintext(bytes); !r) return r;
    return flush_tls();
  }

  Result<std::size_t> recv(std::span<std::byte> into) {
    if (!tls_) return recv_raw(into);
    std::array<std::byte, 16384> cipher;
    for (;;) {
      auto n = tls_->read_plaintext(into);
      if (!n) return n;
      if (*n > 0) return n;
      if (auto r = flush_tls(); !r) return std::unexpected(r.error());  // e.g. a key update answer
      auto got = recv_raw(cipher);
      if (!got) return got;
      tls_->feed_ciphertext(std::span(cipher).first(*got));
    }
  }

  void shutdown_tls() noexcept {
    if (!tls_) return;
    tls_->shutdown();
    (void)flush_tls();
  }

 private:
  Socket socket_;
  std::optional<tls::TlsSession> tls_;
  std::optional<Deadline> deadline_;
};

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}


}  // namespace

struct PgConnection::Impl {
  std::optional<Transport> transport;
  std::string send_buffer;
  std::vector<std::byte> recv_buffer = std::vector<std::byte>(64 * 1024);
  std::size_t recv_start = 0;
  std::size_t recv_end = 0;
  protocol::FrameLimits limits;
  SessionInfo session;
  std::string endpoint;
  std::vector<SocketAddress> addresses;  // for CancelRequest
  std::chrono::milliseconds cancel_timeout{10'000};  // connect_timeout, else 10 s
  std::chrono::milliseconds request_timeout{0};       // set once start-up is over
  bool request_open = false;                          // flushed, ReadyForQuery not seen yet
  bool open = false;
  bool started = false;  // start-up is over: later ParameterStatus messages update `session`

  Result<void> flush() {
    if (!open) return make_error(ErrorCategory::io, "connection is closed");
    if (send_buffer.empty()) return {};
    if (request_timeout.count() > 0 && !request_open) {
      request_open = true;
      transport->set_deadline(Deadline{Clock::now() + request_timeout, request_timeout, true});
    }
    auto r = transport->send(as_bytes(send_buffer));
    send_buffer.clear();
    if (!r) broken(r.error());
    return r;
  }

  // The stream is out of sync (or gone): nothing more can be read from it. After a request
  // timeout the socket is closed (the backend ends when it notices) and, as the server may still
  // be running the request until then, a CancelRequest is sent too (best effort).
  void broken(const Error& e) {
    open = false;
    if (e.category() != ErrorCategory::timeout || !request_open) return;
    transport.reset();
    // Bounded by request_timeout too: a cancel target that never closes must not turn a
    // 300 ms request_timeout into connect_timeout's 10 s.
    (void)send_cancel(std::min(cancel_timeout, request_timeout));
  }

  Result<void> send_cancel(std::chrono::milliseconds timeout) {
    auto socket = connect_blocking(addresses, timeout, KeepaliveOptions{});
    if (!socket) return std::unexpected(socket.error());
    std::string msg;
    if (auto r = fe::cancel_request(msg, session.backend_pid, session.cancel_key); !r) return r;
    Transport t(std::move(*socket));
    t.set_deadline(Deadline{Clock::now() + timeout, timeout});
    if (auto r = t.send_raw(as_bytes(msg)); !r) return r;
    // The server closes the socket when it has processed the request; wait for that, but not
    // forever (a server that keeps the socket open has still received the request).
    std::byte b;
    if (t.wait_until_ready(POLLIN)) (void)::recv(t.fd(), &b, 1, 0);
    return {};
  }

  Result<protocol::Frame> recv() {
    if (!open) return make_error(ErrorCategory::io, "connection is closed");
    for (;;) {
      auto r = protocol::next_frame(std::span(recv_buffer).subspan(recv_start, recv_end - recv_start), limits);
      if (r.complete()) {
        recv_start += r.consumed();
        if (r.frame.type == 'Z' && request_open) {
          request_open = false;
          transport->set_deadline(std::nullopt);
        }
        // A SET (or the server itself) changed a reported setting: parameter() must not go stale.
        if (r.frame.type == 'S' && started)
          if (auto ps = be::ParameterStatus::parse(r.frame)) set_parameter(session, ps->name(), ps->value());
        return r.frame;
      }
      if (r.status == protocol::FrameStatus::error) {
        open = false;
        return std::unexpected(r.to_error());
      }
      // Make room for what the frame still needs: slide to the front, grow only for big frames.
      const std::size_t have = recv_end - recv_start;
      if (recv_start > 0 && (recv_end + r.needed > recv_buffer.size() || recv_start == recv_end)) {
        std::memmove(recv_buffer.data(), recv_buffer.data() + recv_start, have);
        recv_start = 0;
        recv_end = have;
      }
      // Grow by doubling as the bytes arrive, not to the announced size at once: a header that
      // claims 1 GiB must not cost 1 GiB before the server has sent it.
      if (recv_end == recv_buffer.size())
        recv_buffer.resize(std::min(recv_end + r.needed, std::max<std::size_t>(recv_buffer.size() * 2, 4096)));
      auto n = transport->recv(std::span(recv_buffer).subspan(recv_end));
      if (!n) {
        broken(n.error());
        return std::unexpected(n.error());
      }
      recv_end += *n;
    }
  }
};

Result<ConnectionBuilder> ConnectionBuilder::from_conninfo(std::string_view conninfo, const Environment& env) {
  auto parsed = parse_conninfo(conninfo);
  if (!parsed) return std::unexpected(parsed.error());
  auto resolved = resolve(std::move(*parsed), env);
  if (!resolved) return std::unexpected(resolved.error());
  return ConnectionBuilder(std::move(*resolved));
}

namespace {

// Why one attempt failed: the error, and where (which decides what libpq does next).
struct OpenFailure {
  Error error;
  AttemptStage stage = AttemptStage::startup;
};
using OpenResult = std::expected<std::unique_ptr<PgConnection::Impl>, OpenFailure>;

std::unexpected<OpenFailure> fail(Error e, AttemptStage stage = AttemptStage::startup) {
  return std::unexpected(OpenFailure{std::move(e), stage});
}

// The server's reply to SSLRequest, read byte by byte as far as it goes so that nothing meant for
// the TLS handshake is consumed here.
Result<void> negotiate_ssl(PgConnection::Impl& impl) {
  fe::ssl_request(impl.send_buffer);
  if (auto r = impl.flush(); !r) return r;
  std::vector<std::byte> answer(1);
  std::size_t have = 0;
  for (;;) {
    auto n = impl.transport->recv(std::span(answer).subspan(have));
    if (!n) return std::unexpected(n.error());
    have += *n;
    auto a = protocol::decode_encryption_answer(protocol::EncryptionRequest::ssl, std::span(answer).first(have),
                                                impl.limits);
    switch (a.status) {
      case protocol::EncryptionAnswerStatus::accepted: return {};
      case protocol::EncryptionAnswerStatus::rejected:
        return make_error(ErrorCategory::tls, "server does not support SSL, but SSL was required");
      case protocol::EncryptionAnswerStatus::invalid: return std::unexpected(a.to_error(protocol::EncryptionRequest::ssl));
      case protocol::EncryptionAnswerStatus::server_error: {
        // The server is not authenticated yet, so (as libpq since CVE-2024-10977) its text is not
        // shown: a man in the middle could write anything there. The SQLSTATE is kept, checked.
        ServerErrorFields f;
        f.severity = "FATAL";
        f.message = "server sent an error response during SSL exchange";
        if (auto e = be::ErrorResponse::parse(a.error_frame); e) {
          const std::string code = e->to_fields().sqlstate;
          if (code.size() == 5 && std::all_of(code.begin(), code.end(), [](char c) {
                return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
              }))
            f.sqlstate = code;
        }
        return std::unexpected(Error(std::move(f)));
      }
      case protocol::EncryptionAnswerStatus::need_more: answer.resize(have + a.needed); break;
    }
  }
}

// Opens one endpoint with one encryption choice and runs start-up to ReadyForQuery.
OpenResult open_endpoint(const ConnectionBuilder& b, const Endpoint& ep, Encryption encryption,
                         const Environment& env) {
  const ConnInfo& info = b.info();
  auto addresses = ep.kind == EndpointKind::unix_socket ? resolve(ep.host, "", ep.port)
                                                         : resolve(ep.host, ep.hostaddr, ep.port);
  if (!addresses) return fail(addresses.error(), AttemptStage::connect);
  // load_balance_hosts=random shuffles the addresses of one host name too, as libpq 16.
  if (info.load_balance_hosts == LoadBalanceHosts::random && addresses->size() > 1)
    std::shuffle(addresses->begin(), addresses->end(), std::mt19937_64(std::random_device{}()));
  std::optional<Deadline> deadline;
  if (auto timeout = b.effective_connect_timeout()) deadline = Deadline{Clock::now() + *timeout, *timeout};
  KeepaliveOptions ka;
  ka.enabled = info.keepalives.value_or(true);
  if (info.keepalives_idle.value_or(0) > 0) ka.idle_seconds = info.keepalives_idle;
  if (info.keepalives_interval.value_or(0) > 0) ka.interval_seconds = info.keepalives_interval;
  if (info.keepalives_count.value_or(0) > 0) ka.count = info.keepalives_count;
  auto socket = connect_blocking(*addresses, deadline ? std::optional(deadline->total) : std::nullopt, ka);
  if (!socket) return fail(socket.error(), AttemptStage::connect);
  // As libpq: requirepeer is checked before a byte is sent, and only means something on a Unix socket.
  if (ep.kind == EndpointKind::unix_socket && info.requirepeer && !info.requirepeer->empty())
    if (auto r = check_requirepeer(socket->fd(), *info.requirepeer); !r) return fail(r.error());

  auto impl = std::make_unique<PgConnection::Impl>();
  impl->limits = b.limits();
  impl->addresses = std::move(*addresses);
  impl->cancel_timeout = deadline ? deadline->total : std::chrono::milliseconds(std::chrono::seconds(10));
  impl->endpoint = ep.kind == EndpointKind::unix_socket ? ep.unix_socket_path()
                                                         : std::string(ep.address()) + ":" + std::to_string(ep.port);
  impl->transport.emplace(std::move(*socket));
  impl->transport->set_deadline(deadline);
  impl->open = true;

  if (encryption == Encryption::tls) {
    auto opts = tls_options_for(info, ep, env);
    if (!opts) return fail(opts.error());
    auto ctx = tls::TlsContext::create(*opts);
    if (!ctx) return fail(ctx.error());
    if (!opts->alpn_postgresql)  // only a plain 'N' (tls) lets prefer go on without TLS
      if (auto r = negotiate_ssl(*impl); !r)
        return fail(r.error(), r.error().category() == ErrorCategory::tls       ? AttemptStage::ssl_refused
                               : r.error().category() == ErrorCategory::timeout ? AttemptStage::timeout
                                                                                : AttemptStage::ssl_answer);
    if (auto r = impl->transport->start_tls(*ctx); !r) return fail(r.error(), AttemptStage::tls_handshake);
  }

  StartupOptions so;
  so.user = info.user.value_or("");
  so.database = info.dbname.value_or(so.user);
  so.application_name = info.effective_application_name().value_or("");
  so.options = info.options.value_or("");
  so.parameters = b.extra_parameters();
  if (info.client_encoding) so.parameters.emplace_back("client_encoding", *info.client_encoding);
  {
    auto choice = choose_password(info, ep);
    if (!choice.warning.empty()) {
      // libpq prints this on stderr and goes on without the file; we surface it as a notice.
      ServerErrorFields w;
      w.severity = "WARNING";
      w.message = choice.warning;
      impl->session.notices.push_back(std::move(w));
    }
    so.password = std::move(choice.password);
  }
  if (info.require_auth) so.require_auth = *info.require_auth;
  so.channel_binding = info.channel_binding.value_or(ChannelBinding::prefer);
  so.min_protocol = info.min_protocol_version.value_or(kProtocol30);
  so.max_protocol = info.max_protocol_version.value_or(kProtocol30);
  so.oauth_token = b.oauth_token_provider();
  so.gss = b.gss_token_provider();

  std::vector<std::byte> cert;
  if (auto* t = impl->transport->tls()) cert = t->peer_certificate_der();
  StartupMachine machine(std::move(so), std::move(cert));
  if (auto r = machine.start(impl->send_buffer); !r) return fail(r.error());
  if (auto r = impl->flush(); !r) return fail(r.error());
  for (;;) {
    auto frame = impl->recv();
    if (!frame) return fail(frame.error());
    auto st = machine.on_frame(*frame, impl->send_buffer);
    if (!st) return fail(st.error());
    if (auto r = impl->flush(); !r) return fail(r.error());
    if (*st == StartupMachine::Status::ready) break;
  }
  // sslcertmode=require: libpq refuses, once the server accepts us, a session in which the server
  // never asked for a client certificate or none was sent.
  if (info.sslcertmode == SslCertMode::require) {
    const auto* t = impl->transport->tls();
    if (!t || !t->client_certificate_requested())
      return fail(Error(ErrorCategory::auth, "server did not request an SSL certificate (sslcertmode=require)"));
    if (!t->client_certificate_sent())
      return fail(Error(ErrorCategory::auth,
                        "server accepted connection without a valid SSL certificate (sslcertmode=require)"));
  }
  impl->transport->set_deadline(std::nullopt);
  impl->request_timeout = b.request_timeout();
  auto notices = std::move(impl->session.notices);
  impl->session = machine.take_session();
  notices.insert(notices.end(), impl->session.notices.begin(), impl->session.notices.end());
  impl->session.notices = std::move(notices);
  impl->started = true;
  return impl;
}

std::string describe(const Endpoint& ep) {
  return ep.kind == EndpointKind::unix_socket ? ep.unix_socket_path()
                                              : std::string(ep.address()) + ":" + std::to_string(ep.port);
}

}  // namespace

// Whether an open session fits target_session_attrs: from what the server reported, else (a
// server older than 14) from the query libpq runs. nullopt with `failure` set when the query
// failed (as libpq, the address is then given up).
std::optional<bool> PgConnection::fits_target(TargetSessionAttrs want, std::optional<Error>& failure) {
  if (auto known = session_matches(impl_->session, want)) return known;
  auto answer = simple_query(target_session_query(want));
  if (!answer) {
    failure = answer.error();
    return std::nullopt;
  }
  if (answer->rows.size() != 1 || answer->rows[0].size() != 1 || !answer->rows[0][0]) {
    failure = Error(ErrorCategory::protocol, "unexpected answer to \"" + std::string(target_session_query(want)) + "\"");
    return std::nullopt;
  }
  return target_session_answer_matches(want, *answer->rows[0][0]);
}

Result<PgConnection> PgConnection::connect(const ConnectionBuilder& builder) {
  const Environment& env = process_environment();
  const ConnInfo& info = builder.info();
  auto endpoints = make_endpoints(info, std::random_device{}());
  if (!endpoints) return std::unexpected(endpoints.error());
  const SslMode mode = info.sslmode.value_or(SslMode::prefer);
  const TargetSessionAttrs target = info.target_session_attrs.value_or(TargetSessionAttrs::any);
  AttemptLog log;

  // prefer-standby, as libpq: a first pass looks for a standby; if there is none, a second pass
  // takes any server.
  const int passes = target == TargetSessionAttrs::prefer_standby ? 2 : 1;
  for (int pass = 0; pass < passes; ++pass) {
    const TargetSessionAttrs want = pass == 0 ? target : TargetSessionAttrs::any;
    for (const Endpoint& ep : *endpoints) {
      const EncryptionPlan plan = encryption_plan(mode, ep.kind);
      for (std::size_t step = 0; step < plan.count; ++step) {
        auto impl = open_endpoint(builder, ep, plan.steps[step], env);
        OpenFailure failure{Error(ErrorCategory::config, ""), AttemptStage::startup};
        if (impl) {
          PgConnection conn(std::move(*impl));
          std::optional<Error> check_error;
          const auto fits = conn.fits_target(want, check_error);
          if (fits == true) return conn;
          failure = fits ? OpenFailure{target_mismatch_error(conn.endpoint_description(), want),
                                       AttemptStage::target_mismatch}
                         : OpenFailure{*check_error, AttemptStage::target_check};
        } else {
          failure = std::move(impl.error());
        }
        log.add(describe(ep), failure.error);
        const NextAttempt next = after_failed_attempt(plan, step, mode, failure.stage, failure.error);
        if (next == NextAttempt::give_up) return std::unexpected(log.final_error());
        if (next != NextAttempt::other_encryption) break;  // one socket per host here: next host
      }
    }
  }
  if (log.empty()) return make_error(ErrorCategory::config, "no host to connect to");
  return std::unexpected(log.final_error());
}

Result<PgConnection> PgConnection::connect(std::string_view conninfo) {
  auto b = ConnectionBuilder::from_conninfo(conninfo);
  if (!b) return std::unexpected(b.error());
  return connect(*b);
}

PgConnection::PgConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgConnection::PgConnection(PgConnection&&) noexcept = default;
PgConnection& PgConnection::operator=(PgConnection&&) noexcept = default;
PgConnection::~PgConnection() { close(); }

std::string& PgConnection::send_buffer() noexcept { return impl_->send_buffer; }
Result<void> PgConnection::flush() { return impl_->flush(); }
Result<protocol::Frame> PgConnection::recv() { return impl_->recv(); }

void PgConnection::close() noexcept {
  if (!impl_ || !impl_->open) return;
  impl_->send_buffer.clear();
  fe::terminate(impl_->send_buffer);
  (void)impl_->flush();
  impl_->transport->shutdown_tls();
  impl_->open = false;
  impl_->transport.reset();
}

bool PgConnection::is_open() const noexcept { return impl_ && impl_->open; }
bool PgConnection::encrypted() const noexcept { return impl_ && impl_->transport && impl_->transport->encrypted(); }
std::string PgConnection::tls_version() const {
  if (!encrypted()) return {};
  return impl_->transport->tls()->protocol_version();
}
const SessionInfo& PgConnection::session() const noexcept { return impl_->session; }
const std::string& PgConnection::endpoint_description() const noexcept { return impl_->endpoint; }

std::string_view PgConnection::parameter(std::string_view name) const {
  auto it = impl_->session.parameters.find(name);
  return it == impl_->session.parameters.end() ? std::string_view{} : std::string_view(it->second);
}

Result<void> PgConnection::cancel() { return impl_->send_cancel(impl_->cancel_timeout); }

Result<TextResult> PgConnection::simple_query(std::string_view sql) {
  if (auto r = fe::query(impl_->send_buffer, sql); !r) return std::unexpected(r.error());
  if (auto r = flush(); !r) return std::unexpected(r.error());
  TextResult result;
  // The first error: an ErrorResponse, or a message that does not parse. Either way the rest of
  // the response is read up to ReadyForQuery, so the connection stays in step with the server.
  std::optional<Error> error;
  auto keep = [&error](const Error& e) {
    if (!error) error = e;
  };
  for (;;) {
    auto frame = recv();
    if (!frame) return std::unexpected(frame.error());
    switch (frame->type) {
      case 'T': {
        auto rd = be::RowDescription::parse(*frame);
        if (!rd) {
          keep(rd.error());
          break;
        }
        result.columns.clear();
        for (const auto& field : *rd) result.columns.emplace_back(field.name);
        break;
      }
      case 'D': {
        auto row = be::DataRow::parse(*frame);
        if (!row) {
          keep(row.error());
          break;
        }
        auto& out = result.rows.emplace_back();
        for (const auto& value : *row) {
          if (value.is_null()) out.emplace_back(std::nullopt);
          else out.emplace_back(std::string(reinterpret_cast<const char*>(value.bytes().data()), value.bytes().size()));
        }
        break;
      }
      case 'C': {
        auto cc = be::CommandComplete::parse(*frame);
        if (!cc) {
          keep(cc.error());
          break;
        }
        result.command_tag = std::string(cc->tag());
        break;
      }
      case 'E': {
        auto e = be::ErrorResponse::parse(*frame);
        keep(e ? e->to_error() : e.error());
        break;
      }
      case 'G': {  // COPY FROM STDIN inside a simple query: refuse, we have no data
        if (auto r = fe::copy_fail(impl_->send_buffer, "simple_query does not send COPY data"); !r)
          return std::unexpected(r.error());
        if (auto r = flush(); !r) return std::unexpected(r.error());
        break;
      }
      case 'Z':
        if (error) return std::unexpected(*error);
        return result;
      default:
        break;  // notices, parameter changes, notifications, CopyOut data: not collected here
    }
  }
}

Result<std::uint64_t> PgConnection::copy_in(std::string_view copy_sql, std::span<const std::byte> data) {
  if (auto r = fe::query(impl_->send_buffer, copy_sql); !r) return std::unexpected(r.error());
  if (auto r = flush(); !r) return std::unexpected(r.error());
  std::optional<Error> error;
  std::uint64_t rows = 0;
  for (;;) {
    auto frame = recv();
    if (!frame) return std::unexpected(frame.error());
    switch (frame->type) {
      case 'G': {
        constexpr std::size_t chunk = 256 * 1024;
        for (std::size_t off = 0; off < data.size(); off += chunk) {
          if (auto r = fe::copy_data(impl_->send_buffer, data.subspan(off, std::min(chunk, data.size() - off))); !r)
            return std::unexpected(r.error());
          if (auto r = flush(); !r) return std::unexpected(r.error());
        }
        fe::copy_done(impl_->send_buffer);
        if (auto r = flush(); !r) return std::unexpected(r.error());
        break;
      }
      case 'C': {
        auto cc = be::CommandComplete::parse(*frame);
        if (!cc) {  // read on to ReadyForQuery, as for an ErrorResponse
          if (!error) error = cc.error();
          break;
        }
        rows = cc->rows().value_or(0);
        break;
      }
      case 'E': {
        auto e = be::ErrorResponse::parse(*frame);
        if (!error) error = e ? e->to_error() : e.error();
        break;
      }
      case 'Z':
        if (error) return std::unexpected(*error);
        return rows;
      default:
        break;
    }
  }
}

}  // namespace pgstream::client
