#pragma once
// The target table as the server describes it: columns in order, with their real types.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/client/pg_connection.hpp"

namespace pgstream::load {

// How a JSON value is written for a column: decided once per column from its type.
enum class ColumnKind : std::uint8_t { text, number, boolean, json, array, other };

struct Column {
  std::string name;
  std::uint32_t type_oid = 0;
  std::uint32_t base_type_oid = 0;     // the domain's base type, else type_oid
  std::uint32_t element_type_oid = 0;  // for arrays: the element's (base) type, else 0
  bool generated = false;              // GENERATED ALWAYS AS (...) STORED: never loaded
  std::string type_name;   // format_type(): "smallint", "character(2)", "text[]"
  bool not_null = false;
  bool has_default = false;
  ColumnKind kind = ColumnKind::other;
};

struct TableSchema {
  std::string qualified_name;  // as the server prints it (quoted where needed)
  std::vector<Column> columns;

  // Index of the column a JSON key names: exact match first, then case-insensitive.
  [[nodiscard]] std::optional<std::size_t> find(std::string_view key) const;
};

// Reads the columns of `table` (schema-qualified allowed, quoted identifiers respected).
[[nodiscard]] Result<TableSchema> read_table_schema(client::PgConnection& conn, std::string_view table);

// A SQL literal: 'it''s'.
[[nodiscard]] std::string quote_literal(std::string_view s);
// A SQL identifier: "My Col".
[[nodiscard]] std::string quote_identifier(std::string_view s);

}  // namespace pgstream::load
