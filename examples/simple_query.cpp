// A simple query with the blocking connection: send Query, then read frames until ReadyForQuery.
//
//   simple_query "host=localhost user=postgres dbname=postgres"   (or set PGSTREAM_DSN)
//
// Frames returned by recv() are views into the connection's buffer, valid until the next recv():
// print or copy what you need before asking for the next one.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/frontend.hpp"

namespace be = pgstream::protocol;
namespace fe = pgstream::protocol::frontend;

int main(int argc, char** argv) {
  const char* dsn = argc > 1 ? argv[1] : std::getenv("PGSTREAM_DSN");
  if (dsn == nullptr) {
    std::fprintf(stderr, "usage: %s CONNINFO (or set PGSTREAM_DSN)\n", argv[0]);
    return 2;
  }
  auto conn = pgstream::client::PgConnection::connect(dsn);
  if (!conn) {
    std::fprintf(stderr, "connection failed: %s\n", conn.error().to_string().c_str());
    return 1;
  }
  std::printf("connected to PostgreSQL %s (auth %s)\n", std::string(conn->parameter("server_version")).c_str(),
              std::string(to_string(conn->session().auth)).c_str());

  // Messages are encoded into the connection's send buffer; flush() sends them all at once.
  if (auto r = fe::query(conn->send_buffer(), "SELECT n, n * n AS square FROM generate_series(1, 3) AS n"); !r) {
    std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
    return 1;
  }
  if (auto r = conn->flush(); !r) {
    std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
    return 1;
  }

  int status = 0;
  for (;;) {
    auto frame = conn->recv();
    if (!frame) {
      std::fprintf(stderr, "%s\n", frame.error().to_string().c_str());
      return 1;
    }
    switch (frame->type) {
      case 'T': {  // RowDescription: the column names
        auto rd = be::RowDescription::parse(*frame);
        if (!rd) return std::fprintf(stderr, "%s\n", rd.error().to_string().c_str()), 1;
        std::string header;
        for (const auto& column : *rd) header += (header.empty() ? "" : " | ") + std::string(column.name);
        std::printf("%s\n", header.c_str());
        break;
      }
      case 'D': {  // DataRow: text values in the simple-query protocol
        auto row = be::DataRow::parse(*frame);
        if (!row) return std::fprintf(stderr, "%s\n", row.error().to_string().c_str()), 1;
        std::string line;
        for (const auto& value : *row)
          line += (line.empty() ? "" : " | ") + (value.is_null() ? std::string("NULL") : std::string(value.text()));
        std::printf("%s\n", line.c_str());
        break;
      }
      case 'C': {  // CommandComplete
        auto cc = be::CommandComplete::parse(*frame);
        if (!cc) return std::fprintf(stderr, "%s\n", cc.error().to_string().c_str()), 1;
        std::printf("command complete: %s\n", std::string(cc->tag()).c_str());
        break;
      }
      case 'E': {  // ErrorResponse: ReadyForQuery still follows
        auto e = be::ErrorResponse::parse(*frame);
        std::fprintf(stderr, "%s\n", e ? e->to_error().to_string().c_str() : e.error().to_string().c_str());
        status = 1;
        break;
      }
      case 'Z':  // ReadyForQuery: the query is done
        return status;
      default:  // notices, parameter changes: not needed here
        break;
    }
  }
}
