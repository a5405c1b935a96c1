#pragma once
// The SQL of `pgstream load --mode insert`: one INSERT per set of present columns (a RowEncoder
// signature), parsed once per connection and bound once per batch (unnest form) or once per row
// (values form).
//
// Unnest form, one Bind per batch, one binary array parameter per present column:
//
//   INSERT INTO t ("id", "name") SELECT c1, c2 FROM unnest($1::pg_catalog.int8[], $2::pg_catalog.text[])
//     AS u(c1, c2)
//   [ON CONFLICT ("id") DO NOTHING | DO UPDATE SET "name" = EXCLUDED."name"]
//
// In update mode the INSERT sits in a CTE, RETURNING (xmax = 0) (true for a fresh row, false for
// one ON CONFLICT updated: the updated version carries our transaction id in xmax), and the
// statement returns one row per batch: count(*) FILTER (WHERE inserted), count(*).
//
// Values form, one Bind per row: INSERT INTO t (...) VALUES ($1, $2) [ON CONFLICT ... RETURNING
// (xmax = 0)]. Used whenever a present column is an array: unnest() of an array of arrays yields
// their elements, not the inner arrays, so the unnest form cannot carry an array column.
//
// Parameter types: the unnest form casts each parameter to the column's base type (domains
// resolved, without typmod) as an array: the INSERT then applies the column's typmod and domain
// checks by assignment, exactly as COPY would (varchar(3) refuses 'abcd' instead of truncating
// it). Tables the encoder writes in COPY text format (a column without a binary codec, e.g. an
// enum) send every array as text[] and cast each element explicitly to the base type.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/load/conflict_key.hpp"
#include "pgstream/load/row_encoder.hpp"
#include "pgstream/load/table_schema.hpp"
#include "pgstream/protocol/format.hpp"
#include "pgstream/result.hpp"

namespace pgstream::load {

enum class InsertMode : std::uint8_t { insert, do_nothing, update };
// unnest: one Bind of arrays per batch; values: one Bind per row. `automatic` picks unnest unless
// a present column is an array.
enum class InsertShape : std::uint8_t { automatic, unnest, values };

// Everything about the table that the statements need, read once per load.
struct InsertTarget {
  const TableSchema* schema = nullptr;  // must outlive the target
  CopyFormat format = CopyFormat::binary;  // what the RowEncoder writes (binary_supported())
  InsertMode mode = InsertMode::insert;
  ConflictKey key;                         // empty columns: ON CONFLICT without a target (do_nothing only)
  std::vector<std::string> base_type_names;  // per column: the base type without typmod, e.g. pg_catalog.bpchar
};

// Reads the base type names and, for do_nothing/update, the conflict key (`conflict_key` empty:
// the primary key; do_nothing on a table without one then means ON CONFLICT DO NOTHING, any
// unique index).
[[nodiscard]] Result<InsertTarget> resolve_insert_target(client::PgConnection& conn, const TableSchema& schema,
                                                         CopyFormat format, InsertMode mode,
                                                         const std::vector<std::string>& conflict_key);

struct InsertStatement {
  std::string sql;
  InsertShape shape = InsertShape::unnest;  // never automatic
  InsertMode mode = InsertMode::insert;     // update with no column to update becomes do_nothing
  CopyFormat format = CopyFormat::binary;
  std::vector<std::size_t> columns;         // the present columns, in table order: parameter i is columns[i]
  std::vector<protocol::Oid> element_oids;  // unnest: each array's element type (text for CopyFormat::text)
  // Positions in `columns` of the conflict key, for dedupe in a batch (update mode only; empty when
  // a key column is absent from these rows, then its DEFAULT decides and nothing is deduped).
  std::vector<std::size_t> key_positions;
};

// The statement for rows whose present columns are `signature` (RowEncoder::signature()). Config
// error when no column is present or `shape` is unnest and a present column is an array.
[[nodiscard]] Result<InsertStatement> make_insert_statement(const InsertTarget& target,
                                                            std::span<const std::uint64_t> signature,
                                                            InsertShape shape = InsertShape::automatic);

}  // namespace pgstream::load
