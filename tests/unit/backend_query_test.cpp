#include <gtest/gtest.h>

#include <iterator>
#include <string>
#include <vector>

#include "pgstream/protocol/backend.hpp"
#include "vectors/vectors.hpp"

namespace pgstream::protocol {
namespace {

using namespace std::string_view_literals;
using testing::append_i16;
using testing::append_i32;
using testing::Bytes;
using testing::frame_of;
using testing::load_vector;
using testing::make_frame;

static_assert(std::forward_iterator<ParameterDescription::iterator>);

template <class View>
void expect_captured_empty(const char* vector) {
  const Bytes b = load_vector(vector);
  const Frame f = frame_of(b);
  EXPECT_EQ(f.type, View::type) << vector;
  auto v = View::parse(f);
  EXPECT_TRUE(v.has_value()) << vector;
}

TEST(EmptyMessages, CapturedFramesParse) {
  expect_captured_empty<ParseComplete>("parse_complete");
  expect_captured_empty<BindComplete>("bind_complete");
  expect_captured_empty<CloseComplete>("close_complete");
  expect_captured_empty<NoData>("no_data");
  expect_captured_empty<PortalSuspended>("portal_suspended");
  expect_captured_empty<EmptyQueryResponse>("empty_query_response");
  expect_captured_empty<CopyDone>("copy_done");
}

TEST(EmptyMessages, ABodyIsAnError) {
  const Bytes b = make_frame('1', "x");
  auto v = ParseComplete::parse(frame_of(b));
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().category(), ErrorCategory::protocol);
  EXPECT_EQ(v.error().message(), "server sent a malformed ParseComplete message: 1 body bytes where none are allowed");
}

TEST(EmptyMessages, WrongTypeIsAnError) {
  const Bytes b = make_frame('2', ""sv);
  auto v = ParseComplete::parse(frame_of(b));
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().message(),
            "expected ParseComplete but the frame is BindComplete; the caller dispatched on the wrong type byte");
}

// ---- CommandComplete ----

struct TagCase {
  const char* vector;
  std::string_view tag;
  std::string_view command;
  std::optional<std::uint64_t> rows;
};

TEST(CommandComplete, CapturedTags) {
  const TagCase cases[] = {
      {"command_complete_set", "SET", "SET", std::nullopt},
      {"command_complete_insert", "INSERT 0 3", "INSERT", 3},
      {"command_complete_select", "SELECT 3", "SELECT", 3},
      {"command_complete_update", "UPDATE 2", "UPDATE", 2},
      {"command_complete_delete", "DELETE 1", "DELETE", 1},
      {"command_complete_merge", "MERGE 1", "MERGE", 1},
      {"command_complete_create_table_as", "SELECT 2", "SELECT", 2},
      {"command_complete_create_table", "CREATE TABLE", "CREATE TABLE", std::nullopt},
      {"command_complete_fetch", "FETCH 3", "FETCH", 3},
      {"command_complete_move", "MOVE 2", "MOVE", 2},
      {"command_complete_copy", "COPY 2", "COPY", 2},
  };
  for (const TagCase& c : cases) {
    const Bytes b = load_vector(c.vector);
    auto cc = CommandComplete::parse(frame_of(b));
    ASSERT_TRUE(cc.has_value()) << c.vector << ": " << cc.error().message();
    EXPECT_EQ(cc->tag(), c.tag) << c.vector;
    EXPECT_EQ(cc->command(), c.command) << c.vector;
    EXPECT_EQ(cc->rows(), c.rows) << c.vector;
  }
}

CommandComplete tag(std::string_view t) {
  Bytes body = testing::bytes(t);
  body.push_back(std::byte{0});
  const Bytes b = make_frame('C', body);
  auto cc = CommandComplete::parse(frame_of(b));
  EXPECT_TRUE(cc.has_value()) << t;
  return *cc;  // views into b are not used past this point: only rows() and sizes
}

TEST(CommandComplete, RowCounts) {
  EXPECT_EQ(tag("INSERT 0 5").rows(), 5u);
  EXPECT_EQ(tag("COPY 1000").rows(), 1000u);
  EXPECT_EQ(tag("SELECT 18446744073709551615").rows(), 18446744073709551615u);
  EXPECT_EQ(tag("SELECT 0").rows(), 0u);
  EXPECT_EQ(tag("CREATE TABLE").rows(), std::nullopt);
  EXPECT_EQ(tag("BEGIN").rows(), std::nullopt);
  EXPECT_EQ(tag("").rows(), std::nullopt);
}

TEST(CommandComplete, OddTagsHaveNoCountAndKeepTheWholeTagAsCommand) {
  for (std::string_view t : {"SELECT abc"sv, "INSERT 0"sv, "INSERT 0 x"sv, "SELECT 99999999999999999999"sv,
                             "SELECT -1"sv, "SELECT 1 2"sv, "DROP TABLE 5"sv}) {
    Bytes body = testing::bytes(t);
    body.push_back(std::byte{0});
    const Bytes b = make_frame('C', body);
    auto cc = CommandComplete::parse(frame_of(b));
    ASSERT_TRUE(cc.has_value()) << t;
    EXPECT_EQ(cc->rows(), std::nullopt) << t;
    EXPECT_EQ(cc->command(), t);
  }
}

TEST(CommandComplete, MalformedBodiesAreErrors) {
  const Bytes no_nul = make_frame('C', "SELECT 1");
  auto a = CommandComplete::parse(frame_of(no_nul));
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().message(), "server sent a malformed CommandComplete message: command tag has no NUL terminator");
  const Bytes trailing = make_frame('C', "SELECT 1\0x"sv);
  auto b = CommandComplete::parse(frame_of(trailing));
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().message(), "server sent a malformed CommandComplete message: bytes left over after the command tag");
  const Bytes empty = make_frame('C', ""sv);
  EXPECT_FALSE(CommandComplete::parse(frame_of(empty)).has_value());
}

// ---- ReadyForQuery ----

TEST(ReadyForQuery, CapturedStatuses) {
  const std::pair<const char*, TransactionStatus> cases[] = {
      {"ready_for_query_idle", TransactionStatus::idle},
      {"ready_for_query_in_transaction", TransactionStatus::in_transaction},
      {"ready_for_query_failed", TransactionStatus::failed},
  };
  for (const auto& [vector, status] : cases) {
    const Bytes b = load_vector(vector);
    auto r = ReadyForQuery::parse(frame_of(b));
    ASSERT_TRUE(r.has_value()) << vector;
    EXPECT_EQ(r->status(), status) << vector;
  }
}

TEST(ReadyForQuery, MalformedBodiesAreErrors) {
  for (std::string_view body : {""sv, "II"sv, "X"sv, "\0"sv}) {
    const Bytes b = make_frame('Z', body);
    auto r = ReadyForQuery::parse(frame_of(b));
    ASSERT_FALSE(r.has_value()) << body.size();
    EXPECT_EQ(r.error().category(), ErrorCategory::protocol);
  }
  const Bytes x = make_frame('Z', "X");
  EXPECT_EQ(ReadyForQuery::parse(frame_of(x)).error().message(),
            "server sent a malformed ReadyForQuery message: transaction status byte is not 'I', 'T' or 'E'");
}

// ---- ParameterDescription ----

TEST(ParameterDescription, CapturedTypes) {
  const Bytes b = load_vector("parameter_description");
  auto d = ParameterDescription::parse(frame_of(b));
  ASSERT_TRUE(d.has_value()) << d.error().message();
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0], 23u);  // int4
  EXPECT_EQ((*d)[1], 25u);  // text
  EXPECT_EQ(std::vector<Oid>(d->begin(), d->end()), (std::vector<Oid>{23, 25}));
}

TEST(ParameterDescription, CapturedNoParameters) {
  const Bytes b = load_vector("parameter_description_empty");
  auto d = ParameterDescription::parse(frame_of(b));
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->empty());
  EXPECT_EQ(d->begin(), d->end());
}

TEST(ParameterDescription, CountIsUnsignedUpTo65535) {
  Bytes body;
  append_i16(body, -1);  // 65535
  for (int i = 0; i < 65535; ++i) append_i32(body, 23);
  const Bytes b = make_frame('t', body);
  auto d = ParameterDescription::parse(frame_of(b));
  ASSERT_TRUE(d.has_value()) << d.error().message();
  EXPECT_EQ(d->size(), 65535u);
  EXPECT_EQ((*d)[65534], 23u);
}

TEST(ParameterDescription, MalformedBodiesAreErrors) {
  Bytes short_count{std::byte{0}};
  EXPECT_FALSE(ParameterDescription::parse(frame_of(make_frame('t', short_count))).has_value());
  Bytes too_many;
  append_i16(too_many, 2);
  append_i32(too_many, 23);
  const Bytes b = make_frame('t', too_many);
  auto d = ParameterDescription::parse(frame_of(b));
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().message(),
            "server sent a malformed ParameterDescription message: 2 parameter types need 10 body bytes, got 6");
  Bytes trailing;
  append_i16(trailing, 1);
  append_i32(trailing, 23);
  trailing.push_back(std::byte{0});
  EXPECT_FALSE(ParameterDescription::parse(frame_of(make_frame('t', trailing))).has_value());
}

// ---- FunctionCallResponse ----

TEST(FunctionCallResponse, CapturedValueAndNull) {
  const Bytes v = load_vector("function_call_response");
  auto r = FunctionCallResponse::parse(frame_of(v));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_FALSE(r->is_null());
  EXPECT_EQ(r->text(), "5");  // abs(-5)

  const Bytes n = load_vector("function_call_response_null");
  auto rn = FunctionCallResponse::parse(frame_of(n));
  ASSERT_TRUE(rn.has_value()) << rn.error().message();
  EXPECT_TRUE(rn->is_null());
  EXPECT_TRUE(rn->value().empty());
}

TEST(FunctionCallResponse, EmptyValueIsNotNull) {
  Bytes body;
  append_i32(body, 0);
  const Bytes b = make_frame('V', body);
  auto r = FunctionCallResponse::parse(frame_of(b));
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->is_null());
  EXPECT_TRUE(r->value().empty());
}

TEST(FunctionCallResponse, MalformedBodiesAreErrors) {
  auto error_of = [](const Bytes& body) {
    const Bytes b = make_frame('V', body);
    auto r = FunctionCallResponse::parse(frame_of(b));
    return r.has_value() ? std::string("parsed") : r.error().message();
  };
  EXPECT_EQ(error_of(Bytes(3, std::byte{0})),
            "server sent a malformed FunctionCallResponse message: body shorter than its 4-byte value length");
  Bytes negative;
  append_i32(negative, -2);
  EXPECT_EQ(error_of(negative),
            "server sent a malformed FunctionCallResponse message: negative result length other than -1 (NULL)");
  Bytes mismatch;
  append_i32(mismatch, 3);
  mismatch.push_back(std::byte{'a'});
  EXPECT_EQ(error_of(mismatch),
            "server sent a malformed FunctionCallResponse message: result length 3 does not match the 1 bytes that follow");
  Bytes after_null;
  append_i32(after_null, -1);
  after_null.push_back(std::byte{'a'});
  EXPECT_EQ(error_of(after_null), "server sent a malformed FunctionCallResponse message: bytes after a NULL result");
}

}  // namespace
}  // namespace pgstream::protocol
