// A prepared statement with the blocking connection: Parse it with an int4 parameter, Bind an
// int32_t (binary), Execute and Sync in one flush, then read the binary DataRow.
//
//   prepared_statement "host=localhost user=postgres dbname=postgres"   (or set PGSTREAM_DSN)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/frontend.hpp"
#include "pgstream/protocol/types/types.hpp"

namespace be = pgstream::protocol;
namespace oid = pgstream::protocol::oid;

namespace {

int fail(const pgstream::Error& e) {
  std::fprintf(stderr, "%s\n", e.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* dsn = argc > 1 ? argv[1] : std::getenv("PGSTREAM_DSN");
  if (dsn == nullptr) {
    std::fprintf(stderr, "usage: %s CONNINFO (or set PGSTREAM_DSN)\n", argv[0]);
    return 2;
  }
  auto conn = pgstream::client::PgConnection::connect(dsn);
  if (!conn) return fail(conn.error());

  // One buffer, four messages, one write: Parse, Bind, Execute, Sync.
  be::FrontendWriter w(conn->send_buffer());
  if (auto r = w.parse("double_it").query("SELECT $1::int4 * 2 AS doubled").param_types({oid::int4}).finish(); !r)
    return fail(r.error());
  const std::int32_t input = 21;
  if (auto r = w.bind("", "double_it").result_format(be::Format::binary).finish(input).execute().sync().result(); !r)
    return fail(r.error());
  if (auto r = conn->flush(); !r) return fail(r.error());

  int status = 0;
  for (;;) {
    auto frame = conn->recv();
    if (!frame) return fail(frame.error());
    switch (frame->type) {
      case '1': std::printf("parse complete\n"); break;
      case '2': std::printf("bind complete\n"); break;
      case 'D': {
        auto row = be::DataRow::parse(*frame);
        if (!row) return fail(row.error());
        if (row->size() != 1 || (*row)[0].is_null()) {
          std::fprintf(stderr, "expected one non-NULL column\n");
          return 1;
        }
        // Binary int4: four big-endian bytes, decoded (and length-checked) by the type codecs.
        auto doubled = be::decode_binary<std::int32_t>((*row)[0].bytes());
        if (!doubled) return fail(doubled.error());
        std::printf("%d * 2 = %d\n", input, *doubled);
        break;
      }
      case 'C': {
        auto cc = be::CommandComplete::parse(*frame);
        if (!cc) return fail(cc.error());
        std::printf("command complete: %s\n", std::string(cc->tag()).c_str());
        break;
      }
      case 'E': {
        auto e = be::ErrorResponse::parse(*frame);
        if (!e) return fail(e.error());
        fail(e->to_error());
        status = 1;
        break;
      }
      case 'Z': return status;
      default: break;
    }
  }
}
