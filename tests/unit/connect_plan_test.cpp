// libpq's rules for the attempts of a connect (client/connect_plan.hpp).
#include "pgstream/client/connect_plan.hpp"

#include <gtest/gtest.h>

namespace pgstream::client {
namespace {

const Error kServer = Error(ServerErrorFields{.severity = "FATAL", .sqlstate = "28000", .message = "no pg_hba.conf entry"});
const Error kIo = Error(ErrorCategory::io, "server closed the connection unexpectedly");
const Error kTls = Error(ErrorCategory::tls, "handshake failed");
const Error kTimeout = Error(ErrorCategory::timeout, "connect_timeout");

TEST(EncryptionPlan, FollowsSslmodeOrderAndNeverTlsOverUnixSockets) {
  auto prefer = encryption_plan(SslMode::prefer, EndpointKind::tcp);
  ASSERT_EQ(prefer.count, 2u);
  EXPECT_EQ(prefer.steps[0], Encryption::tls);
  EXPECT_EQ(prefer.steps[1], Encryption::none);
  auto allow = encryption_plan(SslMode::allow, EndpointKind::tcp);
  ASSERT_EQ(allow.count, 2u);
  EXPECT_EQ(allow.steps[0], Encryption::none);
  EXPECT_EQ(allow.steps[1], Encryption::tls);
  EXPECT_EQ(encryption_plan(SslMode::require, EndpointKind::tcp).count, 1u);
  EXPECT_EQ(encryption_plan(SslMode::require, EndpointKind::tcp).steps[0], Encryption::tls);
  EXPECT_EQ(encryption_plan(SslMode::disable, EndpointKind::tcp).steps[0], Encryption::none);
  auto unix_prefer = encryption_plan(SslMode::prefer, EndpointKind::unix_socket);
  ASSERT_EQ(unix_prefer.count, 1u);
  EXPECT_EQ(unix_prefer.steps[0], Encryption::none);
}

TEST(AfterFailedAttempt, PreferRetriesPlainAfterTlsFailuresButNotAfterGarbage) {
  const auto plan = encryption_plan(SslMode::prefer, EndpointKind::tcp);
  auto next = [&](std::size_t step, AttemptStage stage, const Error& e) {
    return after_failed_attempt(plan, step, SslMode::prefer, stage, e);
  };
  EXPECT_EQ(next(0, AttemptStage::tls_handshake, kTls), NextAttempt::other_encryption);
  EXPECT_EQ(next(0, AttemptStage::tls_handshake, kIo), NextAttempt::other_encryption);
  EXPECT_EQ(next(0, AttemptStage::ssl_refused, kTls), NextAttempt::other_encryption);
  EXPECT_EQ(next(0, AttemptStage::startup, kServer), NextAttempt::other_encryption);
  EXPECT_EQ(next(0, AttemptStage::ssl_answer, kServer), NextAttempt::give_up);
  EXPECT_EQ(next(0, AttemptStage::startup, kIo), NextAttempt::give_up);
  EXPECT_EQ(next(0, AttemptStage::tls_handshake, kTimeout), NextAttempt::next_address);
  // The plain step failing with a server error ends the connect.
  EXPECT_EQ(next(1, AttemptStage::startup, kServer), NextAttempt::give_up);
}

TEST(AfterFailedAttempt, AllowRetriesTlsOnlyAfterTheServerRefusedPlain) {
  const auto plan = encryption_plan(SslMode::allow, EndpointKind::tcp);
  EXPECT_EQ(after_failed_attempt(plan, 0, SslMode::allow, AttemptStage::startup, kServer),
            NextAttempt::other_encryption);
  EXPECT_EQ(after_failed_attempt(plan, 0, SslMode::allow, AttemptStage::startup, kIo), NextAttempt::give_up);
  EXPECT_EQ(after_failed_attempt(plan, 1, SslMode::allow, AttemptStage::ssl_refused, kTls), NextAttempt::give_up);
  const auto unix_plan = encryption_plan(SslMode::allow, EndpointKind::unix_socket);
  EXPECT_EQ(after_failed_attempt(unix_plan, 0, SslMode::allow, AttemptStage::startup, kServer), NextAttempt::give_up);
}

TEST(AfterFailedAttempt, UnreachableMovesOnAndAWrongKindOfServerMovesToTheNextHost) {
  const auto plan = encryption_plan(SslMode::require, EndpointKind::tcp);
  EXPECT_EQ(after_failed_attempt(plan, 0, SslMode::require, AttemptStage::connect, kIo), NextAttempt::next_address);
  EXPECT_EQ(after_failed_attempt(plan, 0, SslMode::require, AttemptStage::timeout, kTimeout), NextAttempt::next_address);
  EXPECT_EQ(after_failed_attempt(plan, 0, SslMode::require, AttemptStage::target_mismatch, kIo), NextAttempt::next_host);
  EXPECT_EQ(after_failed_attempt(plan, 0, SslMode::require, AttemptStage::tls_handshake, kTls), NextAttempt::give_up);
}

SessionInfo with(std::initializer_list<std::pair<const char*, const char*>> params) {
  SessionInfo s;
  for (auto [k, v] : params) s.parameters.emplace(k, v);
  return s;
}

TEST(SessionMatches, UsesWhatTheServerReportedAndAsksWhenItDidNot) {
  const auto primary = with({{"default_transaction_read_only", "off"}, {"in_hot_standby", "off"}});
  const auto standby = with({{"default_transaction_read_only", "off"}, {"in_hot_standby", "on"}});
  const auto read_only = with({{"default_transaction_read_only", "on"}, {"in_hot_standby", "off"}});
  const auto old = with({{"server_version", "13.0"}});
  EXPECT_EQ(session_matches(primary, TargetSessionAttrs::read_write), true);
  EXPECT_EQ(session_matches(standby, TargetSessionAttrs::read_write), false);  // a standby is read-only
  EXPECT_EQ(session_matches(read_only, TargetSessionAttrs::read_write), false);
  EXPECT_EQ(session_matches(read_only, TargetSessionAttrs::read_only), true);
  EXPECT_EQ(session_matches(read_only, TargetSessionAttrs::primary), true);
  EXPECT_EQ(session_matches(standby, TargetSessionAttrs::standby), true);
  EXPECT_EQ(session_matches(primary, TargetSessionAttrs::prefer_standby), false);
  EXPECT_EQ(session_matches(old, TargetSessionAttrs::any), true);
  EXPECT_EQ(session_matches(old, TargetSessionAttrs::read_write), std::nullopt);
  EXPECT_EQ(session_matches(old, TargetSessionAttrs::standby), std::nullopt);
  EXPECT_EQ(target_session_query(TargetSessionAttrs::read_only), "SHOW transaction_read_only");
  EXPECT_EQ(target_session_query(TargetSessionAttrs::primary), "SELECT pg_catalog.pg_is_in_recovery()");
  EXPECT_TRUE(target_session_answer_matches(TargetSessionAttrs::read_write, "off"));
  EXPECT_FALSE(target_session_answer_matches(TargetSessionAttrs::read_write, "on"));
  EXPECT_TRUE(target_session_answer_matches(TargetSessionAttrs::standby, "t"));
  EXPECT_FALSE(target_session_answer_matches(TargetSessionAttrs::primary, "t"));
}

TEST(AttemptLog, OneAttemptKeepsItsErrorAndSeveralMakeOneLine) {
  AttemptLog one;
  one.add("127.0.0.1:5432", kServer);
  EXPECT_EQ(one.final_error().message(), "no pg_hba.conf entry");
  EXPECT_EQ(one.final_error().sqlstate(), "28000");

  AttemptLog two;
  two.add("127.0.0.1:1", kIo);
  two.add("db (10.0.0.1:5432)", Error(ServerErrorFields{.severity = "FATAL", .sqlstate = "28P01",
                                                       .message = "password\nauthentication failed"}));
  const Error e = two.final_error();
  EXPECT_EQ(e.category(), ErrorCategory::server);
  EXPECT_EQ(e.sqlstate(), "28P01");
  EXPECT_EQ(e.message(),
            "127.0.0.1:1: server closed the connection unexpectedly; "
            "db (10.0.0.1:5432): FATAL 28P01: password authentication failed");
  two.add("127.0.0.1:2", Error(ErrorCategory::io, "connection to 127.0.0.1:2 failed: Connection refused"));
  EXPECT_EQ(two.final_error().message(),
            "127.0.0.1:1: server closed the connection unexpectedly; "
            "db (10.0.0.1:5432): FATAL 28P01: password authentication failed; "
            "connection to 127.0.0.1:2 failed: Connection refused");
  EXPECT_EQ(two.final_error().category(), ErrorCategory::io);
  two.clear();
  EXPECT_TRUE(two.empty());
}

}  // namespace
}  // namespace pgstream::client
