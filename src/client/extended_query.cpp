#include "pgstream/client/extended_query.hpp"

#include "pgstream/protocol/backend.hpp"
#include "pgstream/protocol/frontend.hpp"

namespace pgstream::client {

namespace fe = protocol::frontend;

namespace {

// Appends Parse/Bind/Describe/Execute/Sync; on an encoding error nothing is left appended, so a
// half-written batch never reaches the server.
Result<void> encode_batch(std::string& out, std::string_view sql, protocol::SpanArg<protocol::Oid> param_types,
                          protocol::SpanArg<protocol::EncodedValue> params,
                          protocol::SpanArg<protocol::Format> result_formats) {
  const std::size_t start = out.size();
  auto fail = [&](const Error& e) -> Result<void> {
    out.resize(start);
    return std::unexpected(e);
  };
  if (auto r = fe::parse(out, "", sql, param_types); !r) return fail(r.error());
  const protocol::Format binary[] = {protocol::Format::binary};
  const auto param_formats = params.empty() ? std::span<const protocol::Format>() : std::span(binary);
  if (auto r = fe::bind_encoded(out, "", "", param_formats, params, result_formats); !r) return fail(r.error());
  if (auto r = fe::describe_portal(out); !r) return fail(r.error());
  if (auto r = fe::execute(out); !r) return fail(r.error());
  fe::sync(out);
  return {};
}

}  // namespace

Result<ExtendedResult> extended_query(PgConnection& conn, std::string_view sql,
                                      protocol::SpanArg<protocol::Oid> param_types,
                                      protocol::SpanArg<protocol::EncodedValue> params,
                                      protocol::SpanArg<protocol::Format> result_formats) {
  if (auto r = encode_batch(conn.send_buffer(), sql, param_types, params, result_formats); !r)
    return std::unexpected(r.error());
  if (auto r = conn.flush(); !r) return std::unexpected(r.error());

  ExtendedResult result;
  std::optional<Error> error;
  for (;;) {
    auto frame = conn.recv();
    if (!frame) return std::unexpected(frame.error());
    switch (frame->type) {
      case 'T': {
        auto rd = protocol::RowDescription::parse(*frame);
        if (!rd) return std::unexpected(rd.error());
        result.columns.clear();
        for (const auto& c : *rd) result.columns.push_back({std::string(c.name), c.type_oid, c.format});
        break;
      }
      case 'D': {
        auto row = protocol::DataRow::parse(*frame);
        if (!row) return std::unexpected(row.error());
        auto& out = result.rows.emplace_back();
        out.reserve(row->size());
        for (const auto& value : *row) {
          if (value.is_null()) out.emplace_back(std::nullopt);
          else out.emplace_back(std::vector<std::byte>(value.bytes().begin(), value.bytes().end()));
        }
        break;
      }
      case 'C': {
        auto cc = protocol::CommandComplete::parse(*frame);
        if (!cc) return std::unexpected(cc.error());
        result.command_tag = std::string(cc->tag());
        break;
      }
      case 'E': {
        auto e = protocol::ErrorResponse::parse(*frame);
        if (!e) return std::unexpected(e.error());
        if (!error) error = e->to_error();
        break;
      }
      case 'Z':
        if (error) return std::unexpected(*error);
        return result;
      default:
        // ParseComplete, BindComplete, NoData, EmptyQueryResponse, notices, parameter changes.
        break;
    }
  }
}

}  // namespace pgstream::client
