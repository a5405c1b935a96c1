#pragma once
// JSON lines into a table: every input line ends up loaded, or in the rejects file with the
// reason (file, line, column, SQLSTATE). Rows go to the server as COPY batches, grouped by the
// set of keys present so that an absent key gives its column the DEFAULT.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pgstream/client/pg_connection.hpp"

namespace pgstream::load {

struct LoadOptions {
  std::vector<std::string> files;      // "-" = stdin; .gz and .zst are decompressed
  std::string table;
  std::size_t batch_rows = 50'000;     // rows per COPY (one transaction each)
  std::size_t batch_bytes = 16u << 20; // or this much COPY data, whichever comes first
  std::string rejects_path;            // default: <table>.rejects.jsonl
  std::optional<std::uint64_t> max_errors;  // stop after this many rejects (0: the first stops)
  bool truncate = false;               // empty the table in the first batch's transaction
  std::string jsonb_column;            // also store the whole line here
};

struct LoadReport {
  std::uint64_t files = 0;
  std::uint64_t lines_read = 0;
  std::uint64_t blank_lines = 0;
  std::uint64_t rows_loaded = 0;
  std::uint64_t rows_rejected = 0;
  std::uint64_t batches = 0;
  std::uint64_t bytes_read = 0;
  std::map<std::string, std::uint64_t> ignored_keys;  // keys with no column, and how often
  double seconds = 0;
  bool stopped = false;          // stopped early (max-errors)
  std::string stop_reason;
  std::string rejects_path;      // empty when nothing was rejected
  std::string table;             // as the server names it
};

// Runs the whole load on one connection. Errors: connection or I/O failures, a missing table;
// rejected lines are not errors (they are counted in the report and written to the rejects file).
[[nodiscard]] Result<LoadReport> run_load(client::PgConnection& conn, const LoadOptions& options);

}  // namespace pgstream::load
