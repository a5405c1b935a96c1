#pragma once
// Exactly-once bookkeeping of a load on the server: every batch's transaction also inserts its
// rows into <schema>.load_progress (which lines of which file it loaded, which lines it records as
// rejected), so "was this batch committed?" has one answer that cannot disagree with the table,
// and a later run (--resume) can skip exactly the lines already done. <schema>.loads names each
// load and the input it was started with, so a resume with changed input is refused.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/client/pg_connection.hpp"

namespace pgstream::load {

// Sorted, disjoint, half-open runs [from, to) of line numbers of one file.
class LineRanges {
 public:
  // Lines mostly arrive in increasing order: a line right after the last run extends it.
  void add(std::uint64_t line) { add(line, line + 1); }
  void add(std::uint64_t from, std::uint64_t to);
  // Sorts and merges (after add() out of order).
  void normalize();
  [[nodiscard]] bool contains(std::uint64_t line) const;
  [[nodiscard]] std::uint64_t count() const;
  [[nodiscard]] bool empty() const noexcept { return runs_.empty(); }
  void clear() noexcept { runs_.clear(); }
  // An int8multirange literal: {[1,5),[7,8)}
  [[nodiscard]] std::string multirange_literal() const;
  [[nodiscard]] const std::vector<std::pair<std::uint64_t, std::uint64_t>>& runs() const noexcept { return runs_; }

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs_;
};

// One input file as the load saw it when it started.
struct InputFile {
  std::string path;          // as given on the command line ("-" for stdin)
  std::uint64_t size = 0;    // 0 for stdin or a pipe
  std::int64_t mtime_ns = 0;
};

[[nodiscard]] Result<std::vector<InputFile>> describe_inputs(const std::vector<std::string>& paths);
// The default load id: the table and a hash of the input files' names, sizes and modification
// times, so that running the same command again on the same input names the same load.
[[nodiscard]] std::string default_load_id(std::string_view table, const std::vector<InputFile>& inputs);

// What earlier runs of a load committed (empty for a fresh load).
struct LoadState {
  std::string load_id;
  bool resumed = false;        // an earlier run's progress applies
  bool finished = false;       // an earlier run loaded everything
  std::string finished_at;
  std::vector<LineRanges> done;      // per file: lines committed as loaded or as rejected
  std::vector<LineRanges> rejected;  // per file: lines committed as rejected
  std::uint64_t rows = 0;            // rows committed by earlier runs
  std::uint64_t rejected_count = 0;  // lines they recorded as rejected
  std::int64_t next_batch = 1;       // batch numbers go on from here
};

// One file's part of a batch, for its progress row.
struct ProgressEntry {
  std::uint32_t file_no = 0;
  LineRanges lines, rejected;
  std::uint64_t first_byte = UINT64_MAX, last_byte = 0;  // [first, last) in the decompressed input
  std::uint64_t rows = 0;
};

class ProgressTable {
 public:
  ProgressTable() = default;
  // Makes sure <schema>.loads and <schema>.load_progress exist (creating them under an advisory
  // lock, so loads starting together do not race).
  [[nodiscard]] static Result<ProgressTable> open(client::PgConnection& conn, std::string schema);

  // Registers the load: fresh (earlier progress of the same id is forgotten), or with `resume`
  // the state earlier runs left. Refuses a resume whose input or table changed, or one from stdin;
  // with a derived id (which changes with the input) a resume is also refused when an earlier
  // load of the same table and file names saw different sizes or times.
  [[nodiscard]] Result<LoadState> begin(client::PgConnection& conn, const std::string& load_id, bool id_derived,
                                        const std::string& table, const std::vector<InputFile>& inputs,
                                        bool resume) const;
  // Claims the load for this run: a session advisory lock on the schema and load id, held by
  // `conn` until it closes. A second run of the same load meanwhile (whose batches would load every
  // row again, and whose fresh start would erase this run's records) is refused with a config error.
  [[nodiscard]] Result<void> claim(client::PgConnection& conn, const std::string& load_id) const;
  // Marks the load finished (a later --resume loads nothing) and folds its per-batch records
  // into one per file, so the progress table grows by files, not by batches.
  [[nodiscard]] Result<void> finish(client::PgConnection& conn, const std::string& load_id) const;

  // The INSERT that goes inside a batch's transaction (before its COPY, so that a resent batch
  // whose first attempt committed fails at once with a unique violation, and one whose first
  // attempt is still in progress on a dying backend waits for its outcome).
  [[nodiscard]] std::string insert_sql(const std::string& load_id, std::int64_t batch,
                                       const std::vector<ProgressEntry>& entries,
                                       const std::vector<std::string>& file_names) const;
  [[nodiscard]] const std::string& schema() const noexcept { return schema_; }

 private:
  std::string schema_;    // quoted
  std::string progress_;  // <schema>.load_progress, quoted
  std::string loads_;     // <schema>.loads, quoted
};

}  // namespace pgstream::load
