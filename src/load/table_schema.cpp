#include "pgstream/load/table_schema.hpp"

#include <algorithm>
#include <cctype>

namespace pgstream::load {

std::string quote_literal(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string quote_identifier(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::optional<std::size_t> TableSchema::find(std::string_view key) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == key && !columns[i].generated) return i;
  auto iequal = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (iequal(columns[i].name, key) && !columns[i].generated) return i;
  return std::nullopt;
}

namespace {

ColumnKind kind_of(std::string_view category, std::string_view type) {
  if (type == "json" || type == "jsonb") return ColumnKind::json;
  if (category == "A") return ColumnKind::array;
  if (category == "N") return ColumnKind::number;
  if (category == "B") return ColumnKind::boolean;
  if (category == "S") return ColumnKind::text;
  return ColumnKind::other;
}

}  // namespace

Result<TableSchema> read_table_schema(client::PgConnection& conn, std::string_view table) {
  // to_regclass parses the name as SQL would (quoting, search_path), without failing on a
  // missing table, so we can say which table is missing.
  const std::string sql =
      "SELECT a.attname, a.atttypid::int8, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
      "a.atthasdef OR a.attidentity <> '', b.typcategory, b.typname, c.oid::regclass::text, b.oid::int8, "
      "coalesce(nullif(e.typbasetype, 0), e.oid, 0)::int8, a.attgenerated <> '' "
      "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
      "JOIN pg_type b ON b.oid = coalesce(nullif(t.typbasetype, 0), t.oid) "
      "LEFT JOIN pg_type e ON e.oid = nullif(b.typelem, 0) AND b.typcategory = 'A' "
      "JOIN pg_class c ON c.oid = a.attrelid "
      "WHERE a.attrelid = to_regclass(" + quote_literal(table) + ") AND a.attnum > 0 AND NOT a.attisdropped "
      "ORDER BY a.attnum";
  auto rows = conn.simple_query(sql);
  if (!rows) return std::unexpected(rows.error());
  if (rows->rows.empty())
    return make_error(ErrorCategory::config, "table \"" + std::string(table) +
                                                 "\" does not exist (or has no columns, or you cannot see it)");
  TableSchema schema;
  for (const auto& r : rows->rows) {
    Column c;
    c.name = r[0].value_or("");
    c.type_oid = static_cast<std::uint32_t>(std::stoul(r[1].value_or("0")));
    c.type_name = r[2].value_or("");
    c.not_null = r[3].value_or("f") == "t";
    c.has_default = r[4].value_or("f") == "t";
    c.kind = kind_of(r[5].value_or(""), r[6].value_or(""));
    schema.qualified_name = r[7].value_or("");
    c.base_type_oid = static_cast<std::uint32_t>(std::stoul(r[8].value_or("0")));
    c.element_type_oid = static_cast<std::uint32_t>(std::stoul(r[9].value_or("0")));
    c.generated = r[10].value_or("f") == "t";
    schema.columns.push_back(std::move(c));
  }
  return schema;
}

}  // namespace pgstream::load
