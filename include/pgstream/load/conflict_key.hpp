#pragma once
// The columns an upsert's ON CONFLICT (...) names: the primary key by default, or the columns the
// user gives (--conflict-key a,b), checked against the table's unique indexes so a wrong key is a
// clear error before any row is sent instead of a server error on the first batch.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/load/table_schema.hpp"
#include "pgstream/result.hpp"

namespace pgstream::load {

struct ConflictKey {
  std::vector<std::size_t> columns;  // indexes into TableSchema::columns, in the index's order
  std::string index_name;            // the unique index (or primary key) that arbitrates
};

// "a, b" -> {"a", "b"}: names separated by commas, spaces around them dropped. An empty name
// (",", "a,,b") is a config error.
[[nodiscard]] Result<std::vector<std::string>> split_column_list(std::string_view list);

// `names` empty: the table's primary key (a config error naming the table when it has none).
// Otherwise every name must be a column of `schema`, and some valid, non-partial, non-deferrable
// unique index on plain columns must have exactly these columns as its key (in any order): that
// is what ON CONFLICT (cols) can infer as its arbiter. The result lists the columns in the order
// given.
[[nodiscard]] Result<ConflictKey> resolve_conflict_key(client::PgConnection& conn, const TableSchema& schema,
                                                       const std::vector<std::string>& names);

}  // namespace pgstream::load
