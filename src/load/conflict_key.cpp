#include "pgstream/load/conflict_key.hpp"

#include <algorithm>
#include <map>

namespace pgstream::load {

Result<std::vector<std::string>> split_column_list(std::string_view list) {
  std::vector<std::string> out;
  for (;;) {
    const auto comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.empty()) return make_error(ErrorCategory::config, "empty column name in column list \"" + std::string(list) + "\"");
    out.emplace_back(name);
    if (comma == std::string_view::npos) return out;
    list.remove_prefix(comma + 1);
  }
}

namespace {

struct UniqueIndex {
  bool primary = false;
  bool usable = false;  // ON CONFLICT can infer it: no predicate, no expression, not deferrable
  std::vector<std::string> columns;
};

Result<std::map<std::string, UniqueIndex>> unique_indexes(client::PgConnection& conn, const TableSchema& schema) {
  // One row per key column of each unique index; an expression column has attnum 0 (no name).
  // INCLUDE columns come after the key columns and are not part of the key.
  const std::string sql =
      "SELECT c.relname, i.indisprimary, (i.indpred IS NULL AND i.indexprs IS NULL AND i.indimmediate), "
      "a.attname "
      "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) "
      "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = to_regclass(" + quote_literal(schema.qualified_name) + ") "
      "AND i.indisunique AND i.indisvalid AND k.n <= i.indnkeyatts "
      "ORDER BY c.relname, k.n";
  auto rows = conn.simple_query(sql);
  if (!rows) return std::unexpected(rows.error());
  std::map<std::string, UniqueIndex> out;
  for (const auto& r : rows->rows) {
    UniqueIndex& idx = out[r[0].value_or("")];
    idx.primary = r[1] == "t";
    idx.usable = r[2] == "t";
    if (r[3]) idx.columns.push_back(*r[3]);
    else idx.usable = false;
  }
  return out;
}

}  // namespace

Result<ConflictKey> resolve_conflict_key(client::PgConnection& conn, const TableSchema& schema,
                                         const std::vector<std::string>& names) {
  auto indexes = unique_indexes(conn, schema);
  if (!indexes) return std::unexpected(indexes.error());
  auto column_index = [&](const std::string& name) {
    for (std::size_t i = 0; i < schema.columns.size(); ++i)
      if (schema.columns[i].name == name) return i;
    return schema.columns.size();
  };

  ConflictKey key;
  if (names.empty()) {
    for (const auto& [name, idx] : *indexes) {
      if (!idx.primary) continue;
      key.index_name = name;
      for (const auto& c : idx.columns) key.columns.push_back(column_index(c));
      return key;
    }
    return make_error(ErrorCategory::config, "table " + schema.qualified_name +
                                                 " has no primary key: name the conflict columns with --conflict-key");
  }

  std::vector<std::string> wanted;
  for (const auto& n : names) {
    auto i = schema.find(n);
    if (!i) return make_error(ErrorCategory::config, "--conflict-key: no column \"" + n + "\" in table " + schema.qualified_name);
    if (std::find(key.columns.begin(), key.columns.end(), *i) != key.columns.end())
      return make_error(ErrorCategory::config, "--conflict-key: column \"" + n + "\" is named twice");
    key.columns.push_back(*i);
    wanted.push_back(schema.columns[*i].name);
  }
  std::sort(wanted.begin(), wanted.end());
  std::string unusable;
  for (const auto& [name, idx] : *indexes) {
    auto cols = idx.columns;
    std::sort(cols.begin(), cols.end());
    if (cols != wanted) continue;
    if (idx.usable) {
      key.index_name = name;
      return key;
    }
    unusable = name;
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  if (!unusable.empty())
    return make_error(ErrorCategory::config, "--conflict-key " + list + ": unique index " + unusable + " of table " +
                                                 schema.qualified_name +
                                                 " is partial, on expressions or deferrable, so ON CONFLICT cannot use it");
  return make_error(ErrorCategory::config, "--conflict-key " + list + ": table " + schema.qualified_name +
                                               " has no unique index or constraint on exactly these columns");
}

}  // namespace pgstream::load
