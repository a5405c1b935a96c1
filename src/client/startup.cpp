#include "pgstream/client/startup.hpp"

#include <algorithm>
#include <string_view>

#include "pgstream/auth/channel_binding.hpp"
#include "pgstream/auth/md5.hpp"
#include "pgstream/auth/scram.hpp"
#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/protocol/types/text_util.hpp"
#include "conninfo_keywords.hpp"

namespace pgstream::client {

std::string_view to_string(AuthOutcome a) noexcept {
  switch (a) {
    case AuthOutcome::trust: return "trust";
    case AuthOutcome::cleartext: return "password";
    case AuthOutcome::md5: return "md5";
    case AuthOutcome::scram_sha_256: return "SCRAM-SHA-256";
    case AuthOutcome::scram_sha_256_plus: return "SCRAM-SHA-256-PLUS";
    case AuthOutcome::oauth: return "OAUTHBEARER";
    case AuthOutcome::gss: return "GSSAPI";
    case AuthOutcome::sspi: return "SSPI";
  }
  return "?";
}

namespace {

using protocol::Frame;
namespace be = protocol;
namespace fe = protocol::frontend;

std::unexpected<Error> auth_error(std::string message) { return make_error(ErrorCategory::auth, std::move(message)); }

std::string_view as_text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

struct StartupMachine::Impl {
  enum class Phase : std::uint8_t { initial, authenticating, sasl, after_auth, ready, failed };

  StartupOptions options;
  std::vector<std::byte> server_cert;
  SessionInfo session;
  Phase phase = Phase::initial;
  std::optional<auth::ScramClient> scram;
  bool oauth_in_progress = false;
  bool authenticated_by_method = false;  // a password, SASL or GSS exchange happened
  bool negotiated = false;               // NegotiateProtocolVersion seen

  [[nodiscard]] bool encrypted() const noexcept { return !server_cert.empty(); }

  Result<void> permit(AuthMethod method, std::string_view what) const {
    if (!options.require_auth.permits(method))
      return auth_error("authentication method requirement \"" + to_string(options.require_auth) +
                        "\" failed: server requested " + std::string(what) + " authentication");
    if (options.channel_binding == ChannelBinding::require && method != AuthMethod::scram_sha_256)
      return auth_error("channel binding required, but server requested " + std::string(what) +
                        " authentication, which cannot bind to the TLS channel");
    return {};
  }

  Result<void> need_password(std::string_view what) const {
    if (!options.password)
      return auth_error("server requested " + std::string(what) +
                        " authentication, but no password was supplied (password=, PGPASSWORD or ~/.pgpass)");
    return {};
  }

  Result<void> start_sasl(const be::Authentication& offer, std::string& out) {
    bool has_scram = false, has_plus = false, has_oauth = false;
    std::string offered;  // for the error message: names escaped, the list cut short
    std::size_t listed = 0;
    for (std::string_view m : offer.sasl_mechanisms()) {
      if (listed < 8) {
        if (!offered.empty()) offered += ", ";
        offered += protocol::text_util::quote_excerpt(m);
      } else if (listed == 8) {
        offered += ", ...";
      }
      ++listed;
      has_scram |= m == "SCRAM-SHA-256";
      has_plus |= m == "SCRAM-SHA-256-PLUS";
      has_oauth |= m == "OAUTHBEARER";
    }
    const bool plus_offered = has_plus && encrypted() && options.channel_binding != ChannelBinding::disable;
    if (has_scram || plus_offered) {
      if (auto r = permit(AuthMethod::scram_sha_256, "SASL (SCRAM-SHA-256)"); !r) return r;
      bool use_plus = plus_offered;
      std::vector<std::byte> binding;
      if (use_plus) {
        auto hash = auth::tls_server_end_point_hash(server_cert);
        if (hash) {
          binding = std::move(*hash);
        } else if (hash.error().category() == ErrorCategory::unsupported &&
                   options.channel_binding == ChannelBinding::prefer && has_scram) {
          // A certificate with no hash to bind to (Ed25519, an unknown algorithm): the server
          // cannot bind either, so plain SCRAM-SHA-256 with "n,," (not "y,,", which the server
          // would take for a downgrade) is what prefer means. libpq instead fails here.
          use_plus = false;
        } else {
          return std::unexpected(hash.error());
        }
      }
      if (options.channel_binding == ChannelBinding::require && !use_plus)
        return auth_error(encrypted() ? "channel binding required, but the server did not offer SCRAM-SHA-256-PLUS"
                                      : "channel binding required, but the connection is not encrypted (sslmode)");
      if (auto r = need_password("SCRAM-SHA-256"); !r) return r;
      auth::ScramConfig cfg;
      cfg.password = *options.password;
      // RFC 5802: a client that could bind says so ("y") when the server offered no -PLUS, so a
      // server that supports binding detects a man in the middle that stripped the mechanism.
      const bool could_bind = encrypted() && options.channel_binding != ChannelBinding::disable && !has_plus;
      cfg.channel_binding = use_plus     ? auth::ChannelBindingMode::tls_server_end_point
                            : could_bind ? auth::ChannelBindingMode::supported_not_offered
                                         : auth::ChannelBindingMode::none;
      cfg.binding_data = binding;
      cfg.server_offers_plus = plus_offered;
      auto client = auth::ScramClient::create(cfg);
      if (!client) return std::unexpected(client.error());
      scram.emplace(std::move(*client));
      session.auth = use_plus ? AuthOutcome::scram_sha_256_plus : AuthOutcome::scram_sha_256;
      phase = Phase::sasl;
      return fe::sasl_initial_response(out, scram->mechanism(), std::string_view(scram->client_first_message()));
    }
    if (has_oauth && options.oauth_token) {
      if (auto r = permit(AuthMethod::oauth, "OAUTHBEARER"); !r) return r;
      auto token = options.oauth_token();
      if (!token) return std::unexpected(token.error());
      // RFC 7628 client initial response: gs2 header, then auth=Bearer <token>, kvsep-delimited.
      std::string initial = "n,,\x01" "auth=Bearer " + *token + "\x01\x01";
      session.auth = AuthOutcome::oauth;
      oauth_in_progress = true;
      phase = Phase::sasl;
      return fe::sasl_initial_response(out, "OAUTHBEARER", std::string_view(initial));
    }
    return auth_error("server offered SASL mechanisms " + offered +
                      (has_oauth ? " (OAUTHBEARER needs an OAuth token provider)" : "") +
                      ", none of which this client can use");
  }

  Result<Status> on_authentication(const Frame& frame, std::string& out) {
    auto auth = be::Authentication::parse(frame);
    if (!auth) return std::unexpected(auth.error());
    using K = protocol::AuthRequest;
    switch (auth->request()) {
      case K::ok: {
        if (phase == Phase::sasl && scram && !scram->complete())
          return auth_error("server accepted the session before finishing SCRAM authentication");
        if (!authenticated_by_method) {
          if (!options.require_auth.permits(AuthMethod::none))
            return auth_error("authentication method requirement \"" + to_string(options.require_auth) +
                              "\" failed: server did not complete authentication");
          if (options.channel_binding == ChannelBinding::require)
            return auth_error("channel binding required, but server authenticated client without channel binding");
        }
        phase = Phase::after_auth;
        return Status::in_progress;
      }
      case K::cleartext_password: {
        if (auto r = permit(AuthMethod::password, "password"); !r) return std::unexpected(r.error());
        if (auto r = need_password("password"); !r) return std::unexpected(r.error());
        session.auth = AuthOutcome::cleartext;
        authenticated_by_method = true;
        if (auto r = fe::password_message(out, *options.password); !r) return std::unexpected(r.error());
        return Status::in_progress;
      }
      case K::md5_password: {
        if (auto r = permit(AuthMethod::md5, "md5"); !r) return std::unexpected(r.error());
        if (auto r = need_password("md5"); !r) return std::unexpected(r.error());
        auto response = auth::md5_password_response(options.user, *options.password, auth->md5_salt());
        if (!response) return std::unexpected(response.error());
        session.auth = AuthOutcome::md5;
        authenticated_by_method = true;
        if (auto r = fe::password_message(out, *response); !r) return std::unexpected(r.error());
        return Status::in_progress;
      }
      case K::sasl: {
        if (phase == Phase::sasl) return make_error(ErrorCategory::protocol, "server restarted SASL authentication");
        authenticated_by_method = true;
        if (auto r = start_sasl(*auth, out); !r) return std::unexpected(r.error());
        return Status::in_progress;
      }
      case K::sasl_continue: {
        if (phase != Phase::sasl) return make_error(ErrorCategory::protocol, "unexpected SASLContinue");
        if (oauth_in_progress) {
          // The server refused the token and explains why in JSON; answer with a lone kvsep so
          // it ends the exchange with an ErrorResponse carrying the reason.
          if (auto r = fe::sasl_response(out, std::string_view("\x01")); !r) return std::unexpected(r.error());
          return Status::in_progress;
        }
        auto final_message = scram->handle_server_first(as_text(auth->data()));
        if (!final_message) return std::unexpected(final_message.error());
        if (auto r = fe::sasl_response(out, std::string_view(*final_message)); !r) return std::unexpected(r.error());
        return Status::in_progress;
      }
      case K::sasl_final: {
        if (phase != Phase::sasl || !scram) return make_error(ErrorCategory::protocol, "unexpected SASLFinal");
        if (auto r = scram->handle_server_final(as_text(auth->data())); !r) return std::unexpected(r.error());
        return Status::in_progress;
      }
      case K::gss:
      case K::sspi: {
        const bool sspi = auth->request() == K::sspi;
        if (auto r = permit(sspi ? AuthMethod::sspi : AuthMethod::gss, sspi ? "SSPI" : "GSSAPI"); !r)
          return std::unexpected(r.error());
        if (!options.gss)
          return auth_error(std::string("server requested ") + (sspi ? "SSPI" : "GSSAPI") +
                            " authentication, but no GSS token provider is configured");
        auto token = options.gss->initial_token();
        if (!token) return std::unexpected(token.error());
        session.auth = sspi ? AuthOutcome::sspi : AuthOutcome::gss;
        authenticated_by_method = true;
        if (auto r = fe::gss_response(out, protocol::Bytes(*token)); !r) return std::unexpected(r.error());
        return Status::in_progress;
      }
      case K::gss_continue: {
        if (!options.gss) return make_error(ErrorCategory::protocol, "unexpected GSSContinue");
        auto token = options.gss->next_token(auth->data());
        if (!token) return std::unexpected(token.error());
        if (!token->empty())
          if (auto r = fe::gss_response(out, protocol::Bytes(*token)); !r) return std::unexpected(r.error());
        return Status::in_progress;
      }
    }
    // Authentication::parse refuses the codes this switch lacks; this names any it lets through later.
    return make_error(ErrorCategory::unsupported,
                      "server requested " + protocol::auth_request_name(static_cast<std::int32_t>(auth->request())) +
                          ", an authentication method this client does not support");
  }

  // As libpq 18: the server may only lower the version we asked for, to 3.0 or later (3.1 never
  // existed), and may only name "_pq_." options we actually sent.
  Result<void> check_negotiation(const be::NegotiateProtocolVersion& npv) const {
    auto invalid = [](std::string why) {
      return make_error(ErrorCategory::protocol, "received invalid protocol negotiation message: " + std::move(why));
    };
    if (negotiated) return invalid("server sent NegotiateProtocolVersion twice");
    if (phase != Phase::authenticating || authenticated_by_method)
      return invalid("server sent NegotiateProtocolVersion after authentication began");
    const ProtocolVersion offered{static_cast<std::uint16_t>(npv.newest_major()),
                                  static_cast<std::uint16_t>(npv.newest_minor())};
    if (offered > options.max_protocol)
      return invalid("server requested downgrade to a higher-numbered version (" + to_string(offered) + ")");
    if (offered < kProtocol30) return invalid("server requested downgrade to pre-3.0 protocol version " + to_string(offered));
    if (offered == ProtocolVersion{3, 1}) return invalid("server requested downgrade to non-existent 3.1 protocol version");
    if (offered == options.max_protocol && npv.unrecognized_count() == 0)
      return invalid("server negotiated but asks for no changes");
    if (offered < options.min_protocol)
      return make_error(ErrorCategory::unsupported, "server supports protocol version " + to_string(offered) +
                                                        ", below min_protocol_version=" + to_string(options.min_protocol));
    for (std::string_view o : npv.unrecognized_options()) {
      const bool sent = std::any_of(options.parameters.begin(), options.parameters.end(),
                                    [&](const auto& p) { return p.first == o; });
      if (!o.starts_with("_pq_.") || !sent)
        return invalid("server reported an unsupported parameter that was not requested (" + detail::quote_for_message(o) +
                       ")");
    }
    return {};
  }

  Result<Status> on_frame(const Frame& frame, std::string& out) {
    switch (frame.type) {
      case 'R':
        if (phase == Phase::after_auth) return make_error(ErrorCategory::protocol, "authentication request after AuthenticationOk");
        return on_authentication(frame, out);
      case 'E': {
        auto err = be::ErrorResponse::parse(frame);
        if (!err) return std::unexpected(err.error());
        phase = Phase::failed;
        return std::unexpected(err->to_error());
      }
      case 'N': {
        auto notice = be::NoticeResponse::parse(frame);
        if (!notice) return std::unexpected(notice.error());
        if (session.notices.size() < SessionInfo::kMaxStartupNotices) session.notices.push_back(notice->to_fields());
        else ++session.notices_dropped;
        return Status::in_progress;
      }
      case 'v': {
        auto npv = be::NegotiateProtocolVersion::parse(frame);
        if (!npv) return std::unexpected(npv.error());
        if (auto r = check_negotiation(*npv); !r) return std::unexpected(r.error());
        negotiated = true;
        session.protocol = ProtocolVersion{static_cast<std::uint16_t>(npv->newest_major()),
                                           static_cast<std::uint16_t>(npv->newest_minor())};
        for (std::string_view o : npv->unrecognized_options()) session.unsupported_options.emplace_back(o);
        return Status::in_progress;
      }
      case 'S': {
        auto ps = be::ParameterStatus::parse(frame);
        if (!ps) return std::unexpected(ps.error());
        set_parameter(session, ps->name(), ps->value());
        return Status::in_progress;
      }
      case 'K': {
        auto key = be::BackendKeyData::parse(frame);
        if (!key) return std::unexpected(key.error());
        session.backend_pid = key->process_id();
        session.cancel_key.assign(key->secret_key().begin(), key->secret_key().end());
        return Status::in_progress;
      }
      case 'Z': {
        if (phase != Phase::after_auth) return make_error(ErrorCategory::protocol, "ReadyForQuery before authentication finished");
        auto rfq = be::ReadyForQuery::parse(frame);
        if (!rfq) return std::unexpected(rfq.error());
        session.transaction_status = static_cast<char>(rfq->status());
        phase = Phase::ready;
        return Status::ready;
      }
      default:
        return make_error(ErrorCategory::protocol,
                          "unexpected message type " + detail::quote_for_message(std::string_view(&frame.type, 1)) +
                              " during start-up");
    }
  }
};

StartupMachine::StartupMachine(StartupOptions options, std::vector<std::byte> tls_server_certificate)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->server_cert = std::move(tls_server_certificate);
  impl_->session.protocol = impl_->options.max_protocol;
}
void set_parameter(SessionInfo& s, std::string_view name, std::string_view value) {
  if (auto it = s.parameters.find(name); it != s.parameters.end()) {
    it->second.assign(value);
    return;
  }
  if (s.parameters.size() < SessionInfo::kMaxParameters) s.parameters.emplace(std::string(name), std::string(value));
}

StartupMachine::StartupMachine(StartupMachine&&) noexcept = default;
StartupMachine& StartupMachine::operator=(StartupMachine&&) noexcept = default;
StartupMachine::~StartupMachine() = default;

Result<void> StartupMachine::start(std::string& out) {
  const StartupOptions& o = impl_->options;
  std::vector<protocol::StartupParam> params;
  params.push_back({"user", o.user});
  if (!o.database.empty()) params.push_back({"database", o.database});
  if (!o.application_name.empty()) params.push_back({"application_name", o.application_name});
  if (!o.options.empty()) params.push_back({"options", o.options});
  for (const auto& [k, v] : o.parameters) params.push_back({k, v});
  const auto version = protocol::protocol_version(o.max_protocol.major, o.max_protocol.minor);
  impl_->phase = Impl::Phase::authenticating;
  return fe::startup_message(out, params, version);
}

Result<StartupMachine::Status> StartupMachine::on_frame(const protocol::Frame& frame, std::string& out) {
  if (impl_->phase == Impl::Phase::failed || impl_->phase == Impl::Phase::ready)
    return make_error(ErrorCategory::protocol, "start-up already finished");
  auto r = impl_->on_frame(frame, out);
  if (!r) impl_->phase = Impl::Phase::failed;
  return r;
}

const SessionInfo& StartupMachine::session() const noexcept { return impl_->session; }
SessionInfo StartupMachine::take_session() noexcept { return std::move(impl_->session); }

}  // namespace pgstream::client
