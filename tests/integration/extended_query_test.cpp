// extended_query against the scratch server: binary parameters in, per-column result formats
// out, NULLs both ways, and errors that leave the connection usable.
#include "pgstream/client/extended_query.hpp"

#include <gtest/gtest.h>

#include <string>

#include "pgstream/protocol/types/types.hpp"
#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

namespace pp = protocol;
using client::extended_query;
using client::PgConnection;
using pp::Format;

PgConnection connect_trust() {
  const auto& s = *TestServer::instance();
  auto c = PgConnection::connect("host=127.0.0.1 port=" + std::to_string(s.port()) +
                                 " dbname=postgres sslmode=disable user=" + s.get("PGSTREAM_TEST_TRUST_USER"));
  if (!c) throw std::runtime_error(c.error().to_string());
  return std::move(*c);
}

std::string be32(std::int32_t v) {
  std::string out;
  pp::Bindable<std::int32_t>::encode(out, v);
  return out;
}

TEST(ExtendedQuery, SendsBinaryParametersAndReturnsEachColumnInItsFormat) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = connect_trust();
  const std::string forty_one = be32(41);
  auto r = extended_query(conn, "SELECT $1 + 1 AS n, $2::text || '!' AS s", {pp::oid::int4, pp::oid::text},
                          {pp::bytes_of(forty_one), pp::bytes_of("hi")}, {Format::binary, Format::text});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->columns.size(), 2u);
  EXPECT_EQ(r->columns[0].name, "n");
  EXPECT_EQ(r->columns[0].type_oid, pp::oid::int4);
  EXPECT_EQ(r->columns[0].format, Format::binary);
  EXPECT_EQ(r->columns[1].type_oid, pp::oid::text);
  EXPECT_EQ(r->columns[1].format, Format::text);
  ASSERT_EQ(r->rows.size(), 1u);
  auto n = pp::decode_field<std::int32_t>(r->columns[0].type_oid, r->field(0, 0));
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, 42);
  EXPECT_EQ(r->text(0, 1), "hi!");
  EXPECT_EQ(r->command_tag, "SELECT 1");
}

TEST(ExtendedQuery, NullParameterComesBackAsNullField) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = connect_trust();
  auto r = extended_query(conn, "SELECT $1::int4, $1::int4 IS NULL", {pp::oid::int4}, {pp::EncodedValue()},
                          {Format::binary});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_FALSE(r->field(0, 0).has_value());
  auto is_null = pp::decode_field<bool>(r->columns[1].type_oid, r->field(0, 1));
  ASSERT_TRUE(is_null) << is_null.error().to_string();
  EXPECT_TRUE(*is_null);
}

TEST(ExtendedQuery, ManyRowsAndNoParameters) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = connect_trust();
  auto r = extended_query(conn, "SELECT g FROM generate_series(1, 1000) g", {}, {}, {Format::binary});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->rows.size(), 1000u);
  auto last = pp::decode_field<std::int32_t>(r->columns[0].type_oid, r->field(999, 0));
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 1000);
  EXPECT_EQ(r->command_tag, "SELECT 1000");
}

TEST(ExtendedQuery, StatementWithoutRowsHasNoColumns) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = connect_trust();
  auto r = extended_query(conn, "SET application_name = 'extended'", {}, {});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->columns.empty());
  EXPECT_TRUE(r->rows.empty());
  EXPECT_EQ(r->command_tag, "SET");
}

TEST(ExtendedQuery, ServerErrorIsReturnedAndTheConnectionStaysUsable) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = connect_trust();
  auto r = extended_query(conn, "SELECT 1 / $1", {pp::oid::int4}, {pp::bytes_of(be32(0))});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), ErrorCategory::server);
  EXPECT_EQ(r.error().sqlstate(), "22012") << r.error().to_string();

  // A malformed binary value: five bytes are not an int4.
  auto bad = extended_query(conn, "SELECT $1::int4", {pp::oid::int4}, {pp::bytes_of("abcde")});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().sqlstate(), "22P03") << bad.error().to_string();

  auto ok = extended_query(conn, "SELECT 7", {}, {}, {Format::text});
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->text(0, 0), "7");
}

TEST(ExtendedQuery, EncodingErrorSendsNothing) {
  PGSTREAM_REQUIRE_SERVER();
  auto conn = connect_trust();
  auto r = extended_query(conn, std::string_view("SELECT 1\0", 9), {}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), ErrorCategory::encode);
  EXPECT_TRUE(conn.send_buffer().empty());
  auto ok = extended_query(conn, "SELECT 'still in sync'", {}, {});
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->text(0, 0), "still in sync");
}

}  // namespace
}  // namespace pgstream::testing
