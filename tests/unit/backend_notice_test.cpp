#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgstream/protocol/backend.hpp"
#include "vectors/vectors.hpp"

namespace pgstream::protocol {
namespace {

using namespace std::string_view_literals;
using testing::Bytes;
using testing::frame_of;
using testing::load_vector;
using testing::make_frame;

static_assert(std::forward_iterator<NoticeFields::iterator>);

Result<ErrorResponse> error_vector(const Bytes& b) { return ErrorResponse::parse(frame_of(b)); }

TEST(ErrorResponse, CapturedUniqueViolation) {
  const Bytes b = load_vector("error_unique_violation");
  auto e = error_vector(b);
  ASSERT_TRUE(e.has_value()) << e.error().message();
  EXPECT_EQ(e->severity(), "ERROR");
  EXPECT_EQ(e->localized_severity(), "ERROR");
  EXPECT_EQ(e->sqlstate(), "23505");
  EXPECT_EQ(e->message(), "duplicate key value violates unique constraint \"people_pkey\"");
  EXPECT_EQ(e->detail(), "Key (id)=(1) already exists.");
  EXPECT_EQ(e->schema(), "pg_temp_3");
  EXPECT_EQ(e->table(), "people");
  EXPECT_EQ(e->constraint(), "people_pkey");
  EXPECT_EQ(e->file(), "nbtinsert.c");
  EXPECT_EQ(e->line(), "664");
  EXPECT_EQ(e->routine(), "_bt_check_unique");
  EXPECT_EQ(e->hint(), "");
  EXPECT_FALSE(e->has('H'));
  EXPECT_TRUE(e->has('n'));

  std::string codes;
  for (NoticeField f : *e) codes.push_back(f.code);
  EXPECT_EQ(codes, "SVCMDstnFLR");
}

TEST(ErrorResponse, CapturedNotNullViolationNamesTheColumn) {
  const Bytes b = load_vector("error_not_null_violation");
  auto e = error_vector(b);
  ASSERT_TRUE(e.has_value()) << e.error().message();
  EXPECT_EQ(e->sqlstate(), "23502");
  EXPECT_EQ(e->column(), "name");
  EXPECT_EQ(e->detail(), "Failing row contains (9, null, null, null, null, null, null).");
}

TEST(ErrorResponse, CapturedCheckViolation) {
  const Bytes b = load_vector("error_check_violation");
  auto e = error_vector(b);
  ASSERT_TRUE(e.has_value()) << e.error().message();
  EXPECT_EQ(e->sqlstate(), "23514");
  EXPECT_EQ(e->constraint(), "people_note_check");
}

TEST(ErrorResponse, CapturedHintAndPosition) {
  const Bytes b = load_vector("error_undefined_column_hint");
  auto e = error_vector(b);
  ASSERT_TRUE(e.has_value()) << e.error().message();
  EXPECT_EQ(e->sqlstate(), "42703");
  EXPECT_EQ(e->message(), "column \"nam\" does not exist");
  EXPECT_EQ(e->hint(), "Perhaps you meant to reference the column \"people.name\".");
  EXPECT_EQ(e->position(), "8");
}

TEST(ErrorResponse, CapturedInternalQueryAndWhere) {
  const Bytes b = load_vector("error_plpgsql_internal_query");
  auto e = error_vector(b);
  ASSERT_TRUE(e.has_value()) << e.error().message();
  EXPECT_EQ(e->where(), "PL/pgSQL function inline_code_block line 1 at PERFORM");
  EXPECT_EQ(e->internal_position(), "8");
  EXPECT_EQ(e->internal_query(), "SELECT nosuch FROM people");
  EXPECT_EQ(e->position(), "");
}

TEST(ErrorResponse, CapturedDomainViolationNamesTheType) {
  const Bytes b = load_vector("error_domain_check");
  auto e = error_vector(b);
  ASSERT_TRUE(e.has_value()) << e.error().message();
  EXPECT_EQ(e->data_type(), "posint");
  EXPECT_EQ(e->constraint(), "posint_check");
  EXPECT_EQ(e->schema(), "pg_temp_3");
}

TEST(ErrorResponse, CapturedFatalStartupError) {
  const Bytes b = load_vector("error_fatal_bad_database");
  auto e = error_vector(b);
  ASSERT_TRUE(e.has_value()) << e.error().message();
  EXPECT_EQ(e->severity(), "FATAL");
  EXPECT_EQ(e->sqlstate(), "3D000");
  EXPECT_EQ(e->message(), "database \"pgstream_no_such_database\" does not exist");
}

TEST(ErrorResponse, ConvertsToOwnedFieldsAndServerError) {
  ServerErrorFields fields;
  Error err(ErrorCategory::protocol, "");
  {
    const Bytes b = load_vector("error_unique_violation");
    auto e = error_vector(b);
    ASSERT_TRUE(e.has_value());
    fields = e->to_fields();
    err = e->to_error();
  }  // the frame's bytes are gone; the copies must not care
  EXPECT_EQ(fields.severity, "ERROR");
  EXPECT_EQ(fields.sqlstate, "23505");
  EXPECT_EQ(fields.message, "duplicate key value violates unique constraint \"people_pkey\"");
  EXPECT_EQ(fields.detail, "Key (id)=(1) already exists.");
  EXPECT_EQ(fields.hint, "");
  EXPECT_EQ(fields.schema, "pg_temp_3");
  EXPECT_EQ(fields.table, "people");
  EXPECT_EQ(fields.constraint, "people_pkey");
  EXPECT_EQ(fields.file, "nbtinsert.c");
  EXPECT_EQ(fields.line, "664");
  EXPECT_EQ(fields.routine, "_bt_check_unique");
  EXPECT_EQ(err.category(), ErrorCategory::server);
  EXPECT_EQ(err.sqlstate(), "23505");
  EXPECT_EQ(err.to_string(), "ERROR 23505: duplicate key value violates unique constraint \"people_pkey\"");
}

TEST(ErrorResponse, EveryFieldCodeLandsInItsOwnedSlot) {
  const Bytes b = make_frame('E', "VERROR\0C12345\0Mm\0Dd\0Hh\0P1\0p2\0qiq\0Ww\0ss\0tt\0cc\0dd\0nn\0Ff\0L9\0Rr\0Zunknown\0\0"sv);
  auto e = ErrorResponse::parse(frame_of(b));
  ASSERT_TRUE(e.has_value()) << e.error().message();
  const ServerErrorFields f = e->to_fields();
  EXPECT_EQ(f.severity, "ERROR");
  EXPECT_EQ(f.sqlstate, "12345");
  EXPECT_EQ(f.message, "m");
  EXPECT_EQ(f.detail, "d");
  EXPECT_EQ(f.hint, "h");
  EXPECT_EQ(f.position, "1");
  EXPECT_EQ(f.internal_position, "2");
  EXPECT_EQ(f.internal_query, "iq");
  EXPECT_EQ(f.where, "w");
  EXPECT_EQ(f.schema, "s");
  EXPECT_EQ(f.table, "t");
  EXPECT_EQ(f.column, "c");
  EXPECT_EQ(f.data_type, "d");
  EXPECT_EQ(f.constraint, "n");
  EXPECT_EQ(f.file, "f");
  EXPECT_EQ(f.line, "9");
  EXPECT_EQ(f.routine, "r");
  EXPECT_EQ(e->field('Z'), "unknown");  // unknown codes are kept for field() but ignored by to_fields()
}

TEST(ErrorResponse, SeverityFallsBackToLocalizedWithoutV) {
  const Bytes b = make_frame('E', "SFEHLER\0C42P01\0Mnope\0\0"sv);
  auto e = ErrorResponse::parse(frame_of(b));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->severity(), "FEHLER");
  EXPECT_EQ(e->to_fields().severity, "FEHLER");
  const Bytes v = make_frame('E', "SFEHLER\0VERROR\0C42P01\0Mnope\0\0"sv);
  auto ev = ErrorResponse::parse(frame_of(v));
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->severity(), "ERROR");
  EXPECT_EQ(ev->to_fields().severity, "ERROR");
}

TEST(ErrorResponse, EmptyFieldListIsValid) {
  const Bytes b = make_frame('E', "\0"sv);
  auto e = ErrorResponse::parse(frame_of(b));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->begin(), e->end());
  EXPECT_EQ(e->message(), "");
}

TEST(ErrorResponse, MalformedBodiesAreErrors) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {""sv, "field list has no terminating 0 byte"},
      {"SERROR\0"sv, "field list has no terminating 0 byte"},
      {"SERROR"sv, "field 0 has no NUL terminator"},
      {"SERROR\0Mbroken"sv, "field 1 has no NUL terminator"},
      {"SERROR\0\0x"sv, "bytes left over after the field list"},
      {"\0\0"sv, "bytes left over after the field list"},
  };
  for (const auto& [body, what] : cases) {
    const Bytes b = make_frame('E', body);
    auto e = ErrorResponse::parse(frame_of(b));
    ASSERT_FALSE(e.has_value()) << body;
    EXPECT_EQ(e.error().category(), ErrorCategory::protocol);
    EXPECT_EQ(e.error().message(), "server sent a malformed ErrorResponse message: " + std::string(what));
  }
}

TEST(ErrorResponse, EveryTruncationOfACapturedErrorIsAnError) {
  const Bytes b = load_vector("error_undefined_column_hint");
  for (std::size_t n = 0; n + 5 < b.size(); ++n) {
    const Bytes t = make_frame('E', Bytes(b.begin() + 5, b.begin() + 5 + static_cast<std::ptrdiff_t>(n)));
    EXPECT_FALSE(ErrorResponse::parse(frame_of(t)).has_value()) << n;
  }
}

// ---- NoticeResponse ----

TEST(NoticeResponse, CapturedRaiseNotice) {
  const Bytes b = load_vector("notice_raise");
  auto n = NoticeResponse::parse(frame_of(b));
  ASSERT_TRUE(n.has_value()) << n.error().message();
  EXPECT_EQ(n->severity(), "NOTICE");
  EXPECT_EQ(n->sqlstate(), "00000");
  EXPECT_EQ(n->message(), "hello 42 notice");
  EXPECT_EQ(n->detail(), "notice detail");
  EXPECT_EQ(n->hint(), "notice hint");
  EXPECT_EQ(n->where(), "PL/pgSQL function inline_code_block line 1 at RAISE");
  EXPECT_EQ(n->routine(), "exec_stmt_raise");
}

TEST(NoticeResponse, ErrorAndNoticeParsersRefuseEachOther) {
  const Bytes notice = load_vector("notice_raise");
  auto as_error = ErrorResponse::parse(frame_of(notice));
  ASSERT_FALSE(as_error.has_value());
  EXPECT_EQ(as_error.error().message(),
            "expected ErrorResponse but the frame is NoticeResponse; the caller dispatched on the wrong type byte");
  const Bytes error = load_vector("error_division_by_zero");
  EXPECT_FALSE(NoticeResponse::parse(frame_of(error)).has_value());
}

TEST(NoticeResponse, MalformedBodyNamesTheNotice) {
  const Bytes b = make_frame('N', "SNOTICE"sv);
  auto n = NoticeResponse::parse(frame_of(b));
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().message(), "server sent a malformed NoticeResponse message: field 0 has no NUL terminator");
}

// ---- NotificationResponse ----

TEST(NotificationResponse, CapturedSelfNotification) {
  const Bytes b = load_vector("notification");
  auto n = NotificationResponse::parse(frame_of(b));
  ASSERT_TRUE(n.has_value()) << n.error().message();
  EXPECT_EQ(n->channel(), "pgstream_channel");
  EXPECT_EQ(n->payload(), "payload text");
  // The session notified itself: the pid is the one in its BackendKeyData.
  const Bytes k = load_vector("backend_key_data");
  EXPECT_EQ(n->process_id(), BackendKeyData::parse(frame_of(k))->process_id());
}

TEST(NotificationResponse, EmptyPayload) {
  const Bytes b = make_frame('A', "\0\0\0\x07" "ch\0\0"sv);
  auto n = NotificationResponse::parse(frame_of(b));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->process_id(), 7);
  EXPECT_EQ(n->channel(), "ch");
  EXPECT_EQ(n->payload(), "");
}

TEST(NotificationResponse, MalformedBodiesAreErrors) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"\0\0\0"sv, "body shorter than its 4-byte process id"},
      {"\0\0\0\x07" "ch"sv, "channel name has no NUL terminator"},
      {"\0\0\0\x07" "ch\0payload"sv, "payload has no NUL terminator"},
      {"\0\0\0\x07" "ch\0payload\0x"sv, "bytes left over after the payload"},
  };
  for (const auto& [body, what] : cases) {
    const Bytes b = make_frame('A', body);
    auto n = NotificationResponse::parse(frame_of(b));
    ASSERT_FALSE(n.has_value());
    EXPECT_EQ(n.error().message(), "server sent a malformed NotificationResponse message: " + std::string(what));
  }
}

}  // namespace
}  // namespace pgstream::protocol
