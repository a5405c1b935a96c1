#include "pgstream/load/insert_statement.hpp"

#include <algorithm>

#include "pgstream/protocol/types/oid.hpp"

namespace pgstream::load {

Result<InsertTarget> resolve_insert_target(client::PgConnection& conn, const TableSchema& schema, CopyFormat format,
                                           InsertMode mode, const std::vector<std::string>& conflict_key) {
  InsertTarget t;
  t.schema = &schema;
  t.format = format;
  t.mode = mode;
  // The same columns, in the same order, as read_table_schema reads them. Schema-qualified
  // pg_type names, not format_type(): that prints bpchar as "character", which means character(1)
  // and would cut every value to one character.
  const std::string sql =
      "SELECT format('%I.%I', n.nspname, b.typname) "
      "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
      "JOIN pg_type b ON b.oid = coalesce(nullif(t.typbasetype, 0), t.oid) "
      "JOIN pg_namespace n ON n.oid = b.typnamespace "
      "WHERE a.attrelid = to_regclass(" + quote_literal(schema.qualified_name) + ") AND a.attnum > 0 "
      "AND NOT a.attisdropped ORDER BY a.attnum";
  auto rows = conn.simple_query(sql);
  if (!rows) return std::unexpected(rows.error());
  if (rows->rows.size() != schema.columns.size())
    return make_error(ErrorCategory::config, "table " + schema.qualified_name + " changed while the load was starting");
  for (const auto& r : rows->rows) t.base_type_names.push_back(r[0].value_or(""));

  if (mode == InsertMode::insert) return t;
  if (conflict_key.empty() && mode == InsertMode::do_nothing) {
    auto pk = resolve_conflict_key(conn, schema, {});
    if (pk) t.key = std::move(*pk);  // no primary key: ON CONFLICT DO NOTHING covers every unique index
    else if (pk.error().category() != ErrorCategory::config) return std::unexpected(pk.error());
    return t;
  }
  auto key = resolve_conflict_key(conn, schema, conflict_key);
  if (!key) return std::unexpected(key.error());
  t.key = std::move(*key);
  return t;
}

namespace {

bool is_array_column(const Column& c) { return c.kind == ColumnKind::array || c.element_type_oid != 0; }

}  // namespace

Result<InsertStatement> make_insert_statement(const InsertTarget& target, std::span<const std::uint64_t> signature,
                                              InsertShape shape) {
  const TableSchema& schema = *target.schema;
  InsertStatement s;
  s.format = target.format;
  s.mode = target.mode;
  bool any_array = false;
  for (std::size_t i = 0; i < schema.columns.size(); ++i) {
    if (i / 64 >= signature.size() || !(signature[i / 64] >> (i % 64) & 1)) continue;
    s.columns.push_back(i);
    any_array |= is_array_column(schema.columns[i]);
  }
  if (s.columns.empty()) return make_error(ErrorCategory::config, "no column of " + schema.qualified_name + " is present");
  // unnest() of an array of arrays yields their elements, so array columns ride the unnest form
  // only as text (each element an array literal, cast to the column's array type).
  const bool arrays_block_unnest = any_array && s.format == CopyFormat::binary;
  if (shape == InsertShape::unnest && arrays_block_unnest)
    return make_error(ErrorCategory::config,
                      "the unnest form cannot carry array columns in binary (unnest flattens them); use COPY text format");
  s.shape = shape != InsertShape::automatic ? shape : arrays_block_unnest ? InsertShape::values : InsertShape::unnest;

  auto present = [&](std::size_t column) { return std::find(s.columns.begin(), s.columns.end(), column) != s.columns.end(); };
  std::vector<std::size_t> updatable;
  for (std::size_t c : s.columns)
    if (std::find(target.key.columns.begin(), target.key.columns.end(), c) == target.key.columns.end()) updatable.push_back(c);
  if (s.mode == InsertMode::update && updatable.empty()) s.mode = InsertMode::do_nothing;
  if (s.mode == InsertMode::update &&
      std::all_of(target.key.columns.begin(), target.key.columns.end(), present)) {
    for (std::size_t k : target.key.columns)
      s.key_positions.push_back(static_cast<std::size_t>(std::find(s.columns.begin(), s.columns.end(), k) - s.columns.begin()));
  }

  std::string cols;
  for (std::size_t c : s.columns) cols += (cols.empty() ? "" : ", ") + quote_identifier(schema.columns[c].name);
  std::string insert = "INSERT INTO " + schema.qualified_name + " (" + cols + ") ";
  if (s.shape == InsertShape::values) {
    insert += "VALUES (";
    for (std::size_t i = 0; i < s.columns.size(); ++i) insert += (i ? ", $" : "$") + std::to_string(i + 1);
    insert += ")";
  } else {
    std::string select, args, aliases;
    for (std::size_t i = 0; i < s.columns.size(); ++i) {
      const std::size_t c = s.columns[i];
      const std::string alias = "c" + std::to_string(i + 1), sep = i ? ", " : "";
      aliases += sep + alias;
      if (s.format == CopyFormat::text) {
        select += sep + alias + "::" + target.base_type_names[c];
        args += sep + "$" + std::to_string(i + 1) + "::text[]";
        s.element_oids.push_back(protocol::oid::text);
      } else {
        select += sep + alias;
        args += sep + "$" + std::to_string(i + 1) + "::" + target.base_type_names[c] + "[]";
        s.element_oids.push_back(schema.columns[c].base_type_oid);
      }
    }
    insert += "SELECT " + select + " FROM unnest(" + args + ") AS u(" + aliases + ")";
  }

  if (s.mode == InsertMode::insert) {
    s.sql = std::move(insert);
    return s;
  }
  std::string target_cols;
  for (std::size_t k : target.key.columns)
    target_cols += (target_cols.empty() ? "" : ", ") + quote_identifier(schema.columns[k].name);
  const std::string on_conflict = target_cols.empty() ? " ON CONFLICT" : " ON CONFLICT (" + target_cols + ")";
  if (s.mode == InsertMode::do_nothing) {
    s.sql = insert + on_conflict + " DO NOTHING";
    return s;
  }
  std::string set;
  for (std::size_t c : updatable) {
    const std::string name = quote_identifier(schema.columns[c].name);
    set += (set.empty() ? "" : ", ") + name + " = EXCLUDED." + name;
  }
  insert += on_conflict + " DO UPDATE SET " + set + " RETURNING (xmax = 0) AS inserted";
  if (s.shape == InsertShape::values) s.sql = std::move(insert);
  else s.sql = "WITH ins AS (" + insert + ") SELECT count(*) FILTER (WHERE inserted), count(*) FROM ins";
  return s;
}

}  // namespace pgstream::load
