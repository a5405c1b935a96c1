#pragma once
// One statement through the extended-query protocol on a blocking connection: Parse (with the
// parameter types given), Bind (every parameter in binary), Describe, Execute, Sync, and every
// row's fields copied out raw, in the format asked for per column.
//
//   auto r = extended_query(conn, "SELECT $1::int4 + 1", {oid::int4}, {bytes_of_42},
//                           {Format::binary});
//   auto v = decode_field<std::int32_t>(r->columns[0].type_oid, r->field(0, 0));
//
// For tests and small tools: every field is copied into its own buffer, which a bulk path must
// not do (use the reactor or decode the DataRow frames in place).

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/protocol/format.hpp"
#include "pgstream/protocol/frontend_frame.hpp"
#include "pgstream/protocol/frontend_params.hpp"
#include "pgstream/result.hpp"

namespace pgstream::client {

struct ExtendedColumn {
  std::string name;
  protocol::Oid type_oid = 0;
  protocol::Format format = protocol::Format::text;
};

struct ExtendedResult {
  std::vector<ExtendedColumn> columns;  // empty for a statement that returns no rows
  // rows[r][c]: the field's bytes in columns[c].format; nullopt for NULL.
  std::vector<std::vector<std::optional<std::vector<std::byte>>>> rows;
  std::string command_tag;

  // The field as decode_field takes it (views into this result: valid while it lives).
  [[nodiscard]] std::optional<std::span<const std::byte>> field(std::size_t row, std::size_t column) const {
    const auto& f = rows.at(row).at(column);
    if (!f) return std::nullopt;
    return std::span<const std::byte>(*f);
  }
  // The field as text (for text-format columns); nullopt for NULL.
  [[nodiscard]] std::optional<std::string_view> text(std::size_t row, std::size_t column) const {
    const auto& f = rows.at(row).at(column);
    if (!f) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(f->data()), f->size());
  }
};

// Runs `sql` with the unnamed statement and portal. `param_types` may be shorter than `params`
// (missing or 0 types are inferred by the server); every non-NULL parameter is sent in binary.
// `result_formats`: empty = all text, one = all columns, else one per column. The first
// ErrorResponse becomes the error, returned once the connection is back at ReadyForQuery, so the
// connection stays usable.
[[nodiscard]] Result<ExtendedResult> extended_query(PgConnection& conn, std::string_view sql,
                                                    protocol::SpanArg<protocol::Oid> param_types,
                                                    protocol::SpanArg<protocol::EncodedValue> params,
                                                    protocol::SpanArg<protocol::Format> result_formats = {});

}  // namespace pgstream::client
