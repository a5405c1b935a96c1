#include "pgstream/client/connect_plan.hpp"

namespace pgstream::client {

EncryptionPlan encryption_plan(SslMode mode, EndpointKind kind) noexcept {
  // libpq never asks for TLS over a Unix socket: the kernel already protects it.
  if (kind == EndpointKind::unix_socket || mode == SslMode::disable) return {{Encryption::none}, 1};
  if (mode == SslMode::allow) return {{Encryption::none, Encryption::tls}, 2};
  if (mode == SslMode::prefer) return {{Encryption::tls, Encryption::none}, 2};
  return {{Encryption::tls}, 1};
}

NextAttempt after_failed_attempt(const EncryptionPlan& plan, std::size_t step, SslMode mode, AttemptStage stage,
                                 const Error& error) noexcept {
  const bool has_other = step + 1 < plan.count;
  const Encryption tried = step < plan.count ? plan.steps[step] : Encryption::none;
  const bool prefer_tls = has_other && mode == SslMode::prefer && tried == Encryption::tls;
  const bool allow_plain = has_other && mode == SslMode::allow && tried == Encryption::none;
  switch (stage) {
    case AttemptStage::connect:
    case AttemptStage::timeout:
    case AttemptStage::target_check: return NextAttempt::next_address;
    case AttemptStage::target_mismatch: return NextAttempt::next_host;
    case AttemptStage::ssl_refused: return prefer_tls ? NextAttempt::other_encryption : NextAttempt::give_up;
    case AttemptStage::ssl_answer: return NextAttempt::give_up;
    case AttemptStage::tls_handshake:
      // A handshake that ran out of time is a timeout, whatever the stage.
      if (error.category() == ErrorCategory::timeout) return NextAttempt::next_address;
      return prefer_tls ? NextAttempt::other_encryption : NextAttempt::give_up;
    case AttemptStage::startup:
      if (error.category() == ErrorCategory::timeout) return NextAttempt::next_address;
      if (error.category() != ErrorCategory::server) return NextAttempt::give_up;
      return prefer_tls || allow_plain ? NextAttempt::other_encryption : NextAttempt::give_up;
  }
  return NextAttempt::give_up;
}

namespace {

std::optional<bool> reported(const SessionInfo& s, std::string_view name) {
  auto it = s.parameters.find(name);
  if (it == s.parameters.end()) return std::nullopt;
  return it->second == "on";
}

bool fits(TargetSessionAttrs want, bool read_only, bool standby) {
  switch (want) {
    case TargetSessionAttrs::any: return true;
    case TargetSessionAttrs::read_write: return !read_only;
    case TargetSessionAttrs::read_only: return read_only;
    case TargetSessionAttrs::primary: return !standby;
    case TargetSessionAttrs::standby:
    case TargetSessionAttrs::prefer_standby: return standby;
  }
  return true;
}

bool asks_read_only(TargetSessionAttrs want) {
  return want == TargetSessionAttrs::read_write || want == TargetSessionAttrs::read_only;
}

}  // namespace

std::optional<bool> session_matches(const SessionInfo& s, TargetSessionAttrs want) {
  if (want == TargetSessionAttrs::any) return true;
  const auto standby = reported(s, "in_hot_standby");
  if (asks_read_only(want)) {
    // As libpq: default_transaction_read_only tells only when the server reports it (14+), and
    // then a hot standby is read-only too.
    const auto read_only = reported(s, "default_transaction_read_only");
    if (!read_only) return std::nullopt;
    const bool ro = *read_only || standby.value_or(false);
    return fits(want, ro, standby.value_or(false));
  }
  if (!standby) return std::nullopt;
  return fits(want, false, *standby);
}

std::string_view target_session_query(TargetSessionAttrs want) noexcept {
  return asks_read_only(want) ? "SHOW transaction_read_only" : "SELECT pg_catalog.pg_is_in_recovery()";
}

bool target_session_answer_matches(TargetSessionAttrs want, std::string_view value) noexcept {
  const bool yes = value == "on" || value == "t" || value == "true";
  return asks_read_only(want) ? fits(want, yes, false) : fits(want, false, yes);
}

Error target_mismatch_error(std::string_view where, TargetSessionAttrs want) {
  return Error(ErrorCategory::config, "server at " + std::string(where) + " does not match target_session_attrs=" +
                                          std::string(to_string(want)));
}

void AttemptLog::add(std::string_view where, const Error& error) {
  if (count_ > 0) text_ += "; ";
  const std::string what = error.server() ? error.to_string() : error.message();
  if (what.find(where) == std::string::npos) {  // "connection to <where> failed" names it already
    text_.append(where);
    text_ += ": ";
  }
  for (char ch : what) text_ += (ch == '\n' || ch == '\r') ? ' ' : ch;  // one line, whatever the server wrote
  last_ = error;
  ++count_;
}

Error AttemptLog::final_error() const {
  if (count_ == 1) return *last_;
  if (const ServerErrorFields* f = last_->server()) {
    ServerErrorFields fields = *f;
    fields.message = text_;
    return Error(std::move(fields));
  }
  return Error(last_->category(), text_);
}

void AttemptLog::clear() noexcept {
  text_.clear();
  last_.reset();
  count_ = 0;
}

}  // namespace pgstream::client
